"""prefect.yaml on a real server with two process workers: both render, and a worker killed mid-render
leaves nothing published while its run is marked lost and rendered again by the other worker."""

import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from tests.prefect_server import BIN, Processes, base_env, kill_group, start_server, wait_for

pytestmark = pytest.mark.e2e

QUICK = """---
id: {id}
title: Quick {id}
avatar: astronaut
voice: test-tone
animator: still
camera: static
approval: {{status: approved, reviewer: Test}}
---
Papa made a bold plan {id}.
"""
LONG = """---
id: killed
title: Killed mid-render
avatar: astronaut
animator: portrait-warp
camera: push-in
approval: {status: approved, reviewer: Test}
---
This reel is rendered by one worker until that worker is killed. The other worker then takes the run
again, starts from the steps that were already cached, and publishes the reel as if nothing happened.
"""
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


@pytest.fixture
def cluster(tmp_path):
    """A server, the pool with its lost-worker automations, the deployments of prefect.yaml, two workers."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    processes = Processes(tmp_path, base_env(tmp_path))
    try:
        api = start_server(processes, tmp_path / "prefect-home")
        processes.run([str(BIN / "python"), "-m", "flows.pool", "--lost-after", "40"])
        processes.run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"])
        workers = {name: processes.start(name, [str(BIN / "prefect"), "worker", "start", "--pool", "reels", "--name",
                                                name, "--limit", "1"], REEL_WORKER_NAME=name)
                   for name in ("worker-a", "worker-b")}
        with temporary_settings(updates={PREFECT_API_URL: api}):
            yield workers
    finally:
        processes.stop_all()


def submit(script: Path, out: Path):
    from prefect.deployments import run_deployment

    return run_deployment("produce-reel-from-file/produce-reel-from-file", timeout=0,
                          parameters={"script_path": str(script), "out_root": str(out)}).id


def state_of(run_id):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state


def history(run_id) -> list[str]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [state.name for state in client.read_flow_run_states(run_id)]


def task_states(run_id) -> dict[str, list[str]]:
    """Each step's task runs' states, oldest first (a re-run adds its own)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    states: dict[str, list[str]] = {}
    for run in sorted(runs, key=lambda run: run.created):
        states.setdefault(run.name.rsplit("-", 1)[0], []).append(run.state.name if run.state else "")
    return states


def owner(pid: int, workers: dict) -> str:
    """The worker whose process started ``pid`` (its parent, or a parent's parent)."""
    by_pid = {process.pid: name for name, process in workers.items()}
    while pid > 1:
        if pid in by_pid:
            return by_pid[pid]
        pid = int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if line.startswith("PPid:")))
    raise AssertionError("the flow run's process belongs to no worker")


def test_two_workers_share_the_runs_and_a_lost_worker_is_replaced(cluster, tmp_path):
    from prefect.client.orchestration import get_client

    out = tmp_path / "out"
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    quick = []
    for number in range(4):
        path = scripts / f"quick-{number}.md"
        path.write_text(QUICK.format(id=f"quick-{number}"), encoding="utf-8")
        quick.append(submit(path, out))
    wait_for(lambda: all(state_of(run).type.value in FINAL for run in quick), 420, "four quick reels")
    assert [state_of(run).type.value for run in quick] == ["COMPLETED"] * 4
    workers_used = [json.loads((out / f"quick-{n}" / "manifest.json").read_text())["run"]["worker"] for n in range(4)]
    assert set(workers_used) == {"worker-a", "worker-b"}, workers_used

    # Kill the worker (and the flow run's own process) while the reel is half made.
    long_script = scripts / "killed.md"
    long_script.write_text(LONG, encoding="utf-8")
    run_id = submit(long_script, out)
    wait_for(lambda: task_states(run_id).get("speech") == ["Completed"], 300, "the speech step")
    with get_client(sync_client=True) as client:
        pid = int(client.read_flow_run(run_id).infrastructure_pid)
    lost = owner(pid, cluster)
    kill_group(cluster[lost].pid)  # the worker and what runs in its session
    kill_group(pid)  # the flow run, where it has a session of its own
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    assert not (out / "killed" / "reel.mp4").exists()
    assert all(p.name.startswith(".") for p in (out / "killed").iterdir())  # only the dead render's work folder

    wait_for(lambda: state_of(run_id).type.value == "COMPLETED", 420, "the re-run by the other worker", every=2)
    names = history(run_id)
    assert "Worker lost" in names and "Rescheduled" in names, names
    manifest = json.loads((out / "killed" / "manifest.json").read_text())
    survivor = ({"worker-a", "worker-b"} - {lost}).pop()
    assert manifest["run"]["worker"] == survivor and manifest["reel"]["video_duration_s"] > 8
    assert task_states(run_id)["speech"] == ["Completed", "Cached"]  # the re-run started from what was made
    # The dead render's work folder is gone too: the next render of the reel cleared it.
    assert sorted(p.name for p in (out / "killed").iterdir()) == ["captions.ass", "manifest.json", "preview.mp4",
                                                                  "reel.mp4"]

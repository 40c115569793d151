"""Prefect flows against a temporary server: real engines, a review gate resumed programmatically."""

import json
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import STATIC_SCRIPT, write

pytestmark = pytest.mark.usefixtures("prefect_harness")

SHORT_TEXT = "Hello from the review queue. [punch: Approve me] and I will render."


def _task_states(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run.state.name for run in runs}


def _artifact_keys() -> set[str]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    kinds = {a.key: a.type for a in artifacts if a.key}
    assert "progress" in {a.type for a in artifacts}  # the animation's progress
    assert kinds.get("captions-mouth-check") == "table"
    assert "reel.mp4" in str(next(a.data for a in artifacts if a.key == "reel-mouth-check"))
    return set(kinds)


def _run_in_background(request, out_root: Path, **options):
    """Start produce_reel in a thread; returns (thread, holder) where holder gets the final state."""
    from flows.produce import produce_reel

    holder: dict = {}

    def run():
        holder["state"] = produce_reel(request, out_root=str(out_root), return_state=True, **options)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, holder


def _wait_until_paused(request_id: str, timeout: float = 120.0):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
            for run in runs:
                if run.parameters["request"]["id"] == request_id:
                    return run.id
            time.sleep(0.3)
    raise AssertionError(f"no paused run for {request_id}")


def test_produce_reel_renders_an_approved_script_and_reruns_from_cache(tmp_path, monkeypatch):
    import reel.avatars
    import reel.steps.captions
    from flows.produce import ReelRequest, produce_reel
    from reel.animate.portrait_warp import PortraitWarpAnimator
    from reel.speech.kokoro import KokoroEngine

    script = write(tmp_path / "mouth-check.md", STATIC_SCRIPT)
    state = produce_reel(ReelRequest(script_path=str(script)), out_root=str(tmp_path / "out"), return_state=True)
    outcome = state.result()
    assert outcome.status == "rendered" and Path(outcome.video).is_file()
    manifest = json.loads(Path(outcome.manifest).read_text())
    # Approved in its file: no review happened, so none is recorded (as with `reel render`).
    assert manifest["review"] is None and manifest["script"]["approval"]["status"] == "approved"
    assert manifest["reel"]["width"] == 1080
    assert {"script-mouth-check", "reel-mouth-check", "captions-mouth-check", "frames-mouth-check"} <= _artifact_keys()
    first = _task_states(state.state_details.flow_run_id)
    assert {first[name] for name in ("portrait", "speech", "captions", "camera", "video")} <= {"Completed", "Cached"}

    def never(*args, **kwargs):
        raise AssertionError("an engine ran again")

    for owner, name in ((KokoroEngine, "sentences"), (PortraitWarpAnimator, "frames"),
                        (reel.steps.captions, "transcribe_words"), (reel.avatars, "prepare_portrait")):
        monkeypatch.setattr(owner, name, never)
    again = produce_reel(ReelRequest(script_path=str(script)), out_root=str(tmp_path / "again"), return_state=True)
    states = _task_states(again.state_details.flow_run_id)
    assert all(states[name] == "Cached" for name in ("portrait", "speech", "captions", "camera", "video")), states
    assert Path(again.result().video).read_bytes() == Path(outcome.video).read_bytes()


def test_review_approve_renders_and_records_the_reviewer(tmp_path):
    from prefect.flow_runs import resume_flow_run

    from flows.produce import ReelRequest

    request = ReelRequest(id="review-approve", title="Review me", text=SHORT_TEXT, camera="static")
    thread, holder = _run_in_background(request, tmp_path)
    run_id = _wait_until_paused("review-approve")
    with pytest.raises(RuntimeError, match="Cannot resume"):
        resume_flow_run(run_id, run_input={})  # the decision and reviewer are required
    resume_flow_run(run_id, run_input={"decision": "approve", "reviewer": "Dana Whitfield", "notes": "Looks good"})
    thread.join(timeout=300)
    outcome = holder["state"].result()
    assert outcome.status == "rendered" and Path(outcome.video).is_file()
    manifest = json.loads(Path(outcome.manifest).read_text())
    assert manifest["review"]["reviewer"] == "Dana Whitfield" and manifest["review"]["notes"] == "Looks good"
    assert manifest["script"]["approval"]["status"] == "approved" and manifest["review"]["at"]


def test_review_reject_ends_without_a_reel_and_records_why(tmp_path):
    from prefect.flow_runs import resume_flow_run

    from flows.produce import ReelRequest

    request = ReelRequest(id="review-reject", title="Reject me", text=SHORT_TEXT)
    thread, holder = _run_in_background(request, tmp_path)
    run_id = _wait_until_paused("review-reject")
    resume_flow_run(run_id, run_input={"decision": "reject", "reviewer": "Sam", "notes": "Wrong product name"})
    thread.join(timeout=120)
    outcome = holder["state"].result()
    assert outcome.status == "rejected" and outcome.video is None and outcome.reason == "Wrong product name"
    folder = tmp_path / "review-reject"
    assert not (folder / "reel.mp4").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["review"]["reviewer"] == "Sam" and manifest["review"]["outcome"] == "rejected"
    assert manifest["script"]["approval"]["notes"] == "Wrong product name"


def test_a_review_that_never_comes_ends_the_run_cleanly(tmp_path):
    from flows.produce import ReelRequest, produce_reel

    request = ReelRequest(id="review-timeout", title="Nobody looks", text=SHORT_TEXT)
    state = produce_reel(request, out_root=str(tmp_path), review_timeout_s=2, return_state=True)
    assert state.is_completed()
    outcome = state.result()
    assert outcome.status == "review-timed-out" and not (tmp_path / "review-timeout" / "reel.mp4").exists()


BROKEN_SCRIPT = "---\nid: broken\ntitle: Broken\navatar: nobody-here\napproval: {status: approved}\n---\nHello.\n"
SECOND_SCRIPT = STATIC_SCRIPT.replace("id: mouth-check", "id: second-reel").replace(
    "Then the band played again.", "Then the band played once more.")


def _batch_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "scripts"
    write(folder / "a.md", STATIC_SCRIPT)
    write(folder / "b.md", BROKEN_SCRIPT)
    write(folder / "c.md", SECOND_SCRIPT)
    return folder


def test_weekly_batch_isolates_a_broken_script_and_summarises(tmp_path):
    from flows.batch import weekly_batch

    state = weekly_batch(source=str(_batch_folder(tmp_path)), out_root=str(tmp_path / "out"), max_parallel=2,
                         return_state=True)
    rows = state.result()
    # Each reel renders through the cached step tasks, as produce-reel does.
    assert {"render-script", "portrait", "speech", "captions", "camera", "video"} <= set(
        _task_states(state.state_details.flow_run_id))
    by_reel = {row.reel: row for row in rows}
    assert by_reel["mouth-check"].status == "rendered" and Path(by_reel["mouth-check"].output).is_file()
    assert by_reel["second-reel"].status == "rendered" and by_reel["second-reel"].duration_s > 3
    assert by_reel["broken"].status == "failed" and "unknown avatar 'nobody-here'" in by_reel["broken"].error
    assert len(list((tmp_path / "out").rglob("reel.mp4"))) == 2


def test_weekly_batch_reads_a_csv_and_leaves_unapproved_rows_for_review(tmp_path):
    from flows.batch import weekly_batch

    table = tmp_path / "week.csv"
    table.write_text("id,title,avatar,platform,camera,approval_status,text\n"
                     "csv-one,One,astronaut,reels,static,approved,Papa made a bold plan.\n"
                     "csv-two,Two,astronaut,tiktok,push-in,,Not approved yet.\n", encoding="utf-8")
    rows = {row.reel: row for row in weekly_batch(source=str(table), out_root=str(tmp_path / "out"))}
    assert rows["csv-one"].status == "rendered"
    assert rows["csv-two"].status == "awaiting review" and "python -m flows.serve" in rows["csv-two"].error


def test_weekly_batch_runs_on_a_local_dask_cluster(tmp_path):
    from prefect_dask import DaskTaskRunner

    from flows.batch import weekly_batch

    folder = tmp_path / "scripts"
    write(folder / "a.md", STATIC_SCRIPT)
    write(folder / "b.md", BROKEN_SCRIPT)
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "processes": False, "threads_per_worker": 1})
    rows = weekly_batch.with_options(task_runner=runner)(source=str(folder), out_root=str(tmp_path / "out"))
    assert sorted((row.reel, row.status) for row in rows) == [("broken", "failed"), ("mouth-check", "rendered")]


def test_produce_reel_and_reel_render_make_the_same_reel_with_a_new_animator(tmp_path):
    """The stub animator (one file and one registry line) through both entry points: the same MP4 and
    manifests equal but for the times."""
    from flows.produce import ReelRequest, produce_reel
    from reel.cli import main
    from reel.hashing import sha256_file
    from tests.test_pipeline import script_file

    script = script_file(tmp_path, "One list of steps for every entry point.", id="both-ways")
    assert main(["render", str(script), "--out", str(tmp_path / "cli")]) == 0
    outcome = produce_reel(ReelRequest(script_path=str(script)), out_root=str(tmp_path / "flow"))
    assert sha256_file(Path(outcome.video)) == sha256_file(tmp_path / "cli" / "reel.mp4")
    manifests = [json.loads(path.read_text()) for path in (tmp_path / "cli" / "manifest.json", Path(outcome.manifest))]
    for manifest in manifests:
        assert set(manifest["stage_seconds"]) == {"script", "portrait", "speech", "captions", "camera", "video"}
        del manifest["created_at"], manifest["stage_seconds"]
    assert manifests[0] == manifests[1]
    assert manifests[0]["animation"]["animator"] == "still"

"""Prefect flows against a temporary server: real engines, a review gate resumed programmatically."""

import json
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import STATIC_SCRIPT, write

pytestmark = pytest.mark.usefixtures("prefect_harness")

SHORT_TEXT = "Hello from the review queue. [punch: Approve me] and I will render."


def _run_name(state) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).name


def _task_states(flow_run_id) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run.state.name for run in runs}


def _artifacts(flow_run_id, key: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))


def _logs(flow_run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + 15  # logs reach the server in batches
    with get_client(sync_client=True) as client:
        while True:
            messages = [log.message for log in client.read_logs(log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))]
            if any("Finished in state" in message for message in messages) or time.monotonic() > deadline:
                return messages
            time.sleep(0.5)


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
    from flows.produce import produce_reel_from_file
    from reel.animate.portrait_warp import PortraitWarpAnimator
    from reel.media.probe import probe
    from reel.speech.kokoro import KokoroEngine

    script = write(tmp_path / "mouth-check.md", STATIC_SCRIPT)
    state = produce_reel_from_file(str(script), out_root=str(tmp_path / "out"), return_state=True)
    outcome = state.result()
    assert outcome.status == "rendered" and Path(outcome.video).is_file()
    assert state.name == "Completed" and _run_name(state) == "mouth-check: Mouth check"
    folder = Path(outcome.video).parent
    # Published files are readable by the web server and the team: the mode any new file gets.
    assert {name: (folder / name).stat().st_mode & 0o777 for name in ("reel.mp4", "manifest.json", "captions.ass",
                                                                     "preview.mp4")} == dict.fromkeys(
        ("reel.mp4", "manifest.json", "captions.ass", "preview.mp4"), 0o644)
    preview, full = probe(folder / "preview.mp4"), probe(folder / "reel.mp4")
    assert (preview["width"], preview["height"]) == (540, 960)
    assert abs(preview["video_duration_s"] - full["video_duration_s"]) < 0.1
    assert (folder / "preview.mp4").stat().st_size < (folder / "reel.mp4").stat().st_size / 2
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
    again = produce_reel_from_file(str(script), out_root=str(tmp_path / "again"), return_state=True)
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
    assert _run_name(holder["state"]) == "review-approve: Review me"
    manifest = json.loads(Path(outcome.manifest).read_text())
    assert manifest["review"]["reviewer"] == "Dana Whitfield" and manifest["review"]["notes"] == "Looks good"
    assert manifest["script"]["approval"]["status"] == "approved" and manifest["review"]["at"]
    assert manifest["run"]["flow_run"] == "review-approve: Review me"
    # One script artifact, updated after the review (not one per state of the run).
    scripts = _artifacts(run_id, "script-review-approve")
    assert len(scripts) == 1 and scripts[0].data.startswith("**Status: rendered by Dana Whitfield**")


def test_review_reject_ends_without_a_reel_and_records_why(tmp_path):
    from prefect.flow_runs import resume_flow_run

    from flows.produce import ReelRequest

    request = ReelRequest(id="review-reject", title="Reject me", text=SHORT_TEXT)
    thread, holder = _run_in_background(request, tmp_path)
    run_id = _wait_until_paused("review-reject")
    resume_flow_run(run_id, run_input={"decision": "reject", "reviewer": "Sam", "notes": "Wrong product name"})
    thread.join(timeout=120)
    state = holder["state"]
    # The Runs list reads "Rejected", not "Completed"; the outcome is still the run's result.
    assert (state.type.value, state.name, state.message) == ("COMPLETED", "Rejected", "Wrong product name")
    outcome = state.result()
    assert outcome.status == "rejected" and outcome.video is None and outcome.reason == "Wrong product name"
    assert not (tmp_path / "review-reject").exists()  # nothing published
    folder = tmp_path / "_review" / "review-reject"
    assert [p.name for p in folder.iterdir()] == ["manifest.json"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["review"]["reviewer"] == "Sam" and manifest["review"]["outcome"] == "rejected"
    assert manifest["script"]["approval"]["notes"] == "Wrong product name"


def test_a_review_that_never_comes_ends_the_run_cleanly(tmp_path):
    from flows.produce import ReelRequest, produce_reel

    request = ReelRequest(id="review-timeout", title="Nobody looks", text=SHORT_TEXT)
    state = produce_reel(request, out_root=str(tmp_path), review_timeout_hours=2 / 3600, return_state=True)
    assert state.is_completed() and state.name == "Review timed out"
    outcome = state.result()
    assert outcome.status == "review-timed-out" and not (tmp_path / "review-timeout" / "reel.mp4").exists()


@pytest.mark.parametrize(("fields", "line"), [
    ({"text": "  \n\n  "}, "the voiceover is empty: write what the avatar says under 'Voiceover'"),
    ({"id": "Café!"}, "script form 'café!': 'id' is 'café!': use lower-case letters, digits, - and _ (at most 64, "
                      "starting with a letter or digit): it names the output folder"),
    ({"platform": "TikTok", "text": "word " * 1600},
     "script 'form-check' runs about 615 s (1600 words) but TikTok allows at most 600 s: shorten the voiceover"),
])
def test_bad_form_input_fails_the_run_with_one_line_and_no_traceback(tmp_path, fields, line):
    from flows.produce import ReelRequest, produce_reel

    request = ReelRequest(**({"id": "Form Check", "title": "Form check", "text": SHORT_TEXT} | fields))
    state = produce_reel(request, out_root=str(tmp_path), return_state=True)
    assert state.is_failed() and state.message == line
    logs = _logs(state.state_details.flow_run_id)
    assert f"error: {line}" in logs and not any("Traceback" in message for message in logs)
    assert not (tmp_path / "form-check").exists()


def test_the_form_offers_what_is_installed_and_takes_what_a_user_types():
    from prefect.utilities.callables import parameter_schema

    from flows.produce import ReelRequest, produce_reel

    schema = parameter_schema(produce_reel).model_dump_for_openapi()
    form = schema["definitions"]["ReelRequest"]
    assert form["required"] == ["text", "id", "title"]
    fields = form["properties"]
    assert fields["avatar"]["enum"] == ["astronaut"] and "test-tone" not in fields["voice"]["enum"]
    assert {"default", "kokoro-nezumi", "joe"} <= set(fields["voice"]["enum"])
    assert fields["caption_style"]["enum"][0] == "default" and "bold-pop" in fields["caption_style"]["enum"]
    assert "portrait-warp" in fields["animator"]["enum"] and fields["platform"]["enum"] == ["reels", "shorts", "tiktok"]
    assert all(field.get("description") for field in fields.values())
    assert all(schema["properties"][name].get("description") for name in ("review", "out_root", "review_timeout_hours"))
    assert not any("pattern" in field for field in fields.values())  # a wrong id is told in words, not a regex
    typed = ReelRequest(text="Hi.", id=" Spring Sale ", title="Spring", voice="Joe", avatar="Astronaut", camera="STATIC")
    assert (typed.id, typed.voice, typed.avatar, typed.camera) == ("spring-sale", "joe", "astronaut", "static")
    assert typed.script_fields() == {"id": "spring-sale", "title": "Spring", "avatar": "astronaut", "voice": "joe",
                                     "platform": "reels", "camera": "static", "speaking_rate": 1.0}


def test_reel_review_plays_the_staged_reel_over_http_and_publishes_only_when_approved(tmp_path, monkeypatch):
    import urllib.request

    from prefect.flow_runs import resume_flow_run

    from flows.files import serve_files
    from flows.produce import ReelRequest

    server = serve_files(tmp_path, port=0)
    monkeypatch.setenv("REEL_PUBLIC_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        request = ReelRequest(id="reel-review", title="Watch me", text=SHORT_TEXT, camera="static", animator="still")
        thread, holder = _run_in_background(request, tmp_path, review="reel")
        run_id = _wait_until_paused("reel-review", timeout=300)
        staged = tmp_path / "_review" / "reel-review"
        assert (staged / "reel.mp4").is_file() and (staged / "preview.mp4").is_file()
        assert not (tmp_path / "reel-review").exists()  # not published before the reviewer approves
        with urllib.request.urlopen(f"{server_url(server)}/_review/reel-review/reel.mp4") as response:
            assert response.status == 200 and response.headers["Content-Type"] == "video/mp4"
            assert response.read() == (staged / "reel.mp4").read_bytes()
        resume_flow_run(run_id, run_input={"decision": "approve", "reviewer": "Ana", "notes": "Ship it"})
        thread.join(timeout=300)
    finally:
        server.shutdown()
    outcome = holder["state"].result()
    published = tmp_path / "reel-review"
    assert outcome.video == str(published / "reel.mp4") and not staged.exists()
    assert outcome.url == f"{server_url(server)}/reel-review/reel.mp4"
    assert sorted(p.name for p in published.iterdir()) == ["captions.ass", "manifest.json", "preview.mp4", "reel.mp4"]
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest["review"]["stage"] == "reel" and manifest["review"]["reviewer"] == "Ana"
    assert manifest["script"]["approval"]["status"] == "approved"
    link = _artifacts(run_id, "reel-reel-review")[0]
    assert link.data == f"[reel-review/reel.mp4]({outcome.url})"


def server_url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


BROKEN_SCRIPT = "---\nid: broken\ntitle: Broken\navatar: nobody-here\napproval: {status: approved, reviewer: Test}\n---\nHello.\n"
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
    table.write_text("id,title,avatar,platform,camera,approval_status,reviewer,text\n"
                     "csv-one,One,astronaut,reels,static,approved,Dana,Papa made a bold plan.\n"
                     "csv-two,Two,astronaut,tiktok,push-in,,,Not approved yet.\n"
                     "csv-three,Three,astronaut,reels,static,approved,,Approved by nobody.\n", encoding="utf-8")
    rows = {row.reel: row for row in weekly_batch(source=str(table), out_root=str(tmp_path / "out"))}
    assert rows["csv-one"].status == "rendered"
    assert rows["csv-two"].status == "awaiting review" and "python -m flows.serve" in rows["csv-two"].error
    assert rows["csv-three"].status == "failed" and "add 'reviewer' under 'approval'" in rows["csv-three"].error


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
    manifests equal but for the times and the record of the Prefect run."""
    from flows.produce import produce_reel_from_file
    from reel.cli import main
    from reel.hashing import sha256_file
    from tests.test_pipeline import script_file

    script = script_file(tmp_path, "One list of steps for every entry point.", id="both-ways")
    assert main(["render", str(script), "--out", str(tmp_path / "cli")]) == 0
    outcome = produce_reel_from_file(str(script), out_root=str(tmp_path / "flow"))
    assert sha256_file(Path(outcome.video)) == sha256_file(tmp_path / "cli" / "reel.mp4")
    manifests = [json.loads(path.read_text()) for path in (tmp_path / "cli" / "manifest.json", Path(outcome.manifest))]
    for manifest in manifests:
        assert set(manifest["stage_seconds"]) == {"script", "portrait", "speech", "captions", "camera", "video"}
        del manifest["created_at"], manifest["stage_seconds"]
    assert manifests[0].pop("run") is None and manifests[1].pop("run")["flow_run"] == "both-ways: Base"
    assert manifests[0] == manifests[1]
    assert manifests[0]["animation"]["animator"] == "still"

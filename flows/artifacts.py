"""What the run shows in the Prefect UI: one script artifact (updated as the review goes), and for a
rendered reel a link that plays it, every caption word with its time and six frames."""

from __future__ import annotations

from pathlib import Path

from prefect import runtime
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactUpdate
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

from flows.publishing import public_url
from flows.review import frames_preview, review_description
from reel.plan import RenderPlan


def show_script(plan: RenderPlan, status: str) -> None:
    """The run's one script artifact with the review's status on top: created once, then updated
    (a suspended run starts again from the top when resumed)."""
    key = f"script-{plan.script.id}"
    markdown = f"**Status: {status}**\n\n{review_description(plan)}"
    description = f"Script '{plan.script.id}': {status}"
    run_id = runtime.flow_run.id
    if run_id:
        with get_client(sync_client=True) as client:
            found = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
            if found:
                client.update_artifact(found[0].id, ArtifactUpdate(data=markdown, description=description))
                return
    create_markdown_artifact(key=key, markdown=markdown, description=description)


def report_reel(plan: RenderPlan, video: Path, manifest: dict, out_root: Path) -> None:
    """Where the reel is (a link that plays it where REEL_PUBLIC_BASE_URL is set), every caption word
    with its time, and six frames."""
    reel_id, duration = plan.script.id, manifest["reel"]["video_duration_s"]
    url = public_url(video, out_root)
    preview = public_url(video.with_name("preview.mp4"), out_root)
    if url:
        where = f"[Play the {duration:.1f} s reel]({url}) · [low-bitrate preview]({preview})"
    else:
        where = f"{duration:.1f} s reel at {video} (set REEL_PUBLIC_BASE_URL to get a link that plays in the browser)"
    create_link_artifact(key=f"reel-{reel_id}", link=url or video.resolve().as_uri(), link_text=f"{reel_id}/reel.mp4",
                         description=where)
    rows = [{"word": w["text"], "start_s": round(w["start"], 2), "end_s": round(w["end"], 2),
             "whisper_start_s": None if w["whisper_start"] is None else round(w["whisper_start"], 2)}
            for w in manifest["captions"]["words"]]
    create_table_artifact(key=f"captions-{reel_id}", table=rows, description="Caption words and times")
    strip = frames_preview(video, manifest["reel"]["frames"], manifest["reel"]["fps"])
    create_markdown_artifact(key=f"frames-{reel_id}", markdown=f"![frames]({strip})",
                             description=f"Six frames of '{reel_id}', evenly spaced")

"""What a reviewer sees and answers when a script waits for approval in the Prefect UI."""

from __future__ import annotations

import base64
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import cv2
from prefect import runtime
from prefect.client.orchestration import get_client
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.input.actions import read_flow_run_input
from prefect.input.run_input import keyset_from_base_key
from prefect.states import Running
from pydantic import Field

from flows.publishing import public_url
from reel.media.frames import contact_sheet, read_frames
from reel.models import Approval, Script
from reel.plan import RenderPlan

Decision = Literal["approve", "reject", "request-changes"]


class ReviewDecision(RunInput):
    """The review form. Every field but the notes is required, so an empty form cannot approve."""

    decision: Decision = Field(description="approve renders the reel (or publishes it, when it is rendered); reject or "
                                "request-changes ends the run without publishing")
    reviewer: str = Field(min_length=1, description="your name, recorded in the reel's manifest")
    notes: str = Field(default="", description="why, or what to change")

    def approval(self) -> Approval:
        status = "approved" if self.decision == "approve" else "rejected"
        notes = self.notes if self.decision != "request-changes" else f"changes requested: {self.notes}".strip()
        return Approval(status=status, reviewer=self.reviewer, at=datetime.now(timezone.utc), notes=notes)


def ask_for_review(description: str, key: str, timeout_s: int) -> ReviewDecision | None:
    """Wait for a reviewer; None when none answered in time. A deployment's run is suspended (no process
    waits) and runs again from the top when resumed: the answer given then is read back here without
    suspending twice. A local run pauses in place."""
    form = ReviewDecision.with_initial_data(description=description)
    try:
        if runtime.deployment.id:
            given = read_flow_run_input(keyset_from_base_key(f"suspended-{key}")["response"])
            if given:
                return ReviewDecision(**given)
            return suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=key)
        poll = float(os.environ.get("REEL_REVIEW_POLL_S", "10"))
        return pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=poll, key=key)
    except FlowPauseTimeout:
        # The server still shows the run as paused; take it back so the run can end in its own state.
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(runtime.flow_run.id, Running(message="review timed out"), force=True)
        return None


def review_description(plan: RenderPlan) -> str:
    """Markdown shown above the review form: the script, its estimated length, avatar and caption look."""
    script = plan.script
    return "\n".join([
        f"## Review: {script.title}",
        f"**{script.id}** · avatar **{plan.avatar.name}** · voice **{plan.voice}** · captions "
        f"**{plan.style.id}** ({plan.style.font.family}, {plan.style.size}px, highlight {plan.style.colors.highlight}) · "
        f"platform **{plan.platform.name}** · about **{script.estimated_seconds:.0f} s** ({len(script.words)} words)",
        "",
        f"![avatar]({avatar_thumbnail(plan)})",
        "",
        script_markdown(script),
    ])


def reel_review_description(plan: RenderPlan, video: Path, out_root: Path) -> str:
    """The reel review: links that play the reel in the browser, then the script as before."""
    reel_url, preview_url = public_url(video, out_root), public_url(video.with_name("preview.mp4"), out_root)
    if reel_url:
        watch = f"**[Play the reel]({reel_url})** · [low-bitrate preview]({preview_url})"
    else:
        watch = (f"The reel is at `{video}` on the worker (set REEL_PUBLIC_BASE_URL where the flows run to get "
                 "a link that plays here).")
    return "\n".join([f"## Review the reel: {plan.script.title}", "", watch,
                      "Approve publishes it; reject or request-changes removes it.", "",
                      review_description(plan).split("\n", 1)[1]])


def script_markdown(script: Script) -> str:
    lines = []
    for index, paragraph in enumerate(script.paragraphs):
        lines += [f"> *camera: {script.camera_for(index)}*  ", f"> {paragraph.text}", ">"]
    return "\n".join(lines[:-1])


def avatar_thumbnail(plan: RenderPlan, width: int = 160) -> str:
    """The avatar's portrait as a small inline JPEG (the UI shows it without a file server)."""
    image = cv2.imread(str(plan.avatar.portrait), cv2.IMREAD_COLOR)
    return "" if image is None else inline_jpeg(image, width)


def frames_preview(video: Path, frames: int, fps: float, count: int = 6) -> str:
    """Evenly spaced frames of a reel in one inline JPEG strip."""
    indices = [round(i * (frames - 1) / (count - 1)) for i in range(count)]
    found = read_frames(video, indices)
    sheet = contact_sheet([found[i] for i in indices if i in found], [f"{i / fps:.1f}s" for i in indices if i in found],
                          columns=count, width=180)
    return inline_jpeg(cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), sheet.shape[1])


def inline_jpeg(image_bgr, width: int) -> str:
    height = round(image_bgr.shape[0] * width / image_bgr.shape[1])
    image = cv2.resize(image_bgr, (width, height), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode() if ok else ""

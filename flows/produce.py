"""`produce-reel`: one reel from a script, with a review gate for scripts that are not approved yet."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, runtime
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.client.orchestration import get_client
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.states import Running
from pydantic import BaseModel, Field, create_model

from flows.review import ReviewDecision, frames_preview, review_description
from flows.stages import PrefectRunner
from reel.animate import ANIMATORS
from reel.fsutil import write_text_atomic
from reel.models import Script
from reel.pipeline import manifest_json, render_plan
from reel.plan import RenderPlan, plan_render, plan_script
from reel.script import script_from_markdown
from reel.settings import ReelSettings, load_settings
from reel.templates import list_names

REVIEW_TIMEOUT_S = 3 * 24 * 3600  # a review not given within three days ends the run

# Script fields the run form offers: (the form's default, help). Types and bounds come from Script.
_FORM_FIELDS = {
    "id": ("my-reel", "names the output folder: lower-case letters, digits, - and _"),
    "title": ("Untitled reel", None),
    "avatar": ("astronaut", None),
    "voice": (None, "empty: the avatar's voice; e.g. kokoro-nezumi (female) or joe (male); `reel voices` lists all"),
    "caption_style": (None, "empty: the avatar's style"),
    "camera": ("push-in", "the camera move of paragraphs that name none"),
    "speaking_rate": (1.0, "1.2 speaks 20 % faster than the voice"),
    "animator": (None, "empty: the server's default (REEL_ANIMATOR). ltx, wan, svd and ltx2 need a GPU worker; "
                 "svd's weights are not for commercial use; ltx2's are free below USD 10M annual revenue; "
                 "kling-avatar and kling-i2v send the portrait (and the speech, or a prompt) to a hosted "
                 "service that bills per second"),
}


def _request_model() -> type[BaseModel]:
    """The run form, derived from the script model: either a script file the workers can read, or the
    script written here. Platform choices are the platform templates."""
    fields: dict = {
        "script_path": (str | None, Field(default=None, description="a .md or .yaml script on the worker; "
                                          "when set, the fields below are ignored")),
        "text": (str, Field(default="", description="the voiceover: blank lines separate paragraphs; a paragraph "
                            "may start with [camera: push-in], mark [punch: a phrase] and direct the picture "
                            "with [visual: smiles and nods]")),
    }
    for name, (default, description) in _FORM_FIELDS.items():
        info = copy.copy(Script.model_fields[name])
        info.default, info.description = default, description or info.description
        fields[name] = (info.annotation, info)
    platforms = tuple(list_names(load_settings().templates_dir, "platforms"))
    fields["platform"] = (Literal[platforms], Field(default="reels" if "reels" in platforms else platforms[0]))
    fields["animator"] = (Literal[tuple(ANIMATORS.names())] | None, fields["animator"][1])
    return create_model("ReelRequest", __module__=__name__, **fields)


ReelRequest = _request_model()


class ReelOutcome(BaseModel):
    script_id: str
    status: Literal["rendered", "rejected", "changes-requested", "review-timed-out"]
    video: str | None = None
    manifest: str | None = None
    duration_s: float | None = None
    reason: str = ""


@flow(name="produce-reel")
def produce_reel(request: ReelRequest, out_root: str = "out", review_timeout_s: int = REVIEW_TIMEOUT_S) -> ReelOutcome:
    """Review (when needed) -> the render steps, each a cached task -> publish."""
    logger = get_run_logger()
    settings = load_settings()
    started = time.perf_counter()
    plan = plan_request(request, settings)
    planned = {"script": time.perf_counter() - started}
    out_dir = Path(out_root) / plan.script.id
    create_markdown_artifact(key=f"script-{plan.script.id}", markdown=review_description(plan),
                             description=f"Script '{plan.script.id}' as submitted")

    review = None
    if not plan.script.is_approved:
        decision = ask_for_review(plan, review_timeout_s)
        if decision is None:
            return record_decision(plan, out_dir, "review-timed-out",
                                   f"no review within {review_timeout_s} s; submit the script again")
        plan.script = plan.script.model_copy(update={"approval": decision.approval()})
        if decision.decision != "approve":
            status = "rejected" if decision.decision == "reject" else "changes-requested"
            return record_decision(plan, out_dir, status, decision.notes or decision.decision)
        logger.info("approved by %s", decision.reviewer)
        review = _review_record(plan)

    result = render_plan(plan, out_dir, settings, seconds=planned, runner=PrefectRunner(settings.cache_dir),
                         review=review)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    _report(plan, result.video, result.manifest, manifest)
    return ReelOutcome(script_id=plan.script.id, status="rendered", video=str(result.video),
                       manifest=str(result.manifest), duration_s=result.duration_s)


def plan_request(request, settings: ReelSettings) -> RenderPlan:
    """Check the request (script, avatar, voice, style, platform) before any work; unapproved is allowed here."""
    if request.script_path:
        return plan_render(Path(request.script_path), settings, allow_unapproved=True)
    fields = request.model_dump(include=set(_FORM_FIELDS) | {"platform"})
    fields["approval"] = {"status": "submitted"}
    script = script_from_markdown(request.text, fields, name=f"form '{request.id}'")
    folder = settings.cache_dir / "submitted"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{script.id}.md"
    write_text_atomic(path, request.text)  # the manifest records this file's hash
    return plan_script(script, path, settings, allow_unapproved=True)


def ask_for_review(plan: RenderPlan, timeout_s: int) -> ReviewDecision | None:
    """Wait for a reviewer. A deployment suspends (no process waits); a local run pauses in place."""
    form = ReviewDecision.with_initial_data(description=review_description(plan))
    try:
        if runtime.deployment.id:
            return suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=f"review-{plan.script.id}")
        poll = float(os.environ.get("REEL_REVIEW_POLL_S", "10"))
        return pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=poll,
                              key=f"review-{plan.script.id}")
    except FlowPauseTimeout:
        # The server still shows the run as paused; take it back so the run can end in Completed.
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(runtime.flow_run.id, Running(message="review timed out"), force=True)
        return None


def record_decision(plan: RenderPlan, out_dir: Path, status: str, reason: str) -> ReelOutcome:
    """No reel: write a manifest that records the decision (who, when, notes) and why nothing was rendered."""
    manifest = {"script": {"id": plan.script.id, "title": plan.script.title, "text": plan.script.text,
                           "approval": plan.script.approval.model_dump(mode="json")},
                "review": _review_record(plan) | {"outcome": status}, "reel": None, "reason": reason}
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "manifest.json", manifest_json(manifest))
    create_markdown_artifact(key=f"review-{plan.script.id}",
                             markdown=f"## {plan.script.title}: {status}\n\n{reason}",
                             description="Review outcome")
    get_run_logger().info("not rendered (%s): %s", status, reason)
    return ReelOutcome(script_id=plan.script.id, status=status, manifest=str(out_dir / "manifest.json"), reason=reason)


def _review_record(plan: RenderPlan) -> dict:
    approval = plan.script.approval
    return {"status": approval.status, "reviewer": approval.reviewer,
            "at": approval.at.isoformat() if approval.at else None, "notes": approval.notes,
            "flow_run_id": str(runtime.flow_run.id) if runtime.flow_run.id else None}


def _report(plan: RenderPlan, video: Path, manifest_path: Path, manifest: dict) -> None:
    """Artifacts for reviewers: where the reel is, and every caption word with its time."""
    create_link_artifact(key=f"reel-{plan.script.id}", link=video.resolve().as_uri(), link_text=f"{video}",
                         description=f"{manifest['reel']['video_duration_s']:.1f} s reel; manifest: {manifest_path}")
    rows = [{"word": w["text"], "start_s": round(w["start"], 2), "end_s": round(w["end"], 2),
             "whisper_start_s": None if w["whisper_start"] is None else round(w["whisper_start"], 2)}
            for w in manifest["captions"]["words"]]
    create_table_artifact(key=f"captions-{plan.script.id}", table=rows, description="Caption words and times")
    preview = frames_preview(video, manifest["reel"]["frames"], manifest["reel"]["fps"])
    create_markdown_artifact(key=f"frames-{plan.script.id}", markdown=f"![frames]({preview})",
                             description=f"Six frames of '{plan.script.id}', evenly spaced")


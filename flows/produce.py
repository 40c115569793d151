"""`produce-reel` (a script written in the run form) and `produce-reel-from-file` (a script file on the
workers): review where the deployment asks for it, render through the cached step tasks, publish.

Review (the deployment's ``review`` parameter):
- ``script``: a script that is not approved waits for a reviewer before rendering;
- ``reel``: the reel is rendered first into ``<out>/_review/<id>/`` and the reviewer watches it;
- ``both``: the script, then the reel.
Only an approved reel is moved into ``<out>/<id>/``. A rejection ends the run in a Completed state
named after the decision, so the Runs list tells it from a rendered reel and the outcome stays the
run's result.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, runtime
from prefect.states import Completed, Failed, State
from pydantic import BaseModel

from flows.artifacts import report_reel, show_script
from flows.form import ReelRequest
from flows.publishing import SUBMITTED_FOLDER, make_preview, public_url, publish_reviewed, review_dir
from flows.review import ReviewDecision, ask_for_review, reel_review_description, review_description
from flows.stages import PrefectRunner
from reel.errors import ReelError
from reel.fsutil import write_text_atomic
from reel.pipeline import manifest_json, render_plan
from reel.plan import RenderPlan, plan_render, plan_script
from reel.script import load_script, script_from_markdown
from reel.settings import ReelSettings, load_settings

ReviewMode = Literal["script", "reel", "both"]
STATE_NAMES = {"rejected": "Rejected", "changes-requested": "Changes requested", "review-timed-out": "Review timed out"}


class ReelOutcome(BaseModel):
    script_id: str
    status: Literal["rendered", "rejected", "changes-requested", "review-timed-out"]
    video: str | None = None
    manifest: str | None = None
    url: str | None = None  # the published reel at REEL_PUBLIC_BASE_URL
    duration_s: float | None = None
    reason: str = ""


def _form_run_name() -> str:
    request = runtime.flow_run.parameters["request"]
    read = request.get if isinstance(request, dict) else lambda name: getattr(request, name, "")
    return f"{str(read('id')).strip().lower()}: {read('title')}"[:120]


def _file_run_name() -> str:
    path = Path(str(runtime.flow_run.parameters["script_path"]))
    try:
        script = load_script(path)
    except (ReelError, OSError):
        return path.stem  # the run itself says what is wrong with the file
    return f"{script.id}: {script.title}"[:120]


@flow(name="produce-reel", flow_run_name=_form_run_name)
def produce_reel(request: ReelRequest, review: ReviewMode = "script", out_root: str = "out",
                 review_timeout_hours: float = 72.0) -> ReelOutcome | State:
    """One reel written in this form. It waits for a reviewer before it is rendered.

    Args:
        request: The voiceover and how the reel looks and sounds.
        review: When a reviewer decides: 'script' before rendering (for scripts not yet approved),
            'reel' after rendering (the reviewer watches the reel before it is published), 'both'.
        out_root: The folder on the workers where reels are published, one folder per reel id.
        review_timeout_hours: A review not given within this many hours ends the run without a reel.
    """
    return produce(lambda settings: plan_request(request, settings, Path(out_root)), review, Path(out_root),
                   review_timeout_hours)


@flow(name="produce-reel-from-file", flow_run_name=_file_run_name)
def produce_reel_from_file(script_path: str, review: ReviewMode = "script", out_root: str = "out",
                           review_timeout_hours: float = 72.0) -> ReelOutcome | State:
    """One reel from a script file (.md or .yaml) that the workers can read; the weekly batch sends its
    unapproved scripts here for review.

    Args:
        script_path: The script file, as a path on the workers.
        review: When a reviewer decides: 'script' before rendering (for scripts not yet approved),
            'reel' after rendering (the reviewer watches the reel before it is published), 'both'.
        out_root: The folder on the workers where reels are published, one folder per reel id.
        review_timeout_hours: A review not given within this many hours ends the run without a reel.
    """
    return produce(lambda settings: plan_render(Path(script_path), settings, allow_unapproved=True), review,
                   Path(out_root), review_timeout_hours)


def produce(make_plan, review: ReviewMode, out_root: Path, timeout_hours: float) -> ReelOutcome | State:
    """Plan (every check before any work) -> review(s) -> render -> publish. Bad input ends the run
    Failed with one line, never a traceback."""
    logger = get_run_logger()
    settings = load_settings()
    started = time.perf_counter()
    try:
        plan = make_plan(settings)
    except ReelError as error:
        logger.error("error: %s", error)
        return Failed(message=str(error))
    planned = {"script": time.perf_counter() - started}
    timeout_s = max(1, round(timeout_hours * 3600))
    reviews = []

    if review in ("script", "both") and not plan.script.is_approved:
        show_script(plan, "waiting for a reviewer")
        decision = ask_for_review(review_description(plan), f"review-{plan.script.id}", timeout_s)
        outcome = _decided(plan, out_root, decision, timeout_hours, "script")
        if outcome is not None:
            return outcome
        reviews.append(_review_record(plan, "script"))
    elif review == "script":
        show_script(plan, "approved in its file")

    staged = review in ("reel", "both")
    target = review_dir(out_root, plan.script.id) if staged else out_root / plan.script.id
    try:
        result = render_plan(plan, target, settings, seconds=planned, runner=PrefectRunner(settings.cache_dir),
                             review=reviews[-1] if reviews else None, run=_run_record())
        make_preview(result.video)
    except ReelError as error:
        logger.error("error: %s", error)
        return Failed(message=str(error))

    if staged:
        show_script(plan, "rendered; the reel waits for a reviewer")
        decision = ask_for_review(reel_review_description(plan, result.video, out_root),
                                  f"review-reel-{plan.script.id}", timeout_s)
        outcome = _decided(plan, out_root, decision, timeout_hours, "reel")
        if outcome is not None:
            return outcome
        reviews.append(_review_record(plan, "reel"))
        manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
        manifest["script"]["approval"] = plan.script.approval.model_dump(mode="json")
        manifest["review"] = reviews[-1] | ({"script_review": reviews[0]} if len(reviews) > 1 else {})
        write_text_atomic(result.manifest, manifest_json(manifest))
        publish_reviewed(result.video.parent, out_root / plan.script.id)
    video, manifest_path = out_root / plan.script.id / "reel.mp4", out_root / plan.script.id / "manifest.json"
    show_script(plan, f"rendered{_approved_by(plan)}")
    report_reel(plan, video, json.loads(manifest_path.read_text(encoding="utf-8")), out_root)
    logger.info("published %s", public_url(video, out_root) or video)
    return ReelOutcome(script_id=plan.script.id, status="rendered", video=str(video), manifest=str(manifest_path),
                       url=public_url(video, out_root), duration_s=result.duration_s)


def plan_request(request: ReelRequest, settings: ReelSettings, out_root: Path) -> RenderPlan:
    """Check a form's script (avatar, voice, style, platform, length) before any work. The text is kept
    under ``<out>/_submitted/<id>/``, one file per run: the manifest records its hash."""
    if not request.text.strip():
        raise ReelError("the voiceover is empty: write what the avatar says under 'Voiceover'")
    fields = request.script_fields() | {"approval": {"status": "submitted"}}
    script = script_from_markdown(request.text, fields, name=f"form '{request.id}'")
    path = out_root / SUBMITTED_FOLDER / script.id / f"{runtime.flow_run.id or int(time.time())}.md"
    write_text_atomic(path, request.text)
    return plan_script(script, path, settings, allow_unapproved=True)


def _decided(plan: RenderPlan, out_root: Path, decision: ReviewDecision | None, timeout_hours: float,
             stage: str) -> State | None:
    """None when approved (the plan then carries the approval); otherwise the run's final state."""
    if decision is None:
        return record_decision(plan, out_root, "review-timed-out",
                               f"no review within {timeout_hours:g} hours; submit the script again", stage)
    plan.script = plan.script.model_copy(update={"approval": decision.approval()})
    if decision.decision == "approve":
        get_run_logger().info("approved by %s", decision.reviewer)
        return None
    status = "rejected" if decision.decision == "reject" else "changes-requested"
    return record_decision(plan, out_root, status, decision.notes or decision.decision, stage)


def record_decision(plan: RenderPlan, out_root: Path, status: str, reason: str, stage: str) -> State:
    """No reel: the review folder keeps a manifest of the decision (who, when, notes) and nothing else."""
    folder = review_dir(out_root, plan.script.id)
    if folder.is_dir():
        for item in folder.iterdir():  # a rendered reel that was not approved is not kept
            if item.is_file():
                item.unlink()
    manifest = {"script": {"id": plan.script.id, "title": plan.script.title, "text": plan.script.text,
                           "approval": plan.script.approval.model_dump(mode="json")},
                "review": _review_record(plan, stage) | {"outcome": status}, "reel": None, "reason": reason,
                "run": _run_record()}
    write_text_atomic(folder / "manifest.json", manifest_json(manifest))
    show_script(plan, f"{STATE_NAMES[status].lower()}{_approved_by(plan)}: {reason}")
    get_run_logger().info("not rendered (%s): %s", status, reason)
    outcome = ReelOutcome(script_id=plan.script.id, status=status, manifest=str(folder / "manifest.json"),
                          reason=reason)
    return Completed(name=STATE_NAMES[status], message=reason, data=outcome)


def _approved_by(plan: RenderPlan) -> str:
    approval = plan.script.approval
    return f" by {approval.reviewer}" if approval.reviewer and approval.status != "submitted" else ""


def _review_record(plan: RenderPlan, stage: str) -> dict:
    approval = plan.script.approval
    return {"status": approval.status, "reviewer": approval.reviewer, "stage": stage,
            "at": approval.at.isoformat() if approval.at else None, "notes": approval.notes,
            "flow_run_id": str(runtime.flow_run.id) if runtime.flow_run.id else None}


def _run_record() -> dict:
    """Which run, deployment and worker made the reel (REEL_WORKER_NAME names a worker; else its host)."""
    host = socket.gethostname()
    return {"flow_run": runtime.flow_run.name, "flow_run_id": str(runtime.flow_run.id) if runtime.flow_run.id else None,
            "deployment": runtime.deployment.name, "worker": os.environ.get("REEL_WORKER_NAME") or host,
            "host": host, "pid": os.getpid()}

"""The render: plan -> the steps (reel.steps) -> manifest -> publish, the same for every entry point.

`reel render` runs the steps with the local runner; the Prefect flows pass their own runner, which
wraps each step as a cached task. Everything is written in a temporary folder inside the output
folder and moved into place only when all succeeded.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import reel
from reel import avatars
from reel.animate import ANIMATORS
from reel.errors import MediaError, OutputError
from reel.fsutil import clear_stale_work_dirs, locked_work_dir, write_text_atomic
from reel.hashing import sha256_file, sha256_text
from reel.media import ffmpeg
from reel.media.probe import measure_loudness, probe
from reel.models import CameraPlan, Captions, Portrait, SpeechTrack
from reel.plan import RenderPlan, plan_render
from reel.runner import LocalRunner
from reel.settings import ReelSettings, load_settings
from reel.speech import VOICES, get_voice
from reel.steps import STEPS, run_steps
from reel.steps.video import visual_directions

# progress(stage, done, total, unit="frame"): called when a stage starts (done=0) and as it advances.
Progress = Callable[..., None]
STAGES = ("script",) + tuple(step.name for step in STEPS)


def _no_progress(stage: str, done: float, total: float, unit: str = "frame") -> None:
    pass


@dataclass
class RenderResult:
    video: Path
    manifest: Path
    stage_seconds: dict[str, float] = field(default_factory=dict)
    duration_s: float = 0.0


def render(script_path: Path, out_dir: Path, settings: ReelSettings | None = None,
           allow_unapproved: bool = False, progress: Progress = _no_progress, evaluate: bool = False) -> RenderResult:
    """Check the script and its choices, then render it into ``out_dir``."""
    settings = settings or load_settings()
    started = time.perf_counter()
    plan = plan_render(script_path, settings, allow_unapproved)
    return render_plan(plan, out_dir, settings, progress, {"script": time.perf_counter() - started}, evaluate)


def render_plan(plan: RenderPlan, out_dir: Path, settings: ReelSettings, progress: Progress = _no_progress,
                seconds: dict[str, float] | None = None, evaluate: bool = False, runner=None,
                review: dict | None = None, run: dict | None = None) -> RenderResult:
    """Render ``plan`` into ``out_dir``. ``runner`` runs each step (default: cached in REEL_CACHE_DIR);
    ``review``: the review record, where a reviewer approved the script; ``run``: which orchestrated
    run and worker made it (the flows; None for `reel render`); with ``evaluate``, also
    measure the result (`reel evaluate`) into evaluation.json and evaluation.png."""
    seconds = dict(seconds or {})
    progress("script", 1, 1)
    with work_dir(out_dir, plan.script.id) as work:
        done = run_steps(plan, settings, runner or LocalRunner(settings.cache_dir), seconds, progress)
        copy_into(done["video"].path, work / "reel.mp4")
        copy_into(done["captions"].path, work / "captions.ass")
        manifest = build_manifest(plan, done, settings, work / "reel.mp4", seconds, review) | {"run": run}
        if evaluate:
            started = time.perf_counter()
            progress("evaluate", 0, 1)
            manifest["evaluation"] = evaluate_render(work, done["portrait"], done["camera"], done["captions"],
                                                     done["speech"], lambda d, t: progress("evaluate", d, t))
            seconds["evaluate"] = time.perf_counter() - started
            manifest["stage_seconds"]["evaluate"] = round(seconds["evaluate"], 3)
            progress("evaluate", 1, 1)
        write_text_atomic(work / "manifest.json", manifest_json(manifest))
        return publish(work, out_dir, seconds, manifest["reel"]["video_duration_s"])


def copy_into(source: Path, target: Path) -> None:
    if not source.is_file():
        raise MediaError(f"cached file {source} is gone: clear REEL_CACHE_DIR (and Prefect's results) and run again")
    shutil.copyfile(source, target)


def evaluate_render(work: Path, portrait: Portrait, camera: CameraPlan, captions: Captions, speech: SpeechTrack,
                    progress: Callable[[float, float], None]) -> dict:
    """Measure the fresh reel.mp4 in ``work``; returns the manifest's summary of it."""
    from reel.evaluate.report import Reference, evaluate, write_report

    reference = Reference(avatars.load_portrait_pixels(portrait), camera, captions.box)
    result = evaluate(work / "reel.mp4", speech.path, reference, sheet=work / "evaluation.png", progress=progress)
    write_report(result.model_copy(update={"video": "reel.mp4", "contact_sheet": "evaluation.png"}),
                 work / "evaluation.json")
    return {"passed": result.passed, "checks": result.checks, "report": "evaluation.json",
            "contact_sheet": "evaluation.png"}


def build_manifest(plan: RenderPlan, done: dict, settings: ReelSettings, video: Path, seconds: dict[str, float],
                   review: dict | None = None) -> dict:
    portrait: Portrait = done["portrait"]
    speech: SpeechTrack = done["speech"]
    captions: Captions = done["captions"]
    camera: CameraPlan = done["camera"]
    info, loudness = probe(video), measure_loudness(video)
    heard = [w for w in captions.words if w.whisper_start is not None]
    deviation = [abs(w.whisper_start - w.speech_start) for w in heard]
    manifest = {
        "reel": {"path": "reel.mp4", "sha256": sha256_file(video), "bytes": video.stat().st_size, **info, **loudness},
        "script": {"id": plan.script.id, "title": plan.script.title, "path": str(plan.script_path),
                   "sha256": sha256_file(plan.script_path), "text_sha256": sha256_text(plan.script.text),
                   "approval": plan.script.approval.model_dump(mode="json"), "words": len(plan.script.words)},
        "avatar": {"id": plan.avatar.id, "portrait_sha256": portrait.source_sha256,
                   "framed_sha256": portrait.sha256},
        "speech": {"voice": speech.voice, "sha256": speech.sha256, "duration_s": round(speech.duration_s, 3),
                   "license": get_voice(speech.voice).license if speech.voice in VOICES else None},
        "animation": {"animator": plan.animator, "options": plan.animator_options.model_dump(mode="json"),
                      "license": ANIMATORS.engine_class(plan.animator).license_note or None,
                      "camera": camera.model_dump(mode="json"), "seed": settings.seed,
                      "directions": [{"start_s": round(start, 3), "visual": direction,
                                      "used": ANIMATORS.engine_class(plan.animator).takes_directions}
                                     for start, direction in visual_directions(plan, camera)],
                      "report": done["video"].animator_report},
        "engines": {"reel": reel.__version__, "speech": speech.engine,
                    "animator": ANIMATORS.version(plan.animator),
                    "captions": captions.whisper_model, "ffmpeg": Path(ffmpeg.ffmpeg_exe()).name},
        "settings": {"seed": settings.seed, "fps": settings.fps, "size": [settings.width, settings.height],
                     "x264": f"{settings.x264_preset} crf {settings.x264_crf}", "loudness_lufs": settings.loudness_lufs,
                     "true_peak_db": settings.true_peak_db},
        "stage_seconds": {k: round(v, 3) for k, v in seconds.items()},
        "captions": {
            "file": "captions.ass", "style": captions.style, "platform": plan.platform.id, "box": captions.box,
            "timing_source": captions.timing_source,
            "heard_share": round(len(heard) / max(1, len(captions.words)), 3),
            "whisper_vs_speech_s": {
                "median": round(statistics.median(deviation), 3) if deviation else None,
                "max": round(max(deviation), 3) if deviation else None,
            },
            "words": [w.model_dump() for w in captions.words],
        },
        "review": review,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if speech.match is not None:
        manifest["speech"]["recording"] = {
            "file": str(plan.recording), "language": plan.script.language, "script_words": speech.match.script_words,
            "unmatched_share": round(speech.match.unmatched_share, 3), "unmatched_words": speech.match.unmatched}
    elif captions.match is not None:  # speech without its own timings: how much of the script Whisper heard
        manifest["captions"]["match"] = {"script_words": captions.match.script_words,
                                         "unmatched_share": round(captions.match.unmatched_share, 3),
                                         "unmatched_words": captions.match.unmatched}
    if plan.clone is not None:
        manifest["speech"]["clone"] = {"reference": Path(plan.clone.reference).name, "sha256": plan.clone.sha256,
                                       "speech_s": plan.clone.speech_s,
                                       "consent": plan.clone.consent.model_dump(mode="json")}
    return manifest


@contextmanager
def work_dir(out_dir: Path, script_id: str) -> Iterator[Path]:
    """A locked temp folder inside ``out_dir`` (same file system, so publishing is a rename); always
    removed, and one left by a killed render is removed by the next render of the reel. A render that
    fails leaves no folder it made: ``out_dir`` (and the parents it needed) go again when empty."""
    prefix, cleanup = f".{script_id}-", ExitStack()
    made = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        clear_stale_work_dirs(out_dir, prefix)
        work = cleanup.enter_context(locked_work_dir(out_dir, prefix))
    except OSError as error:
        _remove_empty(made)
        raise OutputError(f"cannot write to output folder {out_dir}: {error.strerror}; choose another with --out") from error
    try:
        with cleanup:
            yield work
    except BaseException:
        _remove_empty(made)
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (innermost first) that are empty; one that holds anything stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


OPTIONAL_FILES = ("evaluation.json", "evaluation.png", "preview.mp4")  # removed where this render has none
RENDER_FILES = ("captions.ass", "manifest.json", "reel.mp4")  # the video last: its presence means done


def move_render(source: Path, out_dir: Path) -> None:
    """Move a finished render's files from ``source`` into ``out_dir`` (renames on one file system);
    an older render's optional files that this one lacks are removed, never left beside it. Two renders
    publishing into one folder at once take turns, so its files always come from one render."""
    folder = os.open(out_dir, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        for name in OPTIONAL_FILES:
            if (source / name).exists():
                os.replace(source / name, out_dir / name)
            else:
                (out_dir / name).unlink(missing_ok=True)
        for name in RENDER_FILES:
            os.replace(source / name, out_dir / name)
    finally:
        os.close(folder)  # and the lock with it


def publish(work: Path, out_dir: Path, seconds: dict[str, float], duration: float) -> RenderResult:
    """Move a finished render from ``work`` into ``out_dir``."""
    move_render(work, out_dir)
    return RenderResult(video=out_dir / "reel.mp4", manifest=out_dir / "manifest.json",
                        stage_seconds=seconds, duration_s=duration)


def manifest_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"

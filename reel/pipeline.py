"""The render pipeline: script -> portrait -> speech -> captions -> animate + export -> reel.mp4.

Each stage is a plain function of typed inputs; ``render`` chains them, times them, writes into a
temporary folder inside the output folder and moves the results into place only when all succeeded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import reel
from reel import avatars, templates
from reel.animate import animator_version, frame_count, load_animator
from reel.animate.camera import CameraPlan
from reel.captions.align import align_to_script
from reel.captions.ass import caption_box, caption_events, line_width_limit, render_ass
from reel.captions.whisper import transcribe_words, whisper_version
from reel.errors import OutputError, ScriptError
from reel.fsutil import write_text_atomic
from reel.hashing import sha256_file, sha256_text
from reel.media import ffmpeg
from reel.media.loudness import normalizing_filter
from reel.media.probe import measure_loudness, probe
from reel.models import Avatar, Captions, Portrait, Script, SpeechTrack
from reel.script import load_script, require_approved, require_length
from reel.settings import ReelSettings, load_settings
from reel.speech import resolve_voice, synthesize
from reel.speech.recording import MatchReport, speech_from_recording

# progress(stage, done, total): called when a stage starts (done=0) and as it advances.
Progress = Callable[[str, float, float], None]
STAGES = ("script", "portrait", "speech", "captions", "animate+export")


def _no_progress(stage: str, done: float, total: float) -> None:
    pass


@dataclass
class RenderPlan:
    """Everything decided before any heavy work: a bad input fails here, in well under a second."""

    script: Script
    script_path: Path
    avatar: Avatar
    voice: str  # the voice that speaks, or "recording" for an uploaded voiceover
    style: templates.CaptionStyle
    platform: templates.PlatformPreset
    recording: Path | None = None

    @property
    def lexicon(self) -> dict[str, str]:
        return self.avatar.brand.lexicon


@dataclass
class RenderResult:
    video: Path
    manifest: Path
    stage_seconds: dict[str, float] = field(default_factory=dict)
    duration_s: float = 0.0


def plan_render(script_path: Path, settings: ReelSettings, allow_unapproved: bool = False) -> RenderPlan:
    return plan_script(load_script(script_path), script_path, settings, allow_unapproved)


def plan_script(script: Script, script_path: Path, settings: ReelSettings, allow_unapproved: bool = False) -> RenderPlan:
    """Check a script's approval, length, avatar, voice, caption style and platform."""
    require_approved(script, allow_unapproved)
    platform = templates.load_platform(settings.templates_dir, script.platform)
    require_length(script, platform.name, platform.max_seconds)
    avatar = avatars.load_avatar(settings.avatars_dir, script.avatar)
    recording = None
    if script.recording is not None:
        recording = script.recording if script.recording.is_absolute() else script_path.parent / script.recording
        if not recording.is_file():
            raise ScriptError(f"script '{script.id}': voiceover recording not found: {recording}")
        voice = "recording"
    else:
        voice = resolve_voice(script.voice or avatar.voice)
    style = templates.load_caption_style(settings.templates_dir, script.caption_style or avatar.caption_style,
                                         avatar.brand.caption)
    style.font.directory()
    return RenderPlan(script, script_path, avatar, voice, style, platform, recording)


def render(script_path: Path, out_dir: Path, settings: ReelSettings | None = None,
           allow_unapproved: bool = False, progress: Progress = _no_progress, evaluate: bool = False) -> RenderResult:
    """Check the script and its choices, then render it into ``out_dir``."""
    settings = settings or load_settings()
    started = time.perf_counter()
    plan = plan_render(script_path, settings, allow_unapproved)
    return render_plan(plan, out_dir, settings, progress, {"script": time.perf_counter() - started}, evaluate)


def render_plan(plan: RenderPlan, out_dir: Path, settings: ReelSettings, progress: Progress = _no_progress,
                seconds: dict[str, float] | None = None, evaluate: bool = False) -> RenderResult:
    """Render ``plan`` into ``out_dir``; with ``evaluate``, also measure the result (`reel evaluate`)
    into evaluation.json and evaluation.png, and summarise it in the manifest."""
    seconds = dict(seconds or {})
    progress("script", 1, 1)
    with work_dir(out_dir, plan.script.id) as work:
        size = (settings.width, settings.height)
        with _stage("portrait", seconds, progress):
            portrait = avatars.prepare_portrait(plan.avatar, size, settings.cache_dir)
        with _stage("speech", seconds, progress):
            speech, match = speak(plan, settings)
        with _stage("captions", seconds, progress):
            captions = make_captions(speech, plan, work / "captions.ass", size)
        camera = camera_plan(plan.script, speech, portrait)
        with _stage("animate+export", seconds, progress):
            animate_seconds = export_video(portrait, speech, captions, camera, plan, settings, work / "reel.mp4",
                                           lambda done, total: progress("animate+export", done, total))
        seconds["animate"] = animate_seconds
        manifest = build_manifest(plan, portrait, speech, captions, camera, settings, work / "reel.mp4", seconds)
        if match is not None:
            manifest["speech"]["recording"] = recording_summary(plan, match)
        if evaluate:
            with _stage("evaluate", seconds, progress):
                manifest["evaluation"] = evaluate_render(work, portrait, camera, captions, speech,
                                                         lambda done, total: progress("evaluate", done, total))
            manifest["stage_seconds"]["evaluate"] = round(seconds["evaluate"], 3)
        write_text_atomic(work / "manifest.json", manifest_json(manifest))
        return publish(work, out_dir, seconds, manifest["reel"]["video_duration_s"])


def speak(plan: RenderPlan, settings: ReelSettings) -> tuple[SpeechTrack, MatchReport | None]:
    """The script's speech: synthesized by its voice, or its uploaded recording with the match report."""
    if plan.recording is not None:
        return speech_from_recording(plan.script, plan.recording, settings.cache_dir, plan.lexicon,
                                     plan.script.language)
    return synthesize(plan.script, plan.voice, settings.cache_dir, plan.lexicon), None


def recording_summary(plan: RenderPlan, match: MatchReport) -> dict:
    return {"file": str(plan.recording), "language": plan.script.language, "script_words": match.script_words,
            "unmatched_share": round(match.unmatched_share, 3), "unmatched_words": match.unmatched}


def make_captions(speech: SpeechTrack, plan: RenderPlan, path: Path, size: tuple[int, int]) -> Captions:
    heard = transcribe_words(speech.path, plan.script.language)
    words = align_to_script(speech.words, heard, use_speech_timing=bool(speech.phones))
    events = caption_events(words, plan.style, line_width_limit(plan.platform, size))
    write_text_atomic(path, render_ass(events, plan.style, plan.platform, size))
    return Captions(path=path, style=plan.style.id, words=words, events=events,
                    box=caption_box(plan.style, plan.platform, size),
                    timing_source="speech-engine" if speech.phones else "whisper",
                    whisper_model=whisper_version(plan.script.language), sha256=sha256_file(path))


def export_video(portrait: Portrait, speech: SpeechTrack, captions: Captions, camera: CameraPlan, plan: RenderPlan,
                 settings: ReelSettings, out: Path, progress: Callable[[float, float], None]) -> float:
    """Stream animated frames into ffmpeg; returns the seconds spent producing frames."""
    frames = frame_count(speech.duration_s, settings.fps)
    argv = ffmpeg.encode_argv(
        out=out, size=(portrait.width, portrait.height), fps=settings.fps, frames=frames, audio=speech.path,
        audio_filter=normalizing_filter(speech.path, settings.loudness_lufs, settings.true_peak_db),
        subtitles=captions.path, fonts_dir=plan.style.font.directory(),
        preset=settings.x264_preset, crf=settings.x264_crf)
    animator = load_animator(settings.animator)
    base = avatars.load_portrait_pixels(portrait)
    stream = animator.frames(base, portrait, speech, camera, settings.fps, frames, settings.seed)
    timed = _TimedFrames(stream, frames, progress)
    ffmpeg.run_with_frames(argv, timed)
    return timed.seconds


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


def camera_plan(script: Script, speech: SpeechTrack, portrait: Portrait) -> CameraPlan:
    """The script's camera directions on the speech's time line: one move per paragraph, punch-ins on
    the marked phrases."""
    moves = [script.camera_for(i) for i in range(len(script.paragraphs))]
    starts = [0.0] + [span[0] for span in speech.paragraph_spans[1:]]
    punches = [(speech.words[a].start, speech.words[b].end) for a, b in script.punch_words]
    box = portrait.face_box
    return CameraPlan(moves=moves, starts=starts, end=speech.duration_s, punches=punches,
                      focus=((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))


class _TimedFrames:
    """Wraps a frame iterator: counts the time spent making frames and reports progress."""

    def __init__(self, frames: Iterator[np.ndarray], total: int, progress: Callable[[float, float], None]):
        self._frames, self._total, self._progress = frames, total, progress
        self.seconds = 0.0

    def __iter__(self) -> Iterator[np.ndarray]:
        done = 0
        while True:
            started = time.perf_counter()
            frame = next(self._frames, None)
            self.seconds += time.perf_counter() - started
            if frame is None:
                return
            yield frame
            done += 1
            if done % 15 == 0 or done == self._total:
                self._progress(done, self._total)


def build_manifest(plan: RenderPlan, portrait: Portrait, speech: SpeechTrack, captions: Captions, camera: CameraPlan,
                   settings: ReelSettings, video: Path, seconds: dict[str, float]) -> dict:
    info = probe(video)
    loudness = measure_loudness(video)
    heard = [w for w in captions.words if w.whisper_start is not None]
    deviation = [abs(w.whisper_start - w.speech_start) for w in heard]
    return {
        "reel": {"path": "reel.mp4", "sha256": sha256_file(video), "bytes": video.stat().st_size, **info, **loudness},
        "script": {"id": plan.script.id, "title": plan.script.title, "path": str(plan.script_path),
                   "sha256": sha256_file(plan.script_path), "text_sha256": sha256_text(plan.script.text),
                   "approval": plan.script.approval.model_dump(mode="json"), "words": len(plan.script.words)},
        "avatar": {"id": plan.avatar.id, "portrait_sha256": portrait.source_sha256,
                   "framed_sha256": portrait.sha256},
        "speech": {"voice": speech.voice, "sha256": speech.sha256, "duration_s": round(speech.duration_s, 3)},
        "animation": {"camera": dataclasses.asdict(camera), "seed": settings.seed},
        "engines": {"reel": reel.__version__, "speech": speech.engine, "animator": animator_version(settings.animator),
                    "captions": captions.whisper_model, "ffmpeg": Path(ffmpeg.ffmpeg_exe()).name},
        "settings": {"seed": settings.seed, "fps": settings.fps, "size": [settings.width, settings.height],
                     "x264": f"{settings.x264_preset} crf {settings.x264_crf}", "loudness_lufs": settings.loudness_lufs},
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
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@contextmanager
def _stage(name: str, seconds: dict[str, float], progress: Progress) -> Iterator[None]:
    progress(name, 0, 1)
    started = time.perf_counter()
    yield
    seconds[name] = time.perf_counter() - started
    progress(name, 1, 1)


@contextmanager
def work_dir(out_dir: Path, script_id: str) -> Iterator[Path]:
    """A temp folder inside ``out_dir`` (same file system, so publishing is a rename); always removed."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{script_id}-", dir=out_dir))
    except OSError as error:
        raise OutputError(f"cannot write to output folder {out_dir}: {error.strerror}; choose another with --out") from error
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish(work: Path, out_dir: Path, seconds: dict[str, float], duration: float) -> RenderResult:
    """Move a finished render from ``work`` into ``out_dir`` (renames on one file system)."""
    for name in ("evaluation.json", "evaluation.png"):
        if (work / name).exists():
            os.replace(work / name, out_dir / name)
        else:
            (out_dir / name).unlink(missing_ok=True)  # never leave an older render's report beside this one
    for name in ("captions.ass", "manifest.json", "reel.mp4"):  # the video last: its presence means done
        os.replace(work / name, out_dir / name)
    return RenderResult(video=out_dir / "reel.mp4", manifest=out_dir / "manifest.json",
                        stage_seconds=seconds, duration_s=duration)


def manifest_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"

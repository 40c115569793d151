"""Step 5: the video. Frames stream from the animator through the face pass (mouth and blinks) and
the camera pass into ffmpeg, which burns in the captions and normalizes the loudness; no reel is
ever held whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from reel import avatars
from reel.animate import ANIMATORS, frame_count
from reel.animate.base import AUDIO_RATE, AnimationJob
from reel.animate.camera import camera_pass
from reel.animate.face import FacePass
from reel.engines import engine_device
from reel.fsutil import atomic_path
from reel.hashing import sha256_file
from reel.media import ffmpeg
from reel.media.audio import read_audio
from reel.media.loudness import normalizing_filter
from reel.models import CameraPlan, Captions, Portrait, SpeechTrack, Video
from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.steps.base import EngineChoice, Progress, Step


class EncodeSettings(BaseModel):
    fps: int
    x264_preset: str
    x264_crf: int
    loudness_lufs: float
    true_peak_db: float
    ffmpeg: str


class VideoInput(BaseModel):
    portrait: Portrait
    speech: SpeechTrack
    captions: Captions
    camera: CameraPlan
    animator: EngineChoice
    directions: list[tuple[float, str]]  # [visual: ...] per paragraph start, for animators that take them
    seed: int
    encode: EncodeSettings


def _video_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> VideoInput:
    options = plan.animator_options
    animator = EngineChoice(name=plan.animator, version=ANIMATORS.version(plan.animator),
                            options=options.model_dump(), device=engine_device(options),
                            unkeyed=sorted(options.UNKEYED))
    encode = EncodeSettings(fps=settings.fps, x264_preset=settings.x264_preset, x264_crf=settings.x264_crf,
                            loudness_lufs=settings.loudness_lufs, true_peak_db=settings.true_peak_db,
                            ffmpeg=Path(ffmpeg.ffmpeg_exe()).name)
    takes_directions = ANIMATORS.engine_class(plan.animator).takes_directions
    directions = visual_directions(plan, done["camera"]) if takes_directions else []
    return VideoInput(portrait=done["portrait"], speech=done["speech"], captions=done["captions"],
                      camera=done["camera"], animator=animator, directions=directions, seed=settings.seed,
                      encode=encode)


def visual_directions(plan: RenderPlan, camera: CameraPlan) -> list[tuple[float, str]]:
    """(start in seconds, direction) of each paragraph with a [visual: ...] direction."""
    return [(start, paragraph.visual) for start, paragraph in zip(camera.starts, plan.script.paragraphs)
            if paragraph.visual]


def frame_stream(inputs: VideoInput, report: dict | None = None, progress: Progress | None = None
                 ) -> Iterator[np.ndarray]:
    """The reel's frames: the animator's, shaped by the face pass where the engine runs it, then moved
    by the camera pass. ``progress`` counts frames, or the engine's own work where it reports that."""
    portrait, speech, fps = inputs.portrait, inputs.speech, inputs.encode.fps
    frames = frame_count(speech.duration_s, fps)
    audio = read_audio(speech.path, AUDIO_RATE)
    job = AnimationJob(portrait=portrait, base=avatars.load_portrait_pixels(portrait), speech=speech, audio=audio,
                       fps=fps, frames=frames, seed=inputs.seed, directions=inputs.directions,
                       face=FacePass(portrait, speech, audio, AUDIO_RATE, fps, frames, inputs.seed),
                       report=report if report is not None else {})
    animator = ANIMATORS.load(inputs.animator.name, inputs.animator.options)
    stream = animator.frames(job)
    if progress is not None:
        if animator.reports_progress:
            job.progress = progress
        else:
            stream = _reporting(stream, frames, progress)
    return camera_pass(stream, inputs.camera, fps, frames, (portrait.width, portrait.height))


def _render_video(inputs: VideoInput, files: Path, progress: Progress) -> Video:
    """The frame stream -> ffmpeg (captions burnt in, loudness normalized)."""
    portrait, speech, encode = inputs.portrait, inputs.speech, inputs.encode
    size, frames = (portrait.width, portrait.height), frame_count(speech.duration_s, encode.fps)
    report: dict = {}
    stream = frame_stream(inputs, report, progress)
    path = files.with_suffix(".mp4")
    with atomic_path(path) as tmp:
        argv = ffmpeg.encode_argv(
            out=tmp, size=size, fps=encode.fps, frames=frames, audio=speech.path,
            audio_filter=normalizing_filter(speech.path, encode.loudness_lufs, encode.true_peak_db),
            subtitles=inputs.captions.path, fonts_dir=inputs.captions.fonts_dir,
            preset=encode.x264_preset, crf=encode.x264_crf)
        ffmpeg.run_with_frames(argv, stream)
    return Video(path=path, frames=frames, sha256=sha256_file(path), animator_report=report)


def _reporting(frames: Iterator[np.ndarray], total: int, progress: Progress) -> Iterator[np.ndarray]:
    for done, frame in enumerate(frames, start=1):
        yield frame
        if done % 15 == 0 or done == total:
            progress(done, total, "frame")


VIDEO = Step("video", "4", Video, _video_input, _render_video, device=lambda inputs: inputs.animator.device)

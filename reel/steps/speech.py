"""Step 2: the script spoken by its voice (or its uploaded recording), every written word timed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel

from reel.captions.whisper import whisper_version
from reel.engines import engine_device
from reel.hashing import sha256_file
from reel.models import Script, SpeechTrack, SpokenParagraph, StoredPath
from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.speech import SPEECH_ENGINES, get_voice
from reel.speech.cloning import ClonedVoice
from reel.speech.compose import compose, spoken_paragraphs
from reel.speech.recording import speech_from_recording
from reel.steps.base import EngineChoice, Progress, Step, package_version


class RecordingChoice(BaseModel):
    path: StoredPath
    name: str  # the speech names its recording
    sha256: str
    whisper: str


class CloneChoice(BaseModel):
    reference: StoredPath  # the speaker's recording that the voice imitates
    sha256: str


class SpeechInput(BaseModel):
    """Either a voice (engine, speaker, options; a cloned voice's reference clip) or an uploaded
    recording, with the words to say: each written caption word and its spoken form ("$5" / "five
    dollars"), paragraph by paragraph."""

    voice: str
    speaker: str  # the engine's name for the voice
    weights: str  # the package that ships the voice's weights, and its version ("" for none)
    engine: EngineChoice | None
    recording: RecordingChoice | None
    clone: CloneChoice | None = None
    paragraphs: list[SpokenParagraph]
    speaking_rate: float
    language: str


def speech_input(script: Script, voice: str, lexicon: Mapping[str, str], recording: Path | None = None,
                 clone: ClonedVoice | None = None) -> SpeechInput:
    """What ``voice`` (or the uploaded ``recording``) needs to speak ``script``."""
    engine = choice = None
    speaker = weights = ""
    if recording is not None:
        choice = RecordingChoice(path=recording, name=recording.name, sha256=sha256_file(recording),
                                 whisper=whisper_version(script.language))
    else:
        spec = get_voice(voice)
        speaker, weights = spec.speaker, f"{spec.package} {package_version(spec.package)}" if spec.package else ""
        options = SPEECH_ENGINES.options(spec.engine)
        engine = EngineChoice(name=spec.engine, version=SPEECH_ENGINES.version(spec.engine),
                              options=options.model_dump(), device=engine_device(options))
    cloned = CloneChoice(reference=clone.reference, sha256=clone.sha256) if clone else None
    return SpeechInput(voice=voice, speaker=speaker, weights=weights, engine=engine, recording=choice, clone=cloned,
                       paragraphs=spoken_paragraphs(script, lexicon), speaking_rate=script.speaking_rate,
                       language=script.language)


def _speech_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> SpeechInput:
    return speech_input(plan.script, plan.voice, plan.lexicon, plan.recording, plan.clone)


def _speak(inputs: SpeechInput, files: Path, progress: Progress) -> SpeechTrack:
    if inputs.recording is not None:
        return speech_from_recording(inputs.paragraphs, inputs.recording.path, files.with_suffix(".wav"),
                                     inputs.language)
    engine = SPEECH_ENGINES.load(inputs.engine.name, inputs.engine.options)
    voice = get_voice(inputs.voice)
    if inputs.clone is not None:
        voice = replace(voice, reference=str(inputs.clone.reference))
    return compose(engine, voice, inputs.paragraphs, inputs.speaking_rate, files.with_suffix(".wav"))


SPEECH = Step("speech", "2", SpeechTrack, _speech_input, _speak,
              device=lambda inputs: inputs.engine.device if inputs.engine else "cpu")

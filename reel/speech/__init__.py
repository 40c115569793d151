"""Speech synthesis: a registry of voices, each served by a speech engine."""

from reel.speech.registry import SPEECH_ENGINES, VOICES, get_voice, load_voice_engine, resolve_voice

__all__ = ["SPEECH_ENGINES", "VOICES", "get_voice", "load_voice_engine", "resolve_voice"]

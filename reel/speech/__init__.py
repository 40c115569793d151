"""Speech synthesis: a registry of voices, each served by a speech engine."""

from reel.speech.registry import VOICES, VoiceSpec, get_voice, load_engine, resolve_voice, synthesize

__all__ = ["VOICES", "VoiceSpec", "get_voice", "load_engine", "resolve_voice", "synthesize"]

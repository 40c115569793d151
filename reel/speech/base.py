"""What a speech engine is: a voice registry entry, the protocol every engine follows, its output."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from reel.engines import EngineOptions


@dataclass(frozen=True)
class VoiceSpec:
    id: str
    engine: str  # name in SPEECH_ENGINES
    package: str  # pip package that ships the voice's weights ("" when the engine itself has them)
    description: str
    license: str
    speaker: str = ""  # the engine's own name for this voice, where one model has several
    reference: str = ""  # a cloned voice: the recording of the speaker it imitates (set per render)


@dataclass
class Sentence:
    audio: np.ndarray  # float32 mono in [-1, 1] at the engine's sample rate
    phones: list[tuple[str, int]]  # (phoneme, samples); empty when the engine cannot time phonemes


class SpeechEngine(Protocol):
    """One instance per (engine, options) per process serves every voice of that engine."""

    name: ClassVar[str]
    Options: ClassVar[type[EngineOptions]]
    install_hint: ClassVar[str]  # what to install when is_installed() is False

    @classmethod
    def is_installed(cls) -> bool: ...

    @classmethod
    def version(cls) -> str: ...

    def sample_rate(self, voice: VoiceSpec) -> int: ...

    def sentences(self, text: str, rate: float, voice: VoiceSpec) -> Iterator[Sentence]: ...

    def word_phonemes(self, spoken: str, voice: VoiceSpec) -> list[str]: ...

"""A stub voice for fast tests of the pipeline: one short tone per letter, timed exactly, no speech.

Whisper hears nothing in it, so captions keep the engine's timing and the Whisper check finds no
words; everything else (timings, the mouth, captions, export) behaves as with a real voice.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from reel.engines import Engine
from reel.speech.base import Sentence, VoiceSpec

SAMPLE_RATE = 16000
_LETTER_S = 0.06
_GAP_S = 0.04  # silence between words


class ToneEngine(Engine):
    name = "tone"

    @classmethod
    def version(cls) -> str:
        return "tone 1"

    def sample_rate(self, voice: VoiceSpec) -> int:
        return SAMPLE_RATE

    def sentences(self, text: str, rate: float, voice: VoiceSpec) -> Iterator[Sentence]:
        letter, gap = round(_LETTER_S * SAMPLE_RATE / rate), round(_GAP_S * SAMPLE_RATE / rate)
        chunks, phones = [], []
        for word in text.split():
            for ch in self.word_phonemes(word, voice):
                t = np.arange(letter) / SAMPLE_RATE
                pitch = 180.0 + 12.0 * (ord(ch) % 20)
                chunks.append(0.3 * np.sin(2 * np.pi * pitch * t) * np.hanning(letter))
                phones.append((ch, letter))
            chunks.append(np.zeros(gap))
            phones.append(("_", gap))
        yield Sentence(np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32), phones)

    def word_phonemes(self, spoken: str, voice: VoiceSpec) -> list[str]:
        return [ch for ch in spoken.lower() if ch.isalnum()]

"""Piper neural TTS (piper-tts, GPL-3.0-or-later) with exact per-phoneme timings."""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterator

from reel.errors import EngineError
from reel.speech.compose import Sentence
from reel.speech.registry import VoiceSpec


class PiperEngine:
    name = "piper-tts"

    def __init__(self, spec: VoiceSpec) -> None:
        try:
            from piper import PiperVoice
            voice_package = importlib.import_module(spec.package)
        except ImportError as error:
            raise EngineError(f"voice '{spec.id}' needs piper-tts and {spec.package}: pip install -e .") from error
        self.spec = spec
        self.version = importlib.metadata.version("piper-tts")
        # include_alignments patches the ONNX graph in memory so it reports samples per phoneme.
        self.voice = PiperVoice.load(voice_package.model_path(), include_alignments=True)
        self.sample_rate = self.voice.config.sample_rate

    def sentences(self, text: str, rate: float) -> Iterator[Sentence]:
        from piper import SynthesisConfig

        pace = SynthesisConfig(length_scale=(self.voice.config.length_scale or 1.0) * length_factor(rate))
        for sentence in self.voice.synthesize(text, syn_config=pace, include_alignments=True):
            if not sentence.phoneme_alignments:
                raise EngineError(f"voice '{self.spec.id}' gave no phoneme timings: reinstall onnx (pip install onnx)")
            phones = [(a.phoneme, int(a.num_samples)) for a in sentence.phoneme_alignments]
            yield Sentence(sentence.audio_float_array, phones)

    def word_phonemes(self, spoken: str) -> list[str]:
        return [p for sentence in self.voice.phonemize(spoken) for p in sentence]


def length_factor(rate: float) -> float:
    """Piper length scale (relative to the voice's) that makes speech last 1/rate as long.

    Measured on the joe voice: the audio's length moves only about two thirds as much as the length
    scale (scale 0.5 -> 0.65x the duration, 1.25 -> 1.16x), so the scale is stretched to match.
    """
    return max(0.25, (1 / rate - _FIXED_SHARE) / (1 - _FIXED_SHARE))


_FIXED_SHARE = 0.33  # share of the speech's length that does not follow the length scale

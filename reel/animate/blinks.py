"""Eye blinks at a natural, seeded-random rhythm."""

from __future__ import annotations

import numpy as np

_INTERVAL_S = (2.2, 5.8)  # about 15 blinks a minute
_DURATION_S = (0.14, 0.26)
_CLOSING_SHARE = 0.4  # lids close faster than they open
_FIRST_AFTER_S = 1.0  # the reel opens on the still portrait


def blink_track(seed: int, fps: int, frames: int) -> np.ndarray:
    """Lid closure in [0, 1] for each frame."""
    rng = np.random.default_rng(seed)
    closure = np.zeros(frames, dtype=np.float32)
    times = np.arange(frames) / fps
    start = _FIRST_AFTER_S + rng.uniform(0.3, 1.5)
    while start < frames / fps:
        duration = rng.uniform(*_DURATION_S)
        phase = (times - start) / duration
        inside = (phase >= 0) & (phase <= 1)
        closing = np.clip(phase / _CLOSING_SHARE, 0, 1)
        opening = np.clip((1 - phase) / (1 - _CLOSING_SHARE), 0, 1)
        shape = np.minimum(_smoothstep(closing), _smoothstep(opening))
        closure[inside] = np.maximum(closure[inside], shape[inside])
        start += duration + rng.uniform(*_INTERVAL_S)
    return closure


def _smoothstep(x: np.ndarray) -> np.ndarray:
    return x * x * (3 - 2 * x)

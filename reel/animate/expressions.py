"""Expressions from the speech: the brows rise on stressed syllables (most on the first of a phrase)
and lift over the end of a question, holding into the pause after it; the portrait's smile eases
while the person talks and comes back in the pauses.

A track is one number per frame in [0, 1] (1: the rig's largest raise); it is seeded, smooth, and
zero for the opening moments, where the reel shows the still portrait.
"""

from __future__ import annotations

import numpy as np

from reel.animate.head import Prosody, gaussian

_ACCENT = (0.75, 0.4)  # raise on the first stress of a phrase, on later stresses
_ACCENT_S = 0.5  # a raise goes up and back down in this time, starting just before the vowel
_LEAD_S = 0.12
_QUESTION = 0.9
_QUESTION_RISE_S = 0.6  # over the question's last words ...
_QUESTION_HOLD_S = 0.35  # ... and held into the pause after it
_FADE_IN_S = 0.6
_SMOOTH_S = 0.05


def brow_track(prosody: Prosody, fps: int, frames: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 2)  # its own stream: blinks and head motion keep theirs
    t = np.arange(frames) / fps
    raise_ = np.zeros(frames)
    for at, first in prosody.accents:
        u = np.clip((t - at + _LEAD_S) / _ACCENT_S, 0, 1)
        raise_ = np.maximum(raise_, _ACCENT[0 if first else 1] * rng.uniform(0.8, 1.2) * np.sin(np.pi * u) ** 2)
    for end in prosody.questions:
        rise = np.clip((t - end + _QUESTION_RISE_S) / _QUESTION_RISE_S, 0, 1)
        fall = np.clip((end + _QUESTION_HOLD_S + 0.3 - t) / 0.3, 0, 1)
        raise_ = np.maximum(raise_, _QUESTION * np.minimum(rise * rise * (3 - 2 * rise), fall))
    fade = np.clip(t / _FADE_IN_S, 0, 1)
    return np.clip(gaussian(raise_, _SMOOTH_S * fps) * fade * fade, 0, 1).astype(np.float32)


def smile_relax_track(prosody: Prosody, fps: int, frames: int) -> np.ndarray:
    """1 while speaking, 0 in pauses; steeper than the eased pause track, so the smile is back early
    in a pause."""
    fade = np.clip(np.arange(frames) / fps / _FADE_IN_S, 0, 1)
    return np.clip((1.5 * (1 - prosody.quiet) - 0.25) * fade, 0, 1).astype(np.float32)

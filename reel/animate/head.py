"""Head motion: small nods on stressed syllables, a tilt that changes at phrase boundaries, a slow
turn, an idle sway in pauses; rendered as a smooth warp of the head region only.

The warp moves every pixel of the head by a rotation about the neck plus a shift, weighted by a
mask that is 1 on the head and falls smoothly to 0 across a band around it: the head moves, the
background outside the band stays exactly as it is, and nothing tears in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from reel.faces.landmarks import CHIN, FACE_OVAL, JAW
from reel.models import Phone

MAX_ANGLE_DEG = 4.0
_NOD_S = 0.5  # a nod goes down and back up in this time
_NOD_DEG = (1.4, 0.6)  # first stress of a phrase, later stresses
_TILT_DEG = 2.2
_TILT_EASE_S = 0.8
_TURN_DEG = 1.2
_SWAY_DEG = 0.5
_FADE_IN_S = 0.6  # the reel opens on the still portrait
_SMOOTH_S = 0.06
_BAND = 0.35  # width of the fade-out band, as a share of the head ellipse's radii


@dataclass(frozen=True)
class HeadPose:
    """Per-frame angles in degrees: pitch (nod, + is chin down), yaw (turn), roll (tilt)."""

    pitch: np.ndarray
    yaw: np.ndarray
    roll: np.ndarray


@dataclass(frozen=True)
class HeadRegion:
    """An ellipse around face and hair: weight 1 inside, falling to 0 across a band outside it."""

    center: tuple[float, float]
    axes: tuple[float, float]
    pivot: tuple[float, float]  # the base of the neck: the head rotates about it
    face_size: float

    def weight(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        rho = np.sqrt(((x - self.center[0]) / self.axes[0]) ** 2 + ((y - self.center[1]) / self.axes[1]) ** 2)
        u = np.clip((rho - 1) / _BAND, 0, 1)
        return (1 - u * u * (3 - 2 * u)).astype(np.float32)

    def bounds(self, size: tuple[int, int]) -> tuple[int, int, int, int]:
        """x0, y0, x1, y1 of the pixels the warp can change, clipped to the frame."""
        (cx, cy), (a, b) = self.center, self.axes
        a, b = a * (1 + _BAND) + 2, b * (1 + _BAND) + 2
        return (max(0, int(cx - a)), max(0, int(cy - b)), min(size[0], int(np.ceil(cx + a))),
                min(size[1], int(np.ceil(cy + b))))

    def outside(self, size: tuple[int, int], margin_px: float = 0.0) -> np.ndarray:
        """Boolean mask of the pixels the head warp never touches (shrunk by ``margin_px``)."""
        ys, xs = np.mgrid[0:size[1], 0:size[0]].astype(np.float32)
        (cx, cy), (a, b) = self.center, self.axes
        scale = 1 + _BAND
        rho = np.sqrt(((xs - cx) / (a * scale + margin_px)) ** 2 + ((ys - cy) / (b * scale + margin_px)) ** 2)
        return rho > 1


def head_region(landmarks: np.ndarray) -> HeadRegion:
    """The head region of a face: the face oval widened for hair and ears, from above the hairline to the chin."""
    oval = landmarks[FACE_OVAL]
    left, right = float(oval[:, 0].min()), float(oval[:, 0].max())
    top, chin = float(oval[:, 1].min()), float(landmarks[CHIN, 1])
    face_w, face_h = right - left, chin - top
    y0, y1 = top - 0.35 * face_h, chin + 0.12 * face_h
    jaw = landmarks[JAW]
    pivot = (float(jaw[:, 0].mean()), chin + 0.45 * face_h)
    return HeadRegion(center=((left + right) / 2, (y0 + y1) / 2), axes=(0.62 * face_w, (y1 - y0) / 2),
                      pivot=pivot, face_size=face_h)


@dataclass(frozen=True)
class Prosody:
    accents: list[tuple[float, bool]]  # stressed-syllable times, and whether each opens a phrase
    phrase_starts: list[float]
    quiet: np.ndarray  # per frame: 1 in a pause, 0 while speaking, eased in between
    questions: tuple[float, ...] = ()  # where each question ends (its "?")


def head_track(prosody: Prosody, fps: int, frames: int, seed: int, amount: float = 1.0) -> HeadPose:
    """Nods on stressed syllables, tilts from phrase to phrase, a slow turn and an idle sway in pauses,
    all scaled by ``amount``."""
    rng = np.random.default_rng(seed + 1)  # its own stream: changing blinks never changes the head
    t = np.arange(frames) / fps
    accents, phrase_starts, quiet = prosody.accents, prosody.phrase_starts, prosody.quiet
    pitch = np.zeros(frames)
    for at, first in accents:
        amplitude = _NOD_DEG[0 if first else 1] * rng.uniform(0.7, 1.3)
        u = np.clip((t - at + 0.08) / _NOD_S, 0, 1)
        pitch += amplitude * np.sin(np.pi * u) ** 2
    roll = np.zeros(frames)
    level = 0.0
    for at in phrase_starts:
        target = rng.uniform(-_TILT_DEG, _TILT_DEG)
        u = np.clip((t - at + 0.2) / _TILT_EASE_S, 0, 1)
        roll += (target - level) * u * u * (3 - 2 * u)
        level = target
    periods = rng.uniform(5.0, 9.0, 2)
    phases = rng.uniform(0, 2 * np.pi, 4)
    yaw = _TURN_DEG * 0.5 * (np.sin(2 * np.pi * t / periods[0] + phases[0]) + np.sin(2 * np.pi * t / periods[1] + phases[1]))
    sway = _SWAY_DEG * quiet
    roll += sway * np.sin(2 * np.pi * t / 3.1 + phases[2])
    yaw += sway * np.sin(2 * np.pi * t / 2.3 + phases[3])
    fade = np.clip(t / _FADE_IN_S, 0, 1)
    fade = amount * fade * fade * (3 - 2 * fade)
    smooth = [np.clip(gaussian(angle, _SMOOTH_S * fps) * fade, -MAX_ANGLE_DEG, MAX_ANGLE_DEG)
              for angle in (pitch, yaw, roll)]
    for angle in smooth:
        angle[0] = 0.0  # the first frame is the portrait itself
    return HeadPose(*smooth)


def prosody_from_phones(phones: list[Phone], fps: int, frames: int) -> Prosody:
    """Stresses, phrases and pauses from the speech engine's timed phonemes (stress marks, punctuation)."""
    t = np.arange(frames) / fps
    accents: list[tuple[float, bool]] = []
    phrase_starts: list[float] = []
    quiet = np.ones_like(t)
    questions: list[float] = []
    new_phrase, accented = True, False
    for phone in phones:
        if phone.phoneme == "?":
            questions.append(phone.start)
        if phone.phoneme in ",.;:!?—–…^$_":
            new_phrase, accented = True, False
            continue
        if new_phrase and phone.phoneme.strip():
            phrase_starts.append(phone.start)
        if phone.phoneme == "ˈ":
            accents.append((phone.end, not accented))
            accented = True
        if phone.phoneme.strip():
            new_phrase = False
            quiet[(t >= phone.start) & (t < phone.end)] = 0.0
    return Prosody(accents, phrase_starts, np.clip(gaussian(quiet, 0.2 * fps), 0, 1), tuple(questions))


def prosody_from_loudness(loudness: np.ndarray, fps: int) -> Prosody:
    """The same from the audio alone (a recording without phonemes): loudness peaks at least 0.3 s
    apart are the stresses, speech after a pause of 0.25 s or more opens a phrase."""
    speaking = loudness >= 0.25
    quiet = (~speaking).astype(float)
    accents: list[tuple[float, bool]] = []
    phrase_starts: list[float] = []
    silent_for = np.inf
    last_accent = -np.inf
    for i in range(len(loudness)):
        t = i / fps
        if not speaking[i]:
            silent_for = silent_for + 1 / fps if np.isfinite(silent_for) else np.inf
            continue
        opens = silent_for >= 0.25
        if opens:
            phrase_starts.append(t)
        silent_for = 0.0
        peak = loudness[i] >= 0.8 and loudness[i] == loudness[max(0, i - 3):i + 4].max()
        if peak and t - last_accent >= 0.3:
            accents.append((t - 0.1, t - phrase_starts[-1] < 0.6 if phrase_starts else False))
            last_accent = t
    return Prosody(accents, phrase_starts, np.clip(gaussian(quiet, 0.2 * fps), 0, 1))


class HeadRig:
    """Moves the head region of a frame by a rotation about the neck plus a shift (nod, turn)."""

    def __init__(self, region: HeadRegion, size: tuple[int, int], include: list[tuple[slice, slice]] = ()):
        """``include``: other regions (face rigs) whose pixels must be carried over too."""
        self.region = region
        x0, y0, x1, y1 = region.bounds(size)
        for rows, cols in include:
            x0, y0, x1, y1 = min(x0, cols.start), min(y0, rows.start), max(x1, cols.stop), max(y1, rows.stop)
        self.slices = slice(y0, y1), slice(x0, x1)
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        weight = region.weight(xs, ys)
        px, py = region.pivot
        self.grid_x, self.grid_y = xs - x0, ys - y0
        self.weight = weight
        self.weighted_dx, self.weighted_dy = weight * (xs - px), weight * (ys - py)
        # A nod turns the face about the neck: the face centre moves about this far per radian.
        self.radius = 0.6 * region.face_size

    def apply(self, out: np.ndarray, frame: np.ndarray, pitch: float, yaw: float, roll: float) -> None:
        """Write ``frame``'s head region, moved, into ``out`` (full frames; other pixels untouched)."""
        rows, cols = self.slices
        if abs(pitch) + abs(yaw) + abs(roll) < 1e-3:
            out[rows, cols] = frame[rows, cols]
            return
        angle = np.radians(roll)
        c1, s = float(np.cos(angle)) - 1.0, float(np.sin(angle))  # Python floats keep the maps float32
        shift_x = self.radius * float(np.sin(np.radians(yaw)))
        shift_y = self.radius * float(np.sin(np.radians(pitch)))
        # Destination -> source: undo the weighted rotation and shift (small motions: first order is exact enough).
        map_x = self.grid_x - (c1 * self.weighted_dx - s * self.weighted_dy + shift_x * self.weight)
        map_y = self.grid_y - (s * self.weighted_dx + c1 * self.weighted_dy + shift_y * self.weight)
        out[rows, cols] = cv2.remap(frame[rows, cols], map_x, map_y, cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)


def gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    return np.convolve(np.pad(values, radius, mode="edge"), kernel, mode="valid")

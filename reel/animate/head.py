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
_SPEAKING = 0.25  # loudness (0: 40 dB under the speech peaks, 1: the peaks) of speech
_PAUSE_S = 0.25  # a silence this long is a pause
_RELIEF_BAND = 0.12  # the face's relief fades out over this share of its width outside its outline
_RELIEF_SMOOTH = 0.015  # ... and is smoothed over this share of its width


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


def prosody_from_phones(phones: list[Phone], fps: int, frames: int, loudness: np.ndarray | None = None) -> Prosody:
    """Stresses, phrases and pauses from the speech engine's timed phonemes (stress marks, punctuation).
    With the speech's ``loudness`` per frame, a silence of 0.25 s or more is a pause too, where the
    timings stretch a sound over it."""
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
    if loudness is not None:
        quiet[silences(loudness < _SPEAKING, int(_PAUSE_S * fps))] = 1.0
    return Prosody(accents, phrase_starts, np.clip(gaussian(quiet, 0.2 * fps), 0, 1), tuple(questions))


def silences(silent: np.ndarray, min_frames: int) -> np.ndarray:
    """The frames of ``silent`` that lie in runs of at least ``min_frames``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(int), [0]])))
    keep = np.zeros(len(silent), bool)
    for a, b in zip(edges[::2], edges[1::2]):
        keep[a:b] = b - a >= min_frames
    return keep


def prosody_from_loudness(loudness: np.ndarray, fps: int) -> Prosody:
    """The same from the audio alone (a recording without phonemes): loudness peaks at least 0.3 s
    apart are the stresses, speech after a pause of 0.25 s or more opens a phrase."""
    speaking = loudness >= _SPEAKING
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
        opens = silent_for >= _PAUSE_S
        if opens:
            phrase_starts.append(t)
        silent_for = 0.0
        peak = loudness[i] >= 0.8 and loudness[i] == loudness[max(0, i - 3):i + 4].max()
        if peak and t - last_accent >= 0.3:
            accents.append((t - 0.1, t - phrase_starts[-1] < 0.6 if phrase_starts else False))
            last_accent = t
    return Prosody(accents, phrase_starts, np.clip(gaussian(quiet, 0.2 * fps), 0, 1))


class HeadRig:
    """Moves the head region of a frame by a rotation about the neck plus a shift (nod, turn); with
    the face's depth, a turn or nod also moves each part of the face by its distance from the camera
    (the nose more than the cheeks), so the near cheek widens and the far cheek narrows."""

    def __init__(self, region: HeadRegion, size: tuple[int, int], include: list[tuple[slice, slice]] = (),
                 landmarks: np.ndarray | None = None, depth: np.ndarray | None = None):
        """``include``: other regions (face rigs) whose pixels must be carried over too. ``landmarks`` and
        ``depth``: the face mesh's points and their depths (none: the head turns as a flat picture)."""
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
        self.relief = None
        if landmarks is not None and depth is not None and len(depth) == len(landmarks):
            relief = face_relief(np.asarray(landmarks, np.float32), np.asarray(depth, np.float32), (x0, y0), xs.shape)
            self._init_relief(relief, (px - x0, py - y0))

    def _init_relief(self, relief: np.ndarray, pivot: tuple[float, float]) -> None:
        """Keep the relief where it is not zero (the face), with the relief times its own slope along
        x and y (for each pixel's own relief move, see ``_add_relief``), padded with zeros by the most
        the head can move them."""
        ys, xs = np.nonzero(np.abs(relief) > 0.05)
        self.relief_box = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
        sin_max = float(np.sin(np.radians(MAX_ANGLE_DEG)))
        corner = np.array([xs.min(), ys.min()], np.float64) - pivot  # of the box, from the pivot
        far = float(np.abs(corner).max() + max(relief.shape))
        self.relief_pad = pad = int(np.ceil(sin_max * (self.radius + far))) + 2
        box = np.pad(relief[self.relief_box], pad)
        slope_y, slope_x = np.gradient(box)
        self.relief = np.stack([box, box * slope_x, box * slope_y])
        self.relief_corner = corner

    def apply(self, out: np.ndarray, frame: np.ndarray, pitch: float, yaw: float, roll: float) -> None:
        """Write ``frame``'s head region, moved, into ``out`` (full frames; other pixels untouched)."""
        rows, cols = self.slices
        if abs(pitch) + abs(yaw) + abs(roll) < 1e-3:
            out[rows, cols] = frame[rows, cols]
            return
        angle = np.radians(roll)
        c1, s = float(np.cos(angle)) - 1.0, float(np.sin(angle))  # Python floats keep the maps float32
        sin_yaw, sin_pitch = float(np.sin(np.radians(yaw))), float(np.sin(np.radians(pitch)))
        shift_x, shift_y = self.radius * sin_yaw, self.radius * sin_pitch
        # Destination -> source: undo the weighted rotation and shift (small motions: first order is exact enough).
        map_x = self.grid_x - (c1 * self.weighted_dx - s * self.weighted_dy + shift_x * self.weight)
        map_y = self.grid_y - (s * self.weighted_dx + c1 * self.weighted_dy + shift_y * self.weight)
        if self.relief is not None:  # parts of the face nearer the camera than its outline move further
            self._add_relief(map_x, map_y, c1, s, shift_x, shift_y, sin_yaw, sin_pitch)
        out[rows, cols] = cv2.remap(frame[rows, cols], map_x, map_y, cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)

    def _add_relief(self, map_x: np.ndarray, map_y: np.ndarray, c1: float, s: float, shift_x: float, shift_y: float,
                    sin_yaw: float, sin_pitch: float) -> None:
        """Move each face pixel by its relief r times the turn's sine. r is wanted where the pixel comes
        from: the head's rigid move (rotation about the neck plus shift; the face lies where its weight
        is 1) is an affine map, so one warp of the padded fields finds it, and the pixel's own relief
        move enters to first order, r - sine * r * slope. Against the exact lookup (iterated), for
        poses within 2 degrees: 99 % of the face within 0.03 px, all within 0.3 px (within 4 degrees:
        0.2 and 1.4 px)."""
        rows, cols = self.relief_box
        pad, (cx, cy) = self.relief_pad, self.relief_corner
        # Box pixel j -> where it comes from in the padded fields: j - D(j), D the rigid move.
        matrix = np.array([[1 - c1, s, pad - (c1 * cx - s * cy) - shift_x],
                           [-s, 1 - c1, pad - (s * cx + c1 * cy) - shift_y]], np.float64)
        width, height = cols.stop - cols.start, rows.stop - rows.start
        relief = cv2.warpAffine(self.relief[0], matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        # The slope terms are a small correction: shifted by the move at the box's middle, not warped.
        mx, my = (round(float(v)) for v in matrix @ (width / 2, height / 2, 1) - (width / 2, height / 2))
        along_x, along_y = self.relief[1:, my:my + height, mx:mx + width]
        relief -= sin_yaw * along_x + sin_pitch * along_y
        map_x[rows, cols] -= sin_yaw * relief
        map_y[rows, cols] -= sin_pitch * relief


def face_relief(landmarks: np.ndarray, depth: np.ndarray, origin: tuple[int, int],
                shape: tuple[int, int]) -> np.ndarray:
    """How much nearer the camera than the face's outline each pixel of a region is (pixels; 0 away
    from the face): a turn of angle a moves a pixel by sin(a) times this, beyond the head's own shift.

    Piecewise linear over the mesh's triangles (exact at every mesh point); beyond the mesh, each
    pixel takes the value of the nearest mesh pixel, faded to 0 over a band outside the face's
    outline, where the face joins the rigidly moving hair and ears."""
    relief = (np.mean(depth[FACE_OVAL]) - depth).astype(np.float64)
    points = (landmarks - origin).astype(np.float64)
    rows, cols = shape
    field = np.zeros(shape, np.float32)
    covered = np.zeros(shape, np.uint8)
    for a, b, c in _triangles(points, shape):
        corners = points[[a, b, c]]
        matrix = np.column_stack([corners, np.ones(3)])
        if abs(np.linalg.det(matrix)) < 1e-6:
            continue
        gx, gy, g0 = np.linalg.solve(matrix, relief[[a, b, c]])  # the plane through the three depths
        x0, y0 = np.floor(corners.min(axis=0)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, cols), min(y1, rows)
        if x1 <= x0 or y1 <= y0:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)  # the triangle's bounding box only
        cv2.fillConvexPoly(mask, np.round(corners - (x0, y0)).astype(np.int32), 1)
        inside = mask.astype(bool)
        ys, xs = np.nonzero(inside)
        field[y0:y1, x0:x1][inside] = gx * (xs + x0) + gy * (ys + y0) + g0
        covered[y0:y1, x0:x1] |= mask
    # Beyond the mesh: the nearest covered pixel's value, so the face has no edge.
    _, labels = cv2.distanceTransformWithLabels(1 - covered, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(covered)
    lookup = np.zeros(labels.max() + 1, np.float32)
    lookup[labels[ys, xs]] = field[ys, xs]
    field = lookup[labels]
    outside = np.full(shape, 255, np.uint8)
    cv2.fillPoly(outside, [np.round(points[FACE_OVAL]).astype(np.int32)], 0)
    band = _RELIEF_BAND * float(np.ptp(landmarks[FACE_OVAL, 0]))
    fade = np.clip(1 - cv2.distanceTransform(outside, cv2.DIST_L2, 5) / band, 0, 1)
    field = field * (fade * fade * (3 - 2 * fade)).astype(np.float32)
    # Smoothed a little: the planes meet at creases, and the nearest-value extension has steps.
    return cv2.GaussianBlur(field, (0, 0), _RELIEF_SMOOTH * band / _RELIEF_BAND)


def _triangles(points: np.ndarray, shape: tuple[int, int]) -> list[tuple[int, int, int]]:
    """Delaunay triangles of the mesh's points, as index triples."""
    rows, cols = shape
    low = np.minimum(points.min(axis=0), 0) - 1
    high = np.maximum(points.max(axis=0), (cols, rows)) + 1
    subdiv = cv2.Subdiv2D((int(low[0]), int(low[1]), int(high[0] - low[0]) + 1, int(high[1] - low[1]) + 1))
    index = {}
    for i, (x, y) in enumerate(points):
        index[(round(float(x), 3), round(float(y), 3))] = i
        subdiv.insert((float(x), float(y)))
    found = []
    for x1, y1, x2, y2, x3, y3 in subdiv.getTriangleList():
        keys = [(round(float(x), 3), round(float(y), 3)) for x, y in ((x1, y1), (x2, y2), (x3, y3))]
        if all(k in index for k in keys):
            found.append(tuple(index[k] for k in keys))
    return found


def gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    radius = max(1, int(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    return np.convolve(np.pad(values, radius, mode="edge"), kernel, mode="valid")

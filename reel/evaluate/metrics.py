"""Quality metrics of a talking-head video, as pure functions of per-frame measurements."""

from __future__ import annotations

import numpy as np

from reel.faces.landmarks import EYES, INNER_LIP_PAIRS, INTEROCULAR, NOSE_BOTTOM

SILENCE_LEVEL = 0.25  # envelope below this (30 dB under the speech peaks) counts as a pause
BLINK_EAR_SHARE = 0.6  # eye aspect ratio below 60 % of its rest value: the eye is closing


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator else 0.0


def best_lag(mouth: np.ndarray, audio: np.ndarray, max_lag: int = 10) -> int:
    """Frames by which the mouth trails the audio (negative: the mouth leads) at maximal correlation."""
    scores = {}
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            scores[lag] = pearson(mouth[lag:], audio[:len(audio) - lag])
        else:
            scores[lag] = pearson(mouth[:lag], audio[-lag:])
    return max(scores, key=scores.get)


def pause_spans(envelope: np.ndarray, fps: float, min_seconds: float = 0.3) -> list[tuple[int, int]]:
    """[start, end) frame ranges where the speech stays quiet for at least ``min_seconds``."""
    quiet = np.concatenate([[False], envelope < SILENCE_LEVEL, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(int)))
    spans = zip(edges[::2], edges[1::2])
    return [(int(a), int(b)) for a, b in spans if (b - a) / fps >= min_seconds]


def mouth_aperture(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap per frame as a share of the distance between the eyes (so zoom cancels out)."""
    upper, lower = np.array(INNER_LIP_PAIRS).T
    gap = np.linalg.norm(landmarks[:, upper] - landmarks[:, lower], axis=2).mean(axis=1)
    return gap / _interocular(landmarks)


def eye_aspect_ratio(eyes: np.ndarray) -> np.ndarray:
    """Mean of both eyes' aspect ratios per frame: lid-to-lid distance over corner-to-corner width.

    ``eyes``: (frames, 2, 16, 2) lid contours from the iris model (9 lower points corner to corner,
    then the 7 upper points above lower points 1..7).
    """
    lower, upper = eyes[:, :, 1:8], eyes[:, :, 9:16]
    opening = np.linalg.norm(upper - lower, axis=3).mean(axis=2)
    width = np.linalg.norm(eyes[:, :, 0] - eyes[:, :, 8], axis=2)
    return (opening / width).mean(axis=1)


def blink_spans(ear: np.ndarray, rest: float) -> list[tuple[int, int]]:
    """[start, end) frame ranges where the eyes are closing (EAR under 60 % of rest)."""
    closed = np.concatenate([[False], ear < BLINK_EAR_SHARE * rest, [False]])
    edges = np.flatnonzero(np.diff(closed.astype(int)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def pose_residual(points: np.ndarray, rest3d: np.ndarray) -> float:
    """Mean landmark distance (px at the rest frame's scale) between ``points`` and the rest mesh
    (x, y and depth) turned, scaled and moved to fit them best (orthographic projection).

    Removes camera zoom and pan and the head's rotation in 3-D (a turn or nod moves the nose
    further than the cheeks, which no 2-D transform undoes), leaving only changes of expression.
    """
    x = points - points.mean(axis=0)
    model = rest3d - rest3d.mean(axis=0)
    projection = np.linalg.lstsq(model, x, rcond=None)[0].T  # (2, 3)
    u, singular, vt = np.linalg.svd(projection, full_matrices=False)
    scale = float(singular.mean())
    fitted = scale * model @ (u @ vt).T  # the nearest scaled rotation
    return float(np.linalg.norm(fitted - x, axis=1).mean() / scale)


def rigid_points(rest: np.ndarray) -> np.ndarray:
    """Indices of landmarks that expressions do not move: above the nose tip, eyelids excluded."""
    lids = {i for eye in EYES.values() for i in (*eye["upper"], *eye["lower"])}
    return np.array([i for i in range(len(rest)) if rest[i, 1] < rest[NOSE_BOTTOM, 1] and i not in lids])


def head_angles(points: np.ndarray, rest3d: np.ndarray, rigid: np.ndarray) -> np.ndarray:
    """(pitch, yaw, roll) in degrees of the head relative to its rest pose, from the ``rigid`` landmarks.

    Pose from orthography: the 2x3 linear map that best projects the rest mesh (with its depth) onto
    this frame's image points is a scaled rotation's first two rows. Only the rest frame's depth is
    used; per-frame depth from the mesh model is far noisier than its image positions.
    """
    x = points[rigid] - points[rigid].mean(axis=0)
    model = rest3d[rigid] - rest3d[rigid].mean(axis=0)
    projection = np.linalg.lstsq(model, x, rcond=None)[0].T  # (2, 3)
    u, _, vt = np.linalg.svd(projection, full_matrices=False)
    rows = u @ vt  # nearest pair of orthonormal rows
    rotation = np.vstack([rows, np.cross(rows[0], rows[1])])
    pitch = np.degrees(np.arctan2(rotation[2, 1], rotation[2, 2]))
    yaw = np.degrees(np.arcsin(np.clip(-rotation[2, 0], -1, 1)))
    roll = np.degrees(np.arctan2(rotation[1, 0], rotation[0, 0]))
    return np.array([pitch, yaw, roll])


def pose_acceleration(points: np.ndarray, forward: np.ndarray, backward: np.ndarray, rest3d: np.ndarray,
                      rigid: np.ndarray) -> np.ndarray:
    """|pose(next) - 2 pose(this) + pose(previous)| in degrees per frame and (pitch, yaw, roll), where
    next and previous are this frame's ``rigid`` landmarks carried by optical flow into the frames
    around it: the same points in all three, so the detector's own frame-to-frame noise cancels and
    what remains is how the pixels of the head move. NaN where a frame has no neighbour or face."""
    out = np.full((len(points), 3), np.nan)
    for t in range(1, len(points) - 1):
        kept = rigid[np.isfinite(forward[t, rigid, 0]) & np.isfinite(backward[t, rigid, 0])
                     & np.isfinite(points[t, rigid, 0])]
        if len(kept) < 0.5 * len(rigid):
            continue
        before, now, after = (head_angles(p, rest3d, kept) for p in (backward[t], points[t], forward[t]))
        out[t] = np.abs(after - 2 * now + before)
    return out


def second_difference(series: np.ndarray) -> np.ndarray:
    """|x[t+1] - 2 x[t] + x[t-1]| per frame and column: acceleration, which jitter makes large."""
    return np.abs(np.diff(series, n=2, axis=0))


def _interocular(landmarks: np.ndarray) -> np.ndarray:
    a, b = INTEROCULAR
    return np.linalg.norm(landmarks[:, a] - landmarks[:, b], axis=1)

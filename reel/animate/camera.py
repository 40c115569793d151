"""Camera moves from the script's visual directions: eased zooms and pans around the face, and quick
punch-ins on marked phrases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from reel.models import CameraPlan

ZOOM_STEP = 0.10  # a push-in or pull-out changes the zoom by this much over its paragraph
MAX_ZOOM = 1.4
PAN_SHARE = 0.04  # a pan moves the view by this share of the frame width
PAN_ZOOM = 1.10  # zoom needed so a pan never reveals the frame edge
PUNCH_ZOOM = 1.15  # a punch-in multiplies the zoom by this while its phrase is spoken
PUNCH_IN_S, PUNCH_OUT_S = 0.2, 0.5


@dataclass(frozen=True)
class CameraState:
    zoom: float = 1.0
    pan: float = 0.0  # horizontal shift of the picture, share of the width


def plan_states(moves: list[str]) -> list[CameraState]:
    """Keyframes: state at the start of move 0, then after each move."""
    first_zoom = 1.0 + ZOOM_STEP if moves and moves[0] == "pull-out" else 1.0
    states = [CameraState(zoom=first_zoom)]
    for move in moves:
        zoom, pan = states[-1].zoom, states[-1].pan
        if move == "push-in":
            zoom = min(MAX_ZOOM, zoom + ZOOM_STEP)
        elif move == "pull-out":
            zoom = max(1.0, zoom - ZOOM_STEP)
        elif move in ("pan-left", "pan-right"):
            zoom = max(zoom, PAN_ZOOM)
            pan += PAN_SHARE if move == "pan-left" else -PAN_SHARE  # camera left: picture slides right
        states.append(CameraState(zoom=zoom, pan=pan))
    return states


def camera_matrices(plan: CameraPlan, fps: int, frames: int, size: tuple[int, int]) -> list[np.ndarray | None]:
    """One 2x3 matrix per frame (None where the camera is at rest at zoom 1: no warp needed)."""
    states = plan_states(plan.moves)
    bounds = list(plan.starts[1:]) + [plan.end]
    punch = punch_factor(plan.punches, np.arange(frames) / fps)
    out: list[np.ndarray | None] = []
    for frame in range(frames):
        t = frame / fps
        state = states[0]
        for i, (a, b) in enumerate(zip(plan.starts, bounds)):
            if t >= a:
                state = _blend(states[i], states[i + 1], _ease((t - a) / max(b - a, 1e-6)))
        state = CameraState(zoom=state.zoom * float(punch[frame]), pan=state.pan)
        out.append(_matrix(state, *size, plan.focus))
    return out


def punch_factor(punches: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    """Zoom multiplier per time: eased up to PUNCH_ZOOM just before each phrase, back down after it."""
    factor = np.ones_like(t)
    for start, end in punches:
        rise = _ease((t - start + PUNCH_IN_S) / PUNCH_IN_S)
        fall = _ease((end + PUNCH_OUT_S - t) / PUNCH_OUT_S)
        factor = np.maximum(factor, 1 + (PUNCH_ZOOM - 1) * np.minimum(rise, fall))
    return factor


def _ease(u):
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def _blend(a: CameraState, b: CameraState, u: float) -> CameraState:
    return CameraState(zoom=a.zoom + (b.zoom - a.zoom) * u, pan=a.pan + (b.pan - a.pan) * u)


def _matrix(state: CameraState, width: int, height: int, focus: tuple[float, float]) -> np.ndarray | None:
    if abs(state.zoom - 1.0) < 1e-4 and abs(state.pan) < 1e-6:
        return None
    z = state.zoom
    fx, fy = focus
    tx = (1 - z) * fx + state.pan * width
    tx = float(np.clip(tx, width - z * width, 0.0))  # never reveal an edge
    ty = float(np.clip((1 - z) * fy, height - z * height, 0.0))
    return np.array([[z, 0.0, tx], [0.0, z, ty]], dtype=np.float64)


def camera_pass(frames: Iterator[np.ndarray], plan: CameraPlan, fps: int, count: int,
                size: tuple[int, int]) -> Iterator[np.ndarray]:
    """The camera's moves applied to any engine's frames (yields a reused buffer where it moves)."""
    out = None
    for frame, matrix in zip(frames, camera_matrices(plan, fps, count, size)):
        if matrix is None:
            yield frame
            continue
        if out is None:
            out = np.empty_like(frame)
        cv2.warpAffine(frame, matrix, size, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        yield out

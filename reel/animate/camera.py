"""Camera moves from the script's visual directions: eased zooms and pans around the face."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ZOOM_STEP = 0.10  # a push-in or pull-out changes the zoom by this much over its paragraph
MAX_ZOOM = 1.4
PAN_SHARE = 0.04  # a pan moves the view by this share of the frame width
PAN_ZOOM = 1.10  # zoom needed so a pan never reveals the frame edge


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


def camera_matrices(moves: list[str], starts: list[float], end: float, fps: int, frames: int,
                    size: tuple[int, int], focus: tuple[float, float]) -> list[np.ndarray | None]:
    """One 2x3 matrix per frame (None where the camera is at rest at zoom 1: no warp needed).

    Move i runs from ``starts[i]`` to the next move's start (the last one to ``end``), eased in and out.
    """
    states = plan_states(moves)
    bounds = list(starts[1:]) + [end]
    width, height = size
    out: list[np.ndarray | None] = []
    for frame in range(frames):
        t = frame / fps
        state = states[0]
        for i, (a, b) in enumerate(zip(starts, bounds)):
            if t >= a:
                u = np.clip((t - a) / max(b - a, 1e-6), 0.0, 1.0)
                state = _blend(states[i], states[i + 1], float(u * u * (3 - 2 * u)))
        out.append(_matrix(state, width, height, focus))
    return out


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

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
        zoom_frame(frame, matrix, out)
        yield out


def zoom_frame(frame: np.ndarray, matrix: np.ndarray, out: np.ndarray) -> None:
    """``frame`` zoomed and shifted by ``matrix`` (a camera matrix: scale and shift only) into ``out``.

    A bilinear resize of a crop costs a quarter less than warpAffine (benchmarks/camera_zoom.py). A
    resize maps whole pixels onto whole pixels, so the crop, the size it is resized to and the
    window cut from that are chosen so its samples land within MAX_RESIZE_ERROR_PX of the
    matrix's; where none does, warpAffine does the frame.
    """
    height, width = frame.shape[:2]
    columns = _resize_plan(width, matrix[0, 0], matrix[0, 2])
    rows = _resize_plan(height, matrix[1, 1], matrix[1, 2])
    if columns is None or rows is None:
        cv2.warpAffine(frame, matrix, (width, height), dst=out, flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        return
    (x0, crop_w, resized_w, skip_x), (y0, crop_h, resized_h, skip_y) = columns, rows
    resized = cv2.resize(frame[y0:y0 + crop_h, x0:x0 + crop_w], (resized_w, resized_h),
                         interpolation=cv2.INTER_LINEAR)
    out[...] = resized[skip_y:skip_y + height, skip_x:skip_x + width]


MAX_RESIZE_ERROR_PX = 0.05  # how far a resized sample may land from where the matrix puts it
_SPARE = np.arange(96)  # extra lengths of the resized line tried, and pixels that may be cut from its start


def _resize_plan(length: int, zoom: float, shift: float) -> tuple[int, int, int, int] | None:
    """Along one axis of ``length`` pixels, where output pixel x shows source position (x - shift) / zoom:
    (crop start, crop length, resized length, pixels cut from the start of the resized line) such that
    a bilinear resize (sample x of the resized line at crop start + (x + 0.5) * crop / resized - 0.5)
    puts every output sample within MAX_RESIZE_ERROR_PX of it, or None."""
    if zoom < 1.0:
        return None
    resized = length + _SPARE[:, None]  # lines of each resized length ...
    crop = np.round(resized / zoom)
    skip = _SPARE[None, :]  # ... and each number of pixels cut from their start
    step = crop / resized
    # Crop start that puts the first sample where the matrix wants it, to the nearest whole pixel.
    wanted = -shift / zoom
    start = np.round(wanted - (skip + 0.5) * step + 0.5)
    first = start + (skip + 0.5) * step - 0.5
    last = first + (length - 1) * step
    error = np.maximum(np.abs(first - wanted), np.abs(last - (wanted + (length - 1) / zoom)))
    fits = (skip + length <= resized) & (start >= 0) & (start + crop <= length)
    # A sample outside its crop repeats the crop's edge pixel: only right at the frame's own edge.
    fits &= ((first >= start) | (start == 0)) & ((last <= start + crop - 1) | (start + crop == length))
    good = np.argwhere(fits & (error <= MAX_RESIZE_ERROR_PX))
    if not len(good):
        return None
    line, cut = good[0]  # the shortest resized line: the least work
    return int(start[line, cut]), int(crop[line, 0]), int(resized[line, 0]), int(skip[0, cut])

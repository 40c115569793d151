"""The camera pass's cost per 1080x1920 frame: warpAffine against reel's resize of a crop.

    .venv/bin/python benchmarks/camera_zoom.py [--runs 5]

The frames are the sample avatar's framed portrait under the camera states of a reel's moves
(zooms 1.0-1.35 with pans). Reported: CPU and wall milliseconds per frame (medians of alternating
runs), the share of states the resize serves (the rest fall back to warpAffine) and how far its
pixels are from warpAffine's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from reel.animate.camera import CameraState, _matrix, _resize_plan, zoom_frame
from reel.avatars import load_avatar, load_portrait_pixels, prepare_portrait

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1080, 1920)


def camera_states() -> list[np.ndarray]:
    """Matrices of eased push-ins, pull-outs and pans as a reel's camera makes them."""
    matrices = []
    for zoom in np.linspace(1.0005, 1.35, 40):
        for pan in (-0.04, 0.0, 0.015, 0.04):
            matrix = _matrix(CameraState(zoom=float(zoom), pan=pan), *SIZE, (540.0, 700.0))
            if matrix is not None:
                matrices.append(matrix)
    return matrices


def warp(frame: np.ndarray, matrix: np.ndarray, out: np.ndarray) -> None:
    cv2.warpAffine(frame, matrix, SIZE, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def timed(method, frame: np.ndarray, matrices: list[np.ndarray]) -> tuple[float, float]:
    out = np.empty_like(frame)
    cpu, wall = time.process_time(), time.perf_counter()
    for matrix in matrices:
        method(frame, matrix, out)
    return ((time.process_time() - cpu) / len(matrices) * 1000, (time.perf_counter() - wall) / len(matrices) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    avatar = load_avatar(ROOT / "assets" / "avatars", "astronaut")
    with tempfile.TemporaryDirectory() as folder:
        frame = load_portrait_pixels(prepare_portrait(avatar.id, avatar.portrait, SIZE, Path(folder) / "p.png"))
    matrices = camera_states()
    served = sum(_resize_plan(SIZE[0], m[0, 0], m[0, 2]) is not None and _resize_plan(SIZE[1], m[1, 1], m[1, 2])
                 is not None for m in matrices)
    differences = []
    ours, theirs = np.empty_like(frame), np.empty_like(frame)
    for matrix in matrices:
        zoom_frame(frame, matrix, ours)
        warp(frame, matrix, theirs)
        differences.append(np.abs(ours.astype(np.int16) - theirs))
    results: dict[str, list[tuple[float, float]]] = {"warpAffine": [], "reel (resize)": []}
    for _ in range(args.runs):
        for label, method in zip(results, (warp, zoom_frame)):
            results[label].append(timed(method, frame, matrices))
    print(f"{len(matrices)} camera states on a {SIZE[0]}x{SIZE[1]} portrait; the resize serves {served} "
          f"({served / len(matrices):.0%}), warpAffine the rest")
    print(f"pixels against warpAffine: mean difference {np.mean([d.mean() for d in differences]):.3f}, "
          f"largest {max(int(d.max()) for d in differences)} (of 255)")
    print(f"{'method':<16}{'CPU ms/frame':>14}{'wall ms/frame':>15}   (medians of {args.runs})")
    for label, runs in results.items():
        print(f"{label:<16}{statistics.median(r[0] for r in runs):>14.2f}{statistics.median(r[1] for r in runs):>15.2f}")


if __name__ == "__main__":
    main()

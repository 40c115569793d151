"""Frames from a model or a provider made into the reel's frames: resampled to its rate and scaled
to fill its size."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np


def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` scaled to fill ``size`` (width, height) and centre-cropped: no bars, no distortion."""
    height, width = image.shape[:2]
    scale = max(size[0] / width, size[1] / height)
    scaled = cv2.resize(image, (max(size[0], round(width * scale)), max(size[1], round(height * scale))),
                        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    top, left = (scaled.shape[0] - size[1]) // 2, (scaled.shape[1] - size[0]) // 2
    return scaled[top:top + size[1], left:left + size[0]]


def resampled(windows: Iterator[np.ndarray], model_fps: float, fps: int, count: int) -> Iterator[np.ndarray]:
    """``count`` frames at ``fps`` from a stream of model frames at ``model_fps`` (nearest in time)."""
    index, current = -1, None
    for out in range(count):
        wanted = round(out * model_fps / fps)
        while index < wanted:
            frame = next(windows, None)
            if frame is None:
                break
            current, index = frame, index + 1
        yield current

"""Read frames back from a rendered video (PyAV) and lay them out as a contact sheet."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def read_frames(video: Path, indices: list[int]) -> dict[int, np.ndarray]:
    """RGB frames at the given frame indices (decoded in one pass)."""
    import av

    wanted = set(indices)
    found: dict[int, np.ndarray] = {}
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                found[index] = frame.to_ndarray(format="rgb24")
                if len(found) == len(wanted):
                    break
    return found


def contact_sheet(frames: list[np.ndarray], labels: list[str], columns: int = 4, width: int = 360) -> np.ndarray:
    """Frames scaled to ``width`` in a grid, each labelled; returns RGB."""
    tiles = []
    for frame, label in zip(frames, labels):
        tile = cv2.resize(frame, (width, round(frame.shape[0] * width / frame.shape[1])), interpolation=cv2.INTER_AREA)
        cv2.rectangle(tile, (0, 0), (width, 28), (0, 0, 0), -1)
        cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)]
    return np.vstack(rows)

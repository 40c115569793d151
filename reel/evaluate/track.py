"""Face landmarks on every frame of a rendered video."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from reel.errors import MediaError
from reel.faces.mesh import load_eye_mesh, load_face_mesh


@dataclass
class FaceTrack:
    landmarks: np.ndarray  # (frames, 468, 2) pixels; NaN where no face was found
    depth: np.ndarray  # (frames, 468)
    eyes: np.ndarray  # (frames, 2, 16, 2) lid contours from the iris model
    # Each frame's landmarks carried by optical flow into the next and the previous frame (NaN where a
    # point was lost or there is no such frame): how the pixels under them move, which is what a
    # viewer sees, free of the detector re-fitting the whole mesh when only the mouth changes.
    forward: np.ndarray  # (frames, 468, 2)
    backward: np.ndarray  # (frames, 468, 2)
    fps: float
    size: tuple[int, int]

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.landmarks[:, 0, 0])


def track_faces(video: Path, keep: Callable[[int, np.ndarray], None] | None = None,
                progress: Callable[[int, int], None] | None = None) -> FaceTrack:
    """Run the face mesh on every frame, following the face from frame to frame as MediaPipe does.

    ``keep(index, frame)`` sees every decoded RGB frame (to pick frames for a contact sheet).
    """
    import av

    mesh, eye_mesh = load_face_mesh(), load_eye_mesh()
    points, depths, eyes, forward, backward = [], [], [], [], []
    previous, previous_grey = None, None
    nowhere = np.full((468, 2), np.nan, np.float32)
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            total, fps = stream.frames, float(stream.average_rate)
            size = (stream.codec_context.width, stream.codec_context.height)
            for index, frame in enumerate(container.decode(stream)):
                image = frame.to_ndarray(format="rgb24")
                grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
                face = mesh.track(image, previous, precise=True) if previous is not None else None
                if face is None and (found := mesh.detect(image)) is not None:
                    face = mesh.track(image, found.landmarks, precise=True)
                if face is None:
                    points.append(nowhere)
                    depths.append(np.full(468, np.nan, np.float32))
                    eyes.append(np.full((2, 16, 2), np.nan, np.float32))
                else:
                    points.append(face.landmarks)
                    depths.append(face.depth)
                    eyes.append(eye_mesh.contours(image, face.landmarks))
                forward.append(nowhere)
                backward.append(nowhere if face is None or previous_grey is None
                                else _carry(previous_grey, grey, face.landmarks, backwards=True))
                if previous is not None:
                    forward[-2] = _carry(previous_grey, grey, previous)
                previous = None if face is None else face.landmarks
                previous_grey = grey
                if keep:
                    keep(index, image)
                if progress and index % 30 == 0:
                    progress(index, total)
    except av.error.FFmpegError as error:
        raise MediaError(f"cannot decode {video}: {error.strerror} (is it a video?)") from error
    if not points:
        raise MediaError(f"{video} holds no video frames")
    return FaceTrack(np.stack(points), np.stack(depths), np.stack(eyes), np.stack(forward), np.stack(backward),
                     fps, size)


_FLOW_MARGIN_PX = 40  # around the landmarks: room for the motion between two frames


def _carry(earlier: np.ndarray, later: np.ndarray, points: np.ndarray, backwards: bool = False) -> np.ndarray:
    """``points`` of one frame moved by pyramidal Lucas-Kanade flow into the other frame (``earlier`` to
    ``later``, or back when ``backwards``); NaN where the flow lost a point. Only the face's box is
    searched, which keeps it to a few milliseconds a frame."""
    height, width = earlier.shape
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int) - _FLOW_MARGIN_PX, 0)
    x1 = min(int(np.ceil(points[:, 0].max())) + _FLOW_MARGIN_PX, width)
    y1 = min(int(np.ceil(points[:, 1].max())) + _FLOW_MARGIN_PX, height)
    source, target = (later, earlier) if backwards else (earlier, later)
    start = (points - (x0, y0)).astype(np.float32).reshape(-1, 1, 2)
    moved, status, _ = cv2.calcOpticalFlowPyrLK(
        np.ascontiguousarray(source[y0:y1, x0:x1]), np.ascontiguousarray(target[y0:y1, x0:x1]), start, None,
        winSize=(21, 21), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
    carried = moved.reshape(-1, 2) + (x0, y0)
    carried[status.ravel() == 0] = np.nan
    return carried.astype(np.float32)

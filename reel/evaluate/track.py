"""Face landmarks on every frame of a rendered video."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reel.errors import MediaError
from reel.faces.mesh import load_eye_mesh, load_face_mesh


@dataclass
class FaceTrack:
    landmarks: np.ndarray  # (frames, 468, 2) pixels; NaN where no face was found
    depth: np.ndarray  # (frames, 468)
    eyes: np.ndarray  # (frames, 2, 16, 2) lid contours from the iris model
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
    points, depths, eyes = [], [], []
    previous = None
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            total, fps = stream.frames, float(stream.average_rate)
            size = (stream.codec_context.width, stream.codec_context.height)
            for index, frame in enumerate(container.decode(stream)):
                image = frame.to_ndarray(format="rgb24")
                face = mesh.track(image, previous, precise=True) if previous is not None else None
                if face is None and (found := mesh.detect(image)) is not None:
                    face = mesh.track(image, found.landmarks, precise=True)
                if face is None:
                    points.append(np.full((468, 2), np.nan, np.float32))
                    depths.append(np.full(468, np.nan, np.float32))
                    eyes.append(np.full((2, 16, 2), np.nan, np.float32))
                else:
                    points.append(face.landmarks)
                    depths.append(face.depth)
                    eyes.append(eye_mesh.contours(image, face.landmarks))
                previous = None if face is None else face.landmarks
                if keep:
                    keep(index, image)
                if progress and index % 30 == 0:
                    progress(index, total)
    except av.error.FFmpegError as error:
        raise MediaError(f"cannot decode {video}: {error.strerror} (is it a video?)") from error
    if not points:
        raise MediaError(f"{video} holds no video frames")
    return FaceTrack(np.stack(points), np.stack(depths), np.stack(eyes), fps, size)

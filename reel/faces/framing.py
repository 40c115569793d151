"""Frame a portrait to the vertical output around its face; fill uncovered area with a blurred backdrop."""

from __future__ import annotations

import cv2
import numpy as np

FACE_WIDTH_SHARE = 0.24  # face width as a share of the output width
FACE_CENTER_HEIGHT = 0.36  # face centre, as a share of the output height: above the caption zone
_FEATHER_PX = 90  # width of the blend between the photo and the backdrop
_BACKDROP_ZOOM = 1.15  # the backdrop a little larger than needed to cover the frame
_BACKDROP_BLUR = 18.0  # Gaussian sigma at 1/8 size: about 140 px in the frame


def framing_matrix(image_size: tuple[int, int], face_box, out_size: tuple[int, int]) -> np.ndarray:
    """2x3 affine matrix (scale + shift) from portrait pixels to output pixels."""
    src_w, src_h = image_size
    out_w, out_h = out_size
    x0, y0, x1, y1 = face_box
    scale = max(FACE_WIDTH_SHARE * out_w / (x1 - x0), out_w / src_w)
    shift_x = out_w / 2 - (x0 + x1) / 2 * scale
    shift_y = out_h * FACE_CENTER_HEIGHT - (y0 + y1) / 2 * scale
    # Keep the photo covering the full width: never reveal a side when the photo is wide enough.
    shift_x = float(np.clip(shift_x, out_w - src_w * scale, 0.0))
    if src_h * scale >= out_h:
        shift_y = float(np.clip(shift_y, out_h - src_h * scale, 0.0))
    return np.array([[scale, 0.0, shift_x], [0.0, scale, shift_y]], dtype=np.float64)


def frame_portrait(image: np.ndarray, matrix: np.ndarray, out_size: tuple[int, int], face_box=None) -> np.ndarray:
    """Warp ``image`` (RGB) by ``matrix``; where the photo does not reach, a blurred, enlarged copy of the
    whole photo shows behind it (reads as background: no streaks of a stretched edge, no second face)."""
    photo = cv2.warpAffine(image, matrix, out_size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    coverage = cv2.warpAffine(np.full(image.shape[:2], 255, np.uint8), matrix, out_size,
                              flags=cv2.INTER_NEAREST, borderValue=0)
    if coverage.min() == 255:
        return photo
    backdrop = blurred_backdrop(image, matrix, out_size, face_box)
    distance = cv2.distanceTransform((coverage > 0).astype(np.uint8), cv2.DIST_L2, 5)
    alpha = np.clip(distance / _FEATHER_PX, 0.0, 1.0)
    alpha = (alpha * alpha * (3 - 2 * alpha))[..., None]  # smoothstep
    return (photo * alpha + backdrop * (1 - alpha)).round().astype(np.uint8)


def blurred_backdrop(image: np.ndarray, matrix: np.ndarray, out_size: tuple[int, int], face_box=None) -> np.ndarray:
    """The whole photo enlarged to cover the frame, blurred until no feature is recognisable, a touch
    darker. It is enlarged about the face, so its (larger) face sits behind the sharp one rather than
    above it. Made at 1/8 size: the look of a huge kernel on the full frame at a fraction of the cost."""
    out_w, out_h = out_size
    src_h, src_w = image.shape[:2]
    zoom = max(out_w / src_w, out_h / src_h) * _BACKDROP_ZOOM
    x0, y0, x1, y1 = face_box if face_box is not None else (0, 0, src_w, src_h)
    anchor = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    target = matrix @ np.append(anchor, 1.0)  # where the sharp photo puts that point
    shift_x = float(np.clip(target[0] - zoom * anchor[0], out_w - zoom * src_w, 0.0))
    shift_y = float(np.clip(target[1] - zoom * anchor[1], out_h - zoom * src_h, 0.0))
    small_size = (max(1, out_w // 8), max(1, out_h // 8))
    small_matrix = np.array([[zoom, 0.0, shift_x], [0.0, zoom, shift_y]]) / 8
    small = cv2.warpAffine(image, small_matrix, small_size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
    small = cv2.GaussianBlur(small, (0, 0), _BACKDROP_BLUR)
    backdrop = cv2.resize(small, out_size, interpolation=cv2.INTER_CUBIC)
    return (backdrop.astype(np.float32) * 0.8).astype(np.uint8)

"""Frame a portrait to the vertical output around its face; fill uncovered area with a soft extension."""

from __future__ import annotations

import cv2
import numpy as np

FACE_WIDTH_SHARE = 0.24  # face width as a share of the output width
FACE_CENTER_HEIGHT = 0.36  # face centre, as a share of the output height: above the caption zone
_FEATHER_PX = 90  # width of the blend between the photo and its blurred extension


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


def frame_portrait(image: np.ndarray, matrix: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    """Warp ``image`` (RGB) by ``matrix``; areas the photo does not cover get its blurred, stretched edge."""
    out_w, out_h = out_size
    # Edge pixels stretched outwards (not mirrored: a mirror would repeat the face).
    photo = cv2.warpAffine(image, matrix, out_size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    coverage = cv2.warpAffine(np.full(image.shape[:2], 255, np.uint8), matrix, out_size,
                              flags=cv2.INTER_NEAREST, borderValue=0)
    if coverage.min() == 255:
        return photo
    # Blur a small copy: the same look as a huge kernel on the full frame, at a fraction of the cost.
    small = cv2.resize(photo, (out_w // 8, out_h // 8), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 4)
    extension = cv2.resize(small, out_size, interpolation=cv2.INTER_CUBIC)
    extension = (extension.astype(np.float32) * 0.85).astype(np.uint8)  # a touch darker: reads as background
    distance = cv2.distanceTransform((coverage > 0).astype(np.uint8), cv2.DIST_L2, 5)
    alpha = np.clip(distance / _FEATHER_PX, 0.0, 1.0)
    alpha = (alpha * alpha * (3 - 2 * alpha))[..., None]  # smoothstep
    return (photo * alpha + extension * (1 - alpha)).round().astype(np.uint8)

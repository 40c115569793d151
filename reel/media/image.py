"""Uploaded pictures: the size from the file's header (before anything is decoded), then the pixels as RGB.

OpenCV decodes a whole image before anyone can look at its size, so a small file claiming 20000x20000
pixels would take gigabytes; the header says so in its first bytes.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

from reel.errors import AvatarError
from reel.settings import Limits

FORMATS = "PNG, JPEG or WebP"
BACKDROP = 255  # a transparent background becomes white, as a cut-out portrait on a studio backdrop


def image_size(path: Path) -> tuple[str, int, int]:
    """(format, width, height) from the header; AvatarError when it is not a PNG, JPEG or WebP image."""
    with path.open("rb") as handle:
        head = handle.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            width, height = struct.unpack(">II", head[16:24])
            return "png", width, height
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            size = _webp_size(head)
            if size:
                return ("webp", *size)
        if head.startswith(b"\xff\xd8"):
            handle.seek(2)
            size = _jpeg_size(handle)
            if size:
                return ("jpeg", *size)
    raise AvatarError(f"portrait {path} is not a readable image: use a {FORMATS} photo")


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(handle) -> tuple[int, int] | None:
    """Walk the JPEG's segments to its frame header (SOFn); None at anything malformed. Every step
    moves forward, so a hostile file ends the walk at its end at the latest."""
    while True:
        marker = handle.read(2)
        while len(marker) == 2 and marker == b"\xff\xff":  # fill bytes
            marker = marker[1:] + handle.read(1)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if 0xD0 <= marker[1] <= 0xD9 or marker[1] == 0x01:  # markers without a length
            continue
        length = handle.read(2)
        if len(length) < 2 or struct.unpack(">H", length)[0] < 2:
            return None
        if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
            frame = handle.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        handle.seek(struct.unpack(">H", length)[0] - 2, 1)


def check_image(path: Path, limits: Limits) -> str:
    """The picture's format, from its header; one line when it is missing, not a picture, too large,
    or a JPEG cut short. Reads a few bytes only: a render plan checks its portrait with it."""
    if not path.is_file():
        raise AvatarError(f"portrait image not found: {path}")
    size = path.stat().st_size
    if size > limits.upload_bytes:
        raise AvatarError(f"portrait {path} is {size / 1e6:.0f} MB; at most {limits.upload_bytes / 1e6:.0f} MB "
                          "(REEL_MAX_UPLOAD_BYTES): use a smaller photo")
    kind, width, height = image_size(path)
    if width * height > limits.image_pixels:
        raise AvatarError(f"portrait {path} is {width}x{height} pixels; at most {limits.image_pixels / 1e6:.0f} "
                          "megapixels (REEL_MAX_IMAGE_PIXELS): scale it down (2000 pixels across is plenty)")
    if kind == "jpeg" and not _has_jpeg_end(path, size):
        raise AvatarError(f"portrait {path} is cut short (the JPEG has no end): upload the whole file again")
    return kind


def read_image(path: Path, limits: Limits) -> np.ndarray:
    """An uploaded picture as RGB uint8 (grey, 16-bit and transparent pictures included), checked
    (``check_image``) before anything is decoded."""
    kind = check_image(path, limits)
    # A JPEG's EXIF orientation is applied by IMREAD_COLOR; PNG and WebP may carry an alpha channel.
    image = cv2.imread(str(path), cv2.IMREAD_COLOR if kind == "jpeg" else cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise AvatarError(f"portrait {path} is not a readable image (damaged or cut short): use a {FORMATS} photo")
    return _as_rgb(image)


def _has_jpeg_end(path: Path, size: int) -> bool:
    """libjpeg decodes a cut-short file without failing (the missing part grey); its end marker tells."""
    with path.open("rb") as handle:
        handle.seek(max(0, size - 1_000_000))
        return b"\xff\xd9" in handle.read()


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        image = (image / 257).round().astype(np.uint8)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] in (2, 4):  # grey or colour with alpha: over the backdrop
        alpha = image[:, :, -1:].astype(np.float32) / 255
        image = (image[:, :, :-1] * alpha + BACKDROP * (1 - alpha)).round().astype(np.uint8)
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

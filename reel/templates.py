"""Platform presets and caption styles, loaded from ``templates/`` YAML files."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reel.errors import ReelError
from reel.models import NAME_PATTERN
from reel.yamlsafe import describe_error, load_yaml


class SafeZone(BaseModel):
    """Fractions of the frame that platform overlays cover; captions stay out of them."""

    top: float = Field(ge=0, lt=0.5)
    bottom: float = Field(ge=0, lt=0.6)
    left: float = Field(ge=0, lt=0.3)
    right: float = Field(ge=0, lt=0.3)


class PlatformPreset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    max_seconds: float
    safe_zone: SafeZone


class FontRef(BaseModel):
    package: str  # a pip-installed package that ships the font file
    file: str
    family: str  # the family name libass matches

    def directory(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ReelError(f"font package '{self.package}' is not installed: pip install {self.package.replace('_', '-')}")
        for location in spec.submodule_search_locations:
            for candidate in (Path(location) / "files", Path(location)):
                if (candidate / self.file).is_file():
                    return candidate
        raise ReelError(f"font file {self.file} not found in package {self.package}: reinstall it")


class CaptionColors(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    highlight: str
    outline: str
    shadow: str
    box: str = "#000000A0"  # behind the words when the style has a box

    @field_validator("*")
    @classmethod
    def _hex(cls, value: str) -> str:
        digits = value.removeprefix("#")
        if len(digits) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError(f"colour {value!r} must be #RRGGBB or #RRGGBBAA")
        return value


class CaptionStyle(BaseModel):
    """How captions look and how words are grouped into them.

    mode: ``karaoke`` shows a few words and colours the one being spoken; ``phrase`` shows short
    phrases whole; ``subtitle`` shows up to ``lines`` lines of at most ``max_chars_per_line``.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    mode: Literal["karaoke", "phrase", "subtitle"] = "karaoke"
    font: FontRef
    size: int = Field(gt=10, lt=400)  # libass font size in pixels at 1080x1920 (ascender + descender)
    uppercase: bool = False
    max_words: int = Field(default=3, ge=1, le=12)  # words shown at once
    max_chars_per_line: int = Field(default=42, ge=8, le=80)
    lines: int = Field(default=1, ge=1, le=2)
    max_gap_s: float = 0.35  # a pause longer than this starts a new caption
    position: Literal["bottom", "middle"] = "bottom"  # bottom: on the safe zone's lower edge
    colors: CaptionColors
    outline: float = Field(default=4, ge=0, le=20)
    shadow: float = Field(default=2, ge=0, le=20)
    box: bool = False  # an opaque box behind the words instead of an outline


def _load(kind: str, model: type[BaseModel], templates_dir: Path, name: str) -> BaseModel:
    path = templates_dir / kind / f"{name}.yaml"
    if not re.match(NAME_PATTERN, name) or not path.is_file():  # a name never leaves its folder
        raise ReelError(f"unknown {kind[:-1]} '{name}'; valid: {', '.join(list_names(templates_dir, kind))}")
    try:
        return model.model_validate(load_yaml(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as error:
        raise ReelError(f"template {path} is invalid{describe_error(error)}") from error
    except ValidationError as error:
        raise ReelError(f"template {path} is invalid: {_problem(error)}") from error


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def list_names(templates_dir: Path, kind: str) -> list[str]:
    return sorted(p.stem for p in (templates_dir / kind).glob("*.yaml"))


def load_platform(templates_dir: Path, name: str) -> PlatformPreset:
    return _load("platforms", PlatformPreset, templates_dir, name)  # type: ignore[return-value]


def load_caption_style(templates_dir: Path, name: str, brand: dict | None = None) -> CaptionStyle:
    """A caption style, with an avatar's brand-kit overrides (``{"colors": {"highlight": ...}}``) applied."""
    style: CaptionStyle = _load("captions", CaptionStyle, templates_dir, name)  # type: ignore[assignment]
    if not brand:
        return style
    try:
        return CaptionStyle.model_validate(_merge(style.model_dump(), brand))
    except ValidationError as error:
        raise ReelError(f"the avatar's brand caption settings are invalid: {_problem(error)}") from error


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged

"""Platform presets and caption styles, loaded from ``templates/`` YAML files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reel.errors import ReelError


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
    text: str
    highlight: str
    outline: str
    shadow: str

    @field_validator("*")
    @classmethod
    def _hex(cls, value: str) -> str:
        digits = value.removeprefix("#")
        if len(digits) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError(f"colour {value!r} must be #RRGGBB or #RRGGBBAA")
        return value


class CaptionStyle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    font: FontRef
    size: int = Field(gt=10, lt=400)
    uppercase: bool = False
    max_words: int = Field(ge=1, le=3)
    max_gap_s: float = 0.35
    colors: CaptionColors
    outline: float = 4
    shadow: float = 2


def _load(kind: str, model: type[BaseModel], templates_dir: Path, name: str) -> BaseModel:
    folder = templates_dir / kind
    path = folder / f"{name}.yaml"
    if not path.is_file():
        raise ReelError(f"unknown {kind[:-1]} '{name}'; valid: {', '.join(list_names(templates_dir, kind))}")
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        raise ReelError(f"template {path} is invalid: {str(error).splitlines()[0]}") from error


def list_names(templates_dir: Path, kind: str) -> list[str]:
    return sorted(p.stem for p in (templates_dir / kind).glob("*.yaml"))


def load_platform(templates_dir: Path, name: str) -> PlatformPreset:
    return _load("platforms", PlatformPreset, templates_dir, name)  # type: ignore[return-value]


def load_caption_style(templates_dir: Path, name: str) -> CaptionStyle:
    return _load("captions", CaptionStyle, templates_dir, name)  # type: ignore[return-value]

"""Settings from the environment (REEL_*); defaults render a Reels-ready 1080x1920 video."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reel.errors import ReelError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ReelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REEL_", extra="ignore")

    assets_dir: Path = PROJECT_ROOT / "assets"
    templates_dir: Path = PROJECT_ROOT / "templates"
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "reel")
    width: int = Field(default=1080, ge=64, le=4096, multiple_of=2)  # H.264 4:2:0 needs even sizes
    height: int = Field(default=1920, ge=64, le=4096, multiple_of=2)
    fps: int = Field(default=30, ge=1, le=120)
    animator: str = "portrait-warp"  # a script's `animator:` overrides it; options: REEL_<ANIMATOR>_<OPTION>
    seed: int = 0
    # Loudness target of the exported audio (EBU R128 integrated loudness and true peak).
    loudness_lufs: float = -14.0
    true_peak_db: float = -1.5
    # ultrafast is excluded: it cannot produce the H.264 High profile the platforms expect.
    x264_preset: Literal["superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"] = "veryfast"
    x264_crf: int = Field(default=20, ge=0, le=51)
    # Bounds on what users send: a broken or hostile input fails at once with one line instead of
    # taking the machine's memory or time (README: Limits).
    max_script_bytes: int = Field(default=100_000, ge=1_000)  # a script file or form text
    max_words: int = Field(default=2_000, ge=10)  # caption words in one script
    max_marks: int = Field(default=100, ge=0)  # [punch: ...] and [visual: ...] marks in one paragraph
    max_yaml_depth: int = Field(default=12, ge=4)  # nesting of a script's YAML
    max_image_pixels: int = Field(default=50_000_000, ge=1_000_000)  # a portrait's width x height
    max_upload_bytes: int = Field(default=500_000_000, ge=1_000_000)  # a portrait, recording or voice clip

    @field_validator("animator")
    @classmethod
    def _known_animator(cls, name: str) -> str:
        from reel.animate.registry import ANIMATORS

        if name not in ANIMATORS.names():
            raise ValueError(f"unknown animator '{name}'; valid animators: {', '.join(ANIMATORS.names())}")
        return name

    @property
    def avatars_dir(self) -> Path:
        return self.assets_dir / "avatars"

    @property
    def limits(self) -> Limits:
        return Limits(self.max_script_bytes, self.max_words, self.max_marks, self.max_yaml_depth,
                      self.max_image_pixels, self.max_upload_bytes)


@dataclass(frozen=True)
class Limits:
    """The REEL_MAX_* settings, for the code that reads user input."""

    script_bytes: int
    words: int
    marks: int
    yaml_depth: int
    image_pixels: int
    upload_bytes: int


DEFAULT_LIMITS = ReelSettings.model_construct().limits  # the documented defaults, whatever the environment


def load_settings() -> ReelSettings:
    """Settings from the environment; a bad REEL_* value becomes one clear line."""
    try:
        return ReelSettings()
    except ValidationError as error:
        problem = error.errors()[0]
        name = "REEL_" + "_".join(str(part) for part in problem["loc"]).upper()
        raise ReelError(f"setting {name} is invalid: {problem['msg'].removeprefix('Value error, ')}") from error

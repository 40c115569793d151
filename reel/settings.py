"""Settings from the environment (REEL_*); defaults render a Reels-ready 1080x1920 video."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ReelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REEL_", extra="ignore")

    assets_dir: Path = PROJECT_ROOT / "assets"
    templates_dir: Path = PROJECT_ROOT / "templates"
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "reel")
    width: int = 1080
    height: int = 1920
    fps: int = 30
    animator: str = "portrait-warp"
    seed: int = 0
    # Loudness target of the exported audio (EBU R128 integrated loudness and true peak).
    loudness_lufs: float = -14.0
    true_peak_db: float = -1.5
    x264_preset: str = "veryfast"
    x264_crf: int = 20

    @property
    def avatars_dir(self) -> Path:
        return self.assets_dir / "avatars"

"""Every animator in one place: name -> "module:class", imported when first used."""

from __future__ import annotations

import importlib

from reel.errors import EngineError

ANIMATORS: dict[str, str] = {
    "portrait-warp": "reel.animate.portrait_warp:PortraitWarpAnimator",
}


def load_animator(name: str):
    return _animator_class(name)()


def animator_version(name: str) -> str:
    return f"{name} {_animator_class(name).version}"


def _animator_class(name: str) -> type:
    if name not in ANIMATORS:
        raise EngineError(f"unknown animator '{name}'; valid animators: {', '.join(sorted(ANIMATORS))}")
    module_name, class_name = ANIMATORS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def frame_count(duration_s: float, fps: int) -> int:
    return max(1, round(duration_s * fps))

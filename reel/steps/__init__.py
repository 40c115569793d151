"""The render steps, in order: portrait -> speech -> captions -> camera -> video.

Each step is a function of one pydantic input model, and its cache key is the hash of that whole
model: the inputs (file contents, not their paths), the settings it uses and the engine's name,
version and options. A step can only read what its input model holds, so what its output depends
on is what its key hashes. Files a step makes are written under its key in the cache folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.steps.base import Progress, Step, files_intact
from reel.steps.camera import CAMERA
from reel.steps.captions import CAPTIONS
from reel.steps.portrait import PORTRAIT, portrait_input
from reel.steps.speech import SPEECH, speech_input
from reel.steps.video import VIDEO, frame_stream

STEPS: tuple[Step, ...] = (PORTRAIT, SPEECH, CAPTIONS, CAMERA, VIDEO)

__all__ = ["CAMERA", "CAPTIONS", "PORTRAIT", "SPEECH", "STEPS", "VIDEO", "Progress", "Step", "files_intact",
           "frame_stream", "portrait_input", "run_steps", "speech_input"]


def run_steps(plan: RenderPlan, settings: ReelSettings, runner, seconds: dict[str, float],
              progress: Callable[..., None], steps: tuple[Step, ...] = STEPS) -> dict[str, Any]:
    """Run ``steps`` (a first part of STEPS) in order through ``runner(step, inputs, progress)``;
    returns the artifacts by name."""
    done: dict[str, Any] = {}
    for step in steps:
        progress(step.name, 0, 1)
        started = time.perf_counter()
        inputs = step.prepare(plan, settings, done)
        done[step.name] = runner(step, inputs, lambda d, t, unit="frame", name=step.name: progress(name, d, t, unit))
        seconds[step.name] = time.perf_counter() - started
        progress(step.name, 1, 1)
    return done

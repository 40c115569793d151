"""A minimal animator: the still portrait with the shared face pass (mouth and blinks), nothing else.

Fast (no head rig), so orchestration tests use it; it is also the smallest example of an engine.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from reel.animate.base import AnimationJob
from reel.engines import Engine


class StillAnimator(Engine):
    name = "still"

    @classmethod
    def version(cls) -> str:
        return "1"

    def frames(self, job: AnimationJob) -> Iterator[np.ndarray]:
        frame = job.base.copy()
        for index in range(job.frames):
            job.face.apply(index, frame, job.base)
            yield frame

"""What an animator is: the protocol every image-to-video engine follows, and what it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from reel.animate.face import FacePass
from reel.engines import EngineOptions
from reel.models import Portrait, SpeechTrack

AUDIO_RATE = 16000  # speech samples handed to animators and the face pass


@dataclass
class AnimationJob:
    """One reel to animate. Frames are RGB uint8 at the portrait's size (the output size)."""

    portrait: Portrait
    base: np.ndarray  # the framed portrait's pixels
    speech: SpeechTrack
    audio: np.ndarray  # the speech, mono float at AUDIO_RATE
    fps: int
    frames: int
    seed: int
    face: FacePass  # the shared speech-driven mouth and blinks; engines decide where it runs
    directions: list[tuple[float, str]] = field(default_factory=list)  # (start s, [visual: ...]) per paragraph
    report: dict = field(default_factory=dict)  # the engine notes what it did here; kept in the manifest
    progress: Callable[..., None] = lambda done, total, unit="frame": None  # for engines that report their own

    def direction_at(self, seconds: float) -> str | None:
        """The visual direction of the paragraph being spoken at ``seconds`` (None: none given)."""
        current = None
        for start, direction in self.directions:
            if start <= seconds + 1e-6:
                current = direction
        return current


class Animator(Protocol):
    """Makes the motion frames of a reel. Camera moves, captions and the encoder come after it, shared
    by every engine. An engine whose frames do not move the mouth with the speech runs ``job.face`` on
    them (tracking the face per frame where the portrait's landmarks no longer apply)."""

    name: ClassVar[str]
    Options: ClassVar[type[EngineOptions]]
    install_hint: ClassVar[str]
    takes_directions: ClassVar[bool]  # True: the frames follow the script's [visual: ...] directions
    reports_progress: ClassVar[bool]  # True: the engine reports progress through ``job.progress`` itself

    @classmethod
    def is_installed(cls) -> bool: ...

    @classmethod
    def version(cls) -> str: ...

    def frames(self, job: AnimationJob) -> Iterator[np.ndarray]:
        """Yield ``job.frames`` frames; a yielded array may be reused, so consume it before the next."""
        ...

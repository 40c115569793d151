"""CPU talking head: the framed portrait with a speech-driven mouth, blinks and a camera move."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from reel.animate.blinks import blink_track
from reel.animate.camera import camera_matrices
from reel.animate.rigs import EyeRig, MouthRig
from reel.animate.visemes import mouth_track
from reel.models import Portrait, SpeechTrack


class PortraitWarpAnimator:
    name = "portrait-warp"
    version = "1"

    def frames(self, base: np.ndarray, portrait: Portrait, speech: SpeechTrack, moves: list[str],
               fps: int, frames: int, seed: int) -> Iterator[np.ndarray]:
        """Yield ``frames`` RGB frames. Each yielded array is reused: consume it before the next."""
        size = (portrait.width, portrait.height)
        landmarks = np.asarray(portrait.landmarks, dtype=np.float32)
        mouth = MouthRig(landmarks, size)
        eyes = [EyeRig(landmarks, size, side) for side in ("left", "right")]
        openness = mouth_track(speech.phones, fps, frames)
        closure = blink_track(seed, fps, frames)
        focus = ((portrait.face_box[0] + portrait.face_box[2]) / 2, (portrait.face_box[1] + portrait.face_box[3]) / 2)
        starts = [0.0] + [span[0] for span in speech.paragraph_spans[1:]]
        cameras = camera_matrices(moves, starts, frames / fps, fps, frames, size, focus)

        canvas = base.copy()
        out = np.empty_like(base)
        for index in range(frames):
            mouth.apply(canvas, base, float(openness[index]))
            for eye in eyes:
                eye.apply(canvas, base, float(closure[index]))
            matrix = cameras[index]
            if matrix is None:
                yield canvas
            else:
                cv2.warpAffine(canvas, matrix, size, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                yield out

"""CPU talking head: the framed portrait with a speech-driven mouth, blinks, head motion and a camera move."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from reel.animate.blinks import blink_track
from reel.animate.camera import CameraPlan, camera_matrices
from reel.animate.head import HeadRig, head_region, head_track, prosody_from_loudness, prosody_from_phones
from reel.animate.rigs import EyeRig, MouthRig
from reel.animate.visemes import audio_mouth_track, mouth_track
from reel.media.audio import read_audio, speech_envelope
from reel.models import Portrait, SpeechTrack

_AUDIO_RATE = 16000
_LID_FOLLOW = 0.15  # lid closure at a 2-degree nod


class PortraitWarpAnimator:
    name = "portrait-warp"
    version = "2"
    device = "cpu"  # animators that say "cuda" take the flows' global GPU limit

    def __init__(self, head_motion: bool = True):
        self.head_motion = head_motion  # off: only the face moves (to calibrate `reel evaluate`)

    def frames(self, base: np.ndarray, portrait: Portrait, speech: SpeechTrack, camera: CameraPlan,
               fps: int, frames: int, seed: int) -> Iterator[np.ndarray]:
        """Yield ``frames`` RGB frames. Each yielded array is reused: consume it before the next.

        Per frame: the face rigs (mouth, eyes) deform the still portrait, the head rig moves the
        head region of that, and the camera transforms the whole picture.
        """
        size = (portrait.width, portrait.height)
        landmarks = np.asarray(portrait.landmarks, dtype=np.float32)
        mouth = MouthRig(landmarks, size)
        eyes = [EyeRig(landmarks, size, side) for side in ("left", "right")]
        head = HeadRig(head_region(landmarks), size, include=[mouth.roi.slices] + [eye.roi.slices for eye in eyes])
        samples = read_audio(speech.path, _AUDIO_RATE)
        if speech.phones:
            openness, width = mouth_track(speech.phones, fps, frames, (samples, _AUDIO_RATE))
            prosody = prosody_from_phones(speech.phones, fps, frames)
        else:  # a recording without phoneme timings: everything from the audio
            openness, width = audio_mouth_track(samples, _AUDIO_RATE, fps, frames)
            prosody = prosody_from_loudness(speech_envelope(samples, _AUDIO_RATE, fps, frames), fps)
        pose = head_track(prosody, fps, frames, seed, amount=1.0 if self.head_motion else 0.0)
        # Between blinks the upper lids drop a little as the head dips, as the gaze goes down with it.
        closure = np.maximum(blink_track(seed, fps, frames), _LID_FOLLOW * np.clip(pose.pitch / 2.0, 0, 1))
        cameras = camera_matrices(camera, fps, frames, size)

        face = base.copy()  # the portrait with this frame's expression
        moved = base.copy()  # ... with the head moved
        out = np.empty_like(base)
        for index in range(frames):
            mouth.apply(face, base, float(openness[index]), float(width[index]))
            for eye in eyes:
                eye.apply(face, base, float(closure[index]))
            head.apply(moved, face, float(pose.pitch[index]), float(pose.yaw[index]), float(pose.roll[index]))
            matrix = cameras[index]
            if matrix is None:
                yield moved
            else:
                cv2.warpAffine(moved, matrix, size, dst=out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                yield out

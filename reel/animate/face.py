"""The speech-driven face pass: mouth shapes from the phonemes (or the audio), brows raised on the
speech's stresses and questions, a smile that eases while talking, and seeded blinks.

It runs on any engine's frames: on the still portrait with its known landmarks (the portrait warp),
or on generated frames, where it tracks the face mesh from frame to frame.
"""

from __future__ import annotations

import numpy as np

from reel.animate.blinks import blink_track
from reel.animate.expressions import brow_track, smile_relax_track
from reel.animate.head import prosody_from_loudness, prosody_from_phones
from reel.animate.rigs import EyeRig, MouthRig
from reel.animate.visemes import audio_mouth_track, contact_tracks, mouth_track
from reel.media.audio import speech_envelope
from reel.models import Portrait, SpeechTrack

_CONTACT_CLOSES = 0.7


class FacePass:
    def __init__(self, portrait: Portrait, speech: SpeechTrack, audio: np.ndarray, audio_rate: int,
                 fps: int, frames: int, seed: int):
        self.size = (portrait.width, portrait.height)
        loudness = speech_envelope(audio, audio_rate, fps, frames)
        if speech.phones:
            self.openness, self.width = mouth_track(speech.phones, fps, frames, (audio, audio_rate))
            self.press, self.tuck = contact_tracks(speech.phones, fps, frames, (audio, audio_rate))
            self.prosody = prosody_from_phones(speech.phones, fps, frames, loudness)
        else:  # a recording without phoneme timings: the mouth follows the audio, nods its loudness
            self.openness, self.width = audio_mouth_track(audio, audio_rate, fps, frames)
            self.press = self.tuck = np.zeros(frames, np.float32)  # no sounds to place lip contacts on
            self.prosody = prosody_from_loudness(loudness, fps)
        self.blinks = blink_track(seed, fps, frames)
        self.brows = brow_track(self.prosody, fps, frames, seed)
        self.relax = smile_relax_track(self.prosody, fps, frames)
        self.rest_landmarks = np.asarray(portrait.landmarks, dtype=np.float32)
        self._rest_rigs = self._rigs(self.rest_landmarks)
        self._tracked = self.rest_landmarks

    def regions(self) -> list[tuple[slice, slice]]:
        """(rows, cols) of every pixel the pass may change on the still portrait."""
        mouth, eyes = self._rest_rigs
        return [mouth.roi.slices] + [eye.roi.slices for eye in eyes]

    def apply(self, index: int, frame: np.ndarray, base: np.ndarray, lid_drop: float = 0.0,
              contacts: bool = False) -> None:
        """Shape the portrait ``base`` (the still, whose landmarks are the portrait's) for frame ``index``
        into ``frame``. ``lid_drop``: extra lid closure, e.g. when the head dips; ``contacts``: the lips
        meet on m/b/p and the lower lip rises to the upper teeth on f/v."""
        self._shape(self._rest_rigs, index, frame, base, lid_drop, contacts)

    def apply_tracked(self, index: int, frame: np.ndarray) -> bool:
        """Shape a generated frame in place, finding its face from the last frame's; False when the face
        is lost (the frame is left as it is)."""
        from reel.faces.mesh import load_face_mesh

        found = load_face_mesh().track(frame, self._tracked)
        if found is None:
            return False
        self._tracked = found.landmarks.astype(np.float32)
        self._shape(self._rigs(self._tracked), index, frame, frame, 0.0, contacts=False)
        return True

    def _rigs(self, landmarks: np.ndarray) -> tuple[MouthRig, list[EyeRig]]:
        return MouthRig(landmarks, self.size), [EyeRig(landmarks, self.size, side) for side in ("left", "right")]

    def _shape(self, rigs, index: int, frame: np.ndarray, base: np.ndarray, lid_drop: float,
               contacts: bool) -> None:
        mouth, eyes = rigs
        press, tuck = (float(self.press[index]), float(self.tuck[index])) if contacts else (0.0, 0.0)
        # Lips in contact hold the jaw nearly closed (the teeth stay a little apart on m, f, v).
        openness = float(self.openness[index]) * (1 - _CONTACT_CLOSES * max(press, tuck))
        mouth.apply(frame, base, openness, float(self.width[index]), float(self.relax[index]), press, tuck)
        closure = max(float(self.blinks[index]), lid_drop)
        for eye in eyes:
            eye.apply(frame, base, closure, float(self.brows[index]), float(self.relax[index]))

"""CPU talking head: the framed portrait with the speech-driven face pass and head motion.

Per frame, the face pass (mouth, eyes) deforms the still portrait and the head rig moves the head
region of that; the shared camera pass then moves the whole picture.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from reel.animate.base import AnimationJob
from reel.animate.head import HeadRig, head_region, head_track
from reel.engines import Engine, EngineOptions

_LID_FOLLOW = 0.15  # lid closure at a 2-degree nod


class PortraitWarpOptions(EngineOptions):
    head_motion: bool = True  # off: only the face moves (to calibrate `reel evaluate`)
    # On: the lips meet on m/b/p and the lower lip rises to the upper teeth on f/v. Off by default: the
    # landmark check (`reel evaluate`) reads closed lips as a head turn and a shut mouth on a loud "m"
    # as poor lip sync (README: Lip contacts).
    lip_contacts: bool = False


class PortraitWarpAnimator(Engine):
    name = "portrait-warp"
    Options = PortraitWarpOptions

    @classmethod
    def version(cls) -> str:
        return "6"

    def frames(self, job: AnimationJob) -> Iterator[np.ndarray]:
        size = (job.portrait.width, job.portrait.height)
        head = HeadRig(head_region(job.face.rest_landmarks), size, include=job.face.regions(),
                       landmarks=job.face.rest_landmarks, depth=np.asarray(job.portrait.depth, np.float32))
        pose = head_track(job.face.prosody, job.fps, job.frames, job.seed, amount=1.0 if self.options.head_motion else 0.0)
        # Between blinks the upper lids drop a little as the head dips, as the gaze goes down with it.
        lid_drop = _LID_FOLLOW * np.clip(pose.pitch / 2.0, 0, 1)

        face = job.base.copy()  # the portrait with this frame's expression
        moved = job.base.copy()  # ... with the head moved
        for index in range(job.frames):
            job.face.apply(index, face, job.base, float(lid_drop[index]), self.options.lip_contacts)
            head.apply(moved, face, float(pose.pitch[index]), float(pose.yaw[index]), float(pose.roll[index]))
            yield moved

"""Kling AI Avatar, hosted: the portrait and our speech go to the provider, a lip-synced talking
video comes back. For teams without a GPU.

The framed portrait (JPEG) and the speech (16 kHz WAV) leave the machine; nothing else does. A
reel longer than the provider's longest clip is split at sentence ends (see reel/animate/hosted.py).
"""

from __future__ import annotations

from pydantic import Field

from reel.animate.base import AnimationJob
from reel.animate.hosted import HostedAnimator, HostedOptions, clip_spans, wav_bytes
from reel.hosted.base import VideoJob

# USD per second of video, as listed (fal.ai, Kling AI Avatar v2); Kling's own API bills in resource
# packs, so set REEL_KLING_AVATAR_PRICE_PER_S to what yours costs.
PRICES = {("fal", "standard"): 0.0562, ("fal", "pro"): 0.115, ("kling", "standard"): 0.0562, ("kling", "pro"): 0.115}
LICENSE_NOTE = ("hosted by a third party: the portrait and the speech are sent to the provider, and every "
                "second of video is billed")


class KlingAvatarOptions(HostedOptions):
    max_clip_s: float = Field(default=60.0, ge=2)  # longest clip the provider makes; longer reels are split


class KlingAvatarAnimator(HostedAnimator):
    name = "kling-avatar"
    Options = KlingAvatarOptions
    license_note = LICENSE_NOTE
    prices = PRICES
    mouth_pass = False  # the provider moves the lips to our speech

    def spans(self, job: AnimationJob) -> list[tuple[float, float]]:
        return clip_spans(job.speech.words, job.frames / job.fps, self.options.max_clip_s)

    def clip_job(self, job: AnimationJob, image: bytes, start_s: float, end_s: float) -> VideoJob:
        return VideoJob(image, job.direction_at(start_s) or self.options.prompt, end_s - start_s,
                        audio_wav=wav_bytes(job.audio, start_s, end_s))

"""Kling image-to-video, hosted: the portrait and a prompt go to the provider, a moving portrait
comes back, and reel's face pass gives it the mouth and blinks of our speech (the face is found in
every frame). For teams without a GPU who want more motion than the CPU head.

Only the framed portrait (JPEG) and the prompt leave the machine. The provider makes clips of 5 or
10 s: the reel is cut at sentence ends into spans of at most 10 s, each generated from the portrait
again and trimmed to its span (see reel/animate/hosted.py).
"""

from __future__ import annotations

from reel.animate.base import AnimationJob
from reel.animate.diffusion import DEFAULT_NEGATIVE, DEFAULT_PROMPT
from reel.animate.hosted import HostedAnimator, HostedOptions, clip_spans
from reel.hosted.base import VideoJob

# USD per second of video, as listed for Kling 2.1 image-to-video through fal.ai (USD 0.25 / 0.45 per
# 5 s clip); set REEL_KLING_I2V_PRICE_PER_S to what your provider charges.
PRICES = {("fal", "standard"): 0.05, ("fal", "pro"): 0.09, ("kling", "standard"): 0.05, ("kling", "pro"): 0.09}
CLIP_LENGTHS = (5, 10)  # the only clip lengths the providers make, in seconds
LICENSE_NOTE = ("hosted by a third party: the portrait and the prompt are sent to the provider, and every clip "
                "of 5 or 10 s is billed in full")


class KlingI2vOptions(HostedOptions):
    prompt: str = DEFAULT_PROMPT  # a paragraph's [visual: ...] direction is added to it
    negative_prompt: str = DEFAULT_NEGATIVE


class KlingI2vAnimator(HostedAnimator):
    name = "kling-i2v"
    Options = KlingI2vOptions
    license_note = LICENSE_NOTE
    prices = PRICES
    mouth_pass = True  # the provider knows nothing of the speech

    def spans(self, job: AnimationJob) -> list[tuple[float, float]]:
        return clip_spans(job.speech.words, job.frames / job.fps, max(CLIP_LENGTHS))

    def billed_s(self, start_s: float, end_s: float) -> float:
        return next(length for length in CLIP_LENGTHS if end_s - start_s <= length + 1e-6)

    def clip_job(self, job: AnimationJob, image: bytes, start_s: float, end_s: float) -> VideoJob:
        direction = job.direction_at(start_s)
        prompt = f"{self.options.prompt}, {direction}" if direction else self.options.prompt
        return VideoJob(image, prompt, self.billed_s(start_s, end_s), negative_prompt=self.options.negative_prompt,
                        used_s=end_s - start_s)

"""Stable Video Diffusion image-to-video (diffusers' StableVideoDiffusionPipeline): the portrait
animated without a prompt. Its weights (stabilityai/stable-video-diffusion-img2vid-xt) are NOT for
commercial use under their licence: reel says so wherever it can be chosen."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from reel.animate.base import AnimationJob
from reel.animate.diffusion import DiffusersAnimator, DiffusionOptions, FrameRate, Guidance, Steps, WindowFrames

LICENSE_NOTE = "SVD weights: Stability AI licence, not for commercial use without a Stability AI licence"
_SIZE_MULTIPLE = 8  # StableVideoDiffusionPipeline.check_inputs refuses other sizes


class SvdOptions(DiffusionOptions):
    model: str = "stabilityai/stable-video-diffusion-img2vid-xt"
    steps: Steps = 25
    size: str = "576x1024"  # 9:16, the model's own pixel count
    window_frames: WindowFrames = 25
    frame_rate: FrameRate = 7
    motion: int = Field(default=127, ge=1, le=255)  # motion bucket: more motion with higher values
    noise_aug_strength: float = Field(default=0.02, ge=0.0, le=1.0)
    min_guidance: Guidance = 1.0


class SvdAnimator(DiffusersAnimator):
    name = "svd"
    Options = SvdOptions
    pipeline_class = "StableVideoDiffusionPipeline"
    needs = ("unet", "vae", "image_encoder", "feature_extractor", "scheduler")
    takes_directions = False  # no text prompt
    license_note = LICENSE_NOTE

    def temporal_ratio(self) -> int:
        return 1  # any frame count

    def size_multiple(self) -> int:
        return max(_SIZE_MULTIPLE, self.pipe.vae_scale_factor)

    def call_arguments(self, prompt: str, job: AnimationJob, start_s: float, frames: int) -> dict[str, Any]:
        return {"fps": self.options.frame_rate, "motion_bucket_id": self.options.motion,
                "noise_aug_strength": self.options.noise_aug_strength, "decode_chunk_size": 8,
                "min_guidance_scale": self.options.min_guidance, "max_guidance_scale": self.options.guidance}

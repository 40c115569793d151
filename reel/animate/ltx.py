"""LTX-Video image-to-video (diffusers' LTXImageToVideoPipeline). Weights: LTX-Video 0.9.x in
diffusers format; from 0.9.6 their licence allows commercial use."""

from __future__ import annotations

import math
from typing import Any

from reel.animate.base import AnimationJob
from reel.animate.diffusion import DiffusersAnimator, DiffusionOptions, FrameRate, Steps

_SIZE_MULTIPLE = 32  # LTXImageToVideoPipeline.check_inputs refuses other sizes


class LtxOptions(DiffusionOptions):
    model: str = "Lightricks/LTX-Video-0.9.7-dev"
    steps: Steps = 30
    size: str = "512x896"
    frame_rate: FrameRate = 25


class LtxAnimator(DiffusersAnimator):
    name = "ltx"
    Options = LtxOptions
    pipeline_class = "LTXImageToVideoPipeline"
    license_note = "LTX-Video weights: commercial use allowed from version 0.9.6 (LTX-Video licence)"

    def temporal_ratio(self) -> int:
        return self.pipe.vae_temporal_compression_ratio

    def size_multiple(self) -> int:
        return math.lcm(_SIZE_MULTIPLE, self.pipe.vae_spatial_compression_ratio)

    def call_arguments(self, prompt: str, job: AnimationJob, start_s: float, frames: int) -> dict[str, Any]:
        return {**super().call_arguments(prompt, job, start_s, frames), "frame_rate": self.options.frame_rate}

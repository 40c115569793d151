"""Wan image-to-video (diffusers' WanImageToVideoPipeline). Default weights: Wan2.2-TI2V-5B
(Apache-2.0; no image encoder, 24 fps); Wan2.1-I2V-14B-480P folders load too (set
REEL_WAN_FRAME_RATE=16 for them)."""

from __future__ import annotations

import math

from reel.animate.diffusion import DiffusersAnimator, DiffusionOptions, FrameRate, Guidance, Steps

_SIZE_MULTIPLE = 16  # WanImageToVideoPipeline.check_inputs refuses other sizes


class WanOptions(DiffusionOptions):
    model: str = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
    steps: Steps = 40
    size: str = "480x832"
    guidance: Guidance = 5.0
    frame_rate: FrameRate = 24


class WanAnimator(DiffusersAnimator):
    name = "wan"
    Options = WanOptions
    pipeline_class = "WanImageToVideoPipeline"
    license_note = "Wan 2.2 weights: Apache-2.0"

    def temporal_ratio(self) -> int:
        return self.pipe.vae_scale_factor_temporal

    def size_multiple(self) -> int:
        # The latent grid is cut into patches: a size must fill whole patches of the VAE's cells.
        patch = self.pipe.transformer.config.patch_size[-1]
        return math.lcm(_SIZE_MULTIPLE, self.pipe.vae_scale_factor_spatial * patch)

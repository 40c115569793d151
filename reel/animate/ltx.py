"""LTX-Video image-to-video (diffusers' LTXImageToVideoPipeline): the portrait, animated by the model
from a prompt, then given the speech-driven mouth by the shared face pass.

Weights: LTX-Video 0.9.x in diffusers format (from 0.9.6 their licence allows commercial use). A
reel longer than one window is generated window by window, each started from the previous
window's last frame, with its colours matched to the portrait so the reel neither jumps at a seam
nor drifts.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from pydantic import Field

from reel.animate.base import AnimationJob
from reel.animate.diffusion import (
    INSTALL_HINT,
    DiffusionOptions,
    cover,
    diffusion_installed,
    match_colour,
    model_folder,
    resampled,
    window_lengths,
)
from reel.engines import Engine

_NEEDS = ("transformer", "vae", "text_encoder", "tokenizer", "scheduler")
_SIZE_MULTIPLE = 32  # LTXImageToVideoPipeline.check_inputs refuses other sizes


class LtxOptions(DiffusionOptions):
    model: str = "Lightricks/LTX-Video-0.9.7-dev"
    steps: int = Field(default=30, ge=1, le=200)
    size: str = "512x896"
    frame_rate: int = Field(default=25, ge=1, le=60)  # the model's own frame rate


class LtxAnimator(Engine):
    name = "ltx"
    Options = LtxOptions
    install_hint = INSTALL_HINT
    takes_directions = True

    @classmethod
    def is_installed(cls) -> bool:
        return diffusion_installed()

    @classmethod
    def version(cls) -> str:
        import importlib.metadata

        return f"1 (diffusers {importlib.metadata.version('diffusers')})"

    @classmethod
    def check(cls, options: LtxOptions) -> None:
        model_folder(cls.name, options.model, _NEEDS)

    def __init__(self, options: LtxOptions):
        import torch
        from diffusers import LTXImageToVideoPipeline

        super().__init__(options)
        dtype = getattr(torch, options.dtype) if options.device != "cpu" else torch.float32
        self.pipe = LTXImageToVideoPipeline.from_pretrained(
            model_folder(self.name, options.model, _NEEDS), dtype=dtype, local_files_only=True)
        if options.cpu_offload:
            self.pipe.enable_model_cpu_offload(device=options.device)
        else:
            self.pipe.to(options.device)
        if options.vae_tiling:
            self.pipe.vae.enable_tiling()
        self.pipe.set_progress_bar_config(disable=True)

    def frames(self, job: AnimationJob) -> Iterator[np.ndarray]:
        size = (job.portrait.width, job.portrait.height)
        job.report["frames_without_face"] = 0
        for index, frame in enumerate(resampled(self._model_frames(job), self.options.frame_rate, job.fps,
                                                job.frames)):
            frame = cover(frame, size)
            if not job.face.apply_tracked(index, frame):  # no face found: the frame passes unchanged
                job.report["frames_without_face"] += 1
            yield frame

    def _model_frames(self, job: AnimationJob) -> Iterator[np.ndarray]:
        """Model frames (uint8 RGB at the generation size) covering the reel, window by window."""
        import PIL.Image
        import torch

        size = self.generation_size()
        portrait = cover(job.base, size).astype(np.float32) / 255.0
        needed = math.ceil(job.frames / job.fps * self.options.frame_rate) + 1
        start, made = portrait, 0
        job.report["prompts"] = []
        for number, count in enumerate(window_lengths(needed, self.options.window_frames,
                                                      self.pipe.vae_temporal_compression_ratio)):
            direction = job.direction_at(made / self.options.frame_rate)
            prompt = f"{self.options.prompt}, {direction}" if direction else self.options.prompt
            job.report["prompts"].append({"start_s": round(made / self.options.frame_rate, 3), "prompt": prompt})
            video = self.pipe(
                image=PIL.Image.fromarray((start * 255).round().astype(np.uint8)), prompt=prompt,
                negative_prompt=self.options.negative_prompt, width=size[0], height=size[1], num_frames=count,
                frame_rate=self.options.frame_rate, num_inference_steps=self.options.steps,
                guidance_scale=self.options.guidance, output_type="np",
                generator=torch.Generator(device="cpu").manual_seed(job.seed + number),
            ).frames[0]
            video = match_colour(np.asarray(video, dtype=np.float32), portrait)
            for frame in video[1:] if number else video:  # a later window's first frame repeats the last one
                yield (frame * 255).round().astype(np.uint8)
            start, made = video[-1], made + len(video) - (1 if number else 0)

    def generation_size(self) -> tuple[int, int]:
        """The asked-for size, rounded up to what the pipeline accepts (its VAE's compression and 32)."""
        multiple = math.lcm(_SIZE_MULTIPLE, self.pipe.vae_spatial_compression_ratio)
        width, height = self.options.dimensions
        return math.ceil(width / multiple) * multiple, math.ceil(height / multiple) * multiple

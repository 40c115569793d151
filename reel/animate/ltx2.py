"""LTX-2 image-to-video (diffusers' LTX2ImageToVideoPipeline), held to our speech.

LTX-2 denoises video and audio together, the two streams attending to each other in every block.
In speech mode (the default) the audio stream is not generated: each window's stretch of our speech
is turned into the model's own audio latents (log-mel spectrogram, then the pipeline's audio VAE)
and held clean through denoising. A hook on the transformer replaces the audio tokens of every call
with those latents and sets the audio timestep and sigma to 0 (clean), so the video's
audio-to-video attention reads our speech at every step and the model moves the lips to it. The
audio the model returns is dropped; the reel's audio is always our speech track.

Weights: LTX-2 Community License, free for organisations below USD 10M annual revenue.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from reel.animate.base import AUDIO_RATE, AnimationJob
from reel.animate.diffusion import TEXT_PIPELINE_PARTS, DiffusersAnimator, DiffusionOptions, FrameRate, Guidance, Steps

LICENSE_NOTE = ("LTX-2 weights: LTX-2 Community License, free below USD 10M annual revenue; "
                "larger companies need a licence from Lightricks")
_SIZE_MULTIPLE = 32  # LTX2ImageToVideoPipeline.check_inputs refuses other sizes


class Ltx2Options(DiffusionOptions):
    model: str = "Lightricks/LTX-2"
    steps: Steps = 40
    size: str = "544x960"
    guidance: Guidance = 4.0
    frame_rate: FrameRate = 24
    speech: bool = True  # hold the model's audio stream to our speech, so that the model moves the lips
    mouth_pass: bool = False  # also give the frames reel's own mouth (always on when `speech` is off)
    n_fft: int = Field(default=1024, ge=64, le=8192)  # STFT size of the log-mel front end of the audio VAE


class Ltx2Animator(DiffusersAnimator):
    name = "ltx2"
    Options = Ltx2Options
    pipeline_class = "LTX2ImageToVideoPipeline"
    needs = (*TEXT_PIPELINE_PARTS, "connectors", "audio_vae", "vocoder")
    license_note = LICENSE_NOTE

    def __init__(self, options: Ltx2Options):
        super().__init__(options)
        self.speech_tokens = None  # the current window's speech, as the transformer's audio tokens
        if options.speech:
            self.pipe.transformer.register_forward_pre_hook(self._hold_speech, with_kwargs=True)

    def temporal_ratio(self) -> int:
        return self.pipe.vae_temporal_compression_ratio

    def size_multiple(self) -> int:
        return max(_SIZE_MULTIPLE, self.pipe.vae_spatial_compression_ratio)

    def mouth_pass(self) -> bool:
        return self.options.mouth_pass or not self.options.speech

    def call_arguments(self, prompt: str, job: AnimationJob, start_s: float, frames: int) -> dict[str, Any]:
        arguments = {**super().call_arguments(prompt, job, start_s, frames), "frame_rate": self.options.frame_rate}
        if not self.options.speech:
            return arguments
        latents = self.speech_latents(job.audio, start_s, frames / self.options.frame_rate)
        pipe = self.pipe
        self.speech_tokens = pipe._normalize_audio_latents(pipe._pack_audio_latents(latents),
                                                           pipe.audio_vae.latents_mean, pipe.audio_vae.latents_std)
        job.report["speech_conditioned"] = True
        # Given latents also set the audio length; noise_scale 0 starts them clean.
        return {**arguments, "audio_latents": latents, "noise_scale": 0.0}

    def speech_latents(self, audio: np.ndarray, start_s: float, duration_s: float):
        """The stretch of ``audio`` (mono, AUDIO_RATE) from ``start_s`` encoded by the audio VAE: latents
        shaped (1, channels, frames, mel bins) as the pipeline's own, as many frames as it makes for
        ``duration_s`` of video."""
        import torch

        vae, pipe = self.pipe.audio_vae, self.pipe
        rate, hop = vae.config.sample_rate, vae.config.mel_hop_length
        stretch = audio[round(start_s * AUDIO_RATE):round((start_s + duration_s) * AUDIO_RATE)]
        stretch = np.pad(stretch, (0, max(0, round(duration_s * AUDIO_RATE) - len(stretch))))
        if rate != AUDIO_RATE:
            times = np.arange(round(len(stretch) * rate / AUDIO_RATE)) / rate
            stretch = np.interp(times, np.arange(len(stretch)) / AUDIO_RATE, stretch)
        mel = log_mel(stretch, rate, self.options.n_fft, hop, vae.config.mel_bins)
        mel = mel.expand(1, vae.config.in_channels, -1, -1)  # mono speech on every channel (stereo models)
        with torch.no_grad():
            latents = vae.encode(mel.to(vae.device, vae.dtype)).latent_dist.mode()
        frames = round(duration_s * rate / hop / pipe.audio_vae_temporal_compression_ratio)
        latents = latents[:, :, :frames]
        if latents.shape[2] < frames:  # the encoder's rounding: repeat the last frame
            latents = torch.cat([latents, latents[:, :, -1:].expand(-1, -1, frames - latents.shape[2], -1)], dim=2)
        return latents.float()

    def _hold_speech(self, module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """Before every transformer call: the audio tokens are our speech, clean (timestep and sigma 0)."""
        import torch

        audio = kwargs["audio_hidden_states"]
        clean = torch.zeros(audio.shape[0], device=audio.device, dtype=kwargs["timestep"].dtype)
        kwargs["audio_hidden_states"] = self.speech_tokens.to(audio.device, audio.dtype).expand(audio.shape[0], -1, -1)
        kwargs["audio_timestep"] = clean
        kwargs["audio_sigma"] = clean
        return args, kwargs


def log_mel(samples: np.ndarray, rate: int, n_fft: int, hop: int, bins: int):
    """Natural-log mel magnitudes (Slaney scale and norm, Hann window, centred frames) as LTX-2's
    audio VAE was trained on; shape (1, 1, frames, bins)."""
    import torch
    from transformers.audio_utils import mel_filter_bank

    wave = torch.as_tensor(np.pad(samples, (0, max(0, n_fft - len(samples)))), dtype=torch.float32)
    spectrum = torch.stft(wave, n_fft, hop_length=hop, win_length=n_fft, window=torch.hann_window(n_fft),
                          center=True, pad_mode="reflect", return_complex=True).abs()  # (freqs, frames)
    bank = torch.from_numpy(mel_filter_bank(num_frequency_bins=n_fft // 2 + 1, num_mel_filters=bins,
                                            min_frequency=0.0, max_frequency=rate / 2, sampling_rate=rate,
                                            norm="slaney", mel_scale="slaney")).float()  # (freqs, bins)
    return torch.log(torch.clamp(spectrum.T @ bank, min=1e-5))[None, None]

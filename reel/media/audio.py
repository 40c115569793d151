"""Decode audio (a WAV, or a video's audio track) to mono float samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reel.errors import MediaError

ENVELOPE_WINDOW_S = 0.04
ENVELOPE_RANGE_DB = 40.0  # the loudness envelope spans the top 40 dB of the speech


def read_audio(path: Path, sample_rate: int = 16000) -> np.ndarray:
    """Mono float samples of a WAV or of a video's audio track, resampled to ``sample_rate``."""
    import av

    chunks = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaError(f"{path} has no audio track: pass the speech with --speech WAV")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().ravel())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().ravel())
    except av.error.FFmpegError as error:
        raise MediaError(f"cannot read audio from {path}: {error.strerror}") from error
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def audio_seconds(path: Path) -> float | None:
    """The length a file's header gives, read without decoding (None when it gives none); MediaError
    when FFmpeg finds no audio in it."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MediaError(f"{path} has no audio")
            return container.duration / av.time_base if container.duration is not None else None
    except av.error.FFmpegError as error:
        raise MediaError(f"{path} is not audio FFmpeg can read ({error.strerror})") from error


def speech_envelope(samples: np.ndarray, sample_rate: int, fps: float, frames: int) -> np.ndarray:
    """Loudness per frame (of ``fps`` frames a second) in [0, 1]: RMS level in dB over 40 ms at the
    frame's centre, mapped from 40 dB under the speech peaks (0) to the peaks (1)."""
    half = int(ENVELOPE_WINDOW_S * sample_rate / 2)
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    centres = ((np.arange(frames) + 0.5) / fps * sample_rate).astype(int)
    lo, hi = np.clip(centres - half, 0, len(samples)), np.clip(centres + half, 0, len(samples))
    rms = np.sqrt((energy[hi] - energy[lo]) / np.maximum(hi - lo, 1))
    db = 20 * np.log10(np.maximum(rms, 1e-9))
    peak = np.percentile(db, 99)
    return np.clip((db - peak + ENVELOPE_RANGE_DB) / ENVELOPE_RANGE_DB, 0.0, 1.0)

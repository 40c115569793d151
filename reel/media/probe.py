"""Read back what was written: stream properties (PyAV, since imageio-ffmpeg has no ffprobe) and loudness."""

from __future__ import annotations

import re
from pathlib import Path

from reel.errors import MediaError
from reel.media import ffmpeg


def probe(path: Path) -> dict:
    import av

    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            audio = container.streams.audio[0]
            return {
                "width": video.codec_context.width,
                "height": video.codec_context.height,
                "fps": float(video.average_rate),
                "frames": video.frames,
                "video_codec": video.codec_context.name,
                "profile": video.codec_context.profile,
                "pix_fmt": video.codec_context.format.name if video.codec_context.format else None,
                "color_space": str(video.codec_context.colorspace),
                "video_duration_s": float(video.duration * video.time_base),
                "audio_codec": audio.codec_context.name,
                "sample_rate": audio.codec_context.sample_rate,
                "channels": audio.codec_context.channels,
                "audio_duration_s": float(audio.duration * audio.time_base),
            }
    except (av.error.FFmpegError, IndexError) as error:
        raise MediaError(f"cannot read back {path}: {error}") from error


def measure_loudness(path: Path, filters: str = "") -> dict[str, float]:
    """EBU R128 integrated loudness (LUFS) and true peak (dBTP) of a file's audio, after ``filters``."""
    chain = f"{filters},ebur128=peak=true" if filters else "ebur128=peak=true"
    stderr = ffmpeg.run([ffmpeg.ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-vn",
                         "-af", chain, "-f", "null", "-"])
    summary = stderr[stderr.rfind("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not integrated or not peak:
        raise MediaError(f"ffmpeg ebur128 printed no summary for {path}")
    return {"integrated_lufs": float(integrated.group(1)), "true_peak_dbtp": float(peak.group(1))}

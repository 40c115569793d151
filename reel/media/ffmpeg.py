"""Build ffmpeg command lines (pure functions) and run them (one runner, never a shell)."""

from __future__ import annotations

import fcntl
import functools
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from reel.errors import EngineError, MediaError

FIRST_FRAME_QP = 12
# Frames go through a pipe of this size: through the default 64 KiB, 600 frames of 1080x1920 cost 7.7
# CPU seconds to transfer, through 1 MiB (the usual unprivileged limit) 4.3 (benchmarks/frame_pipe.py).
FRAME_PIPE_BYTES = 1 << 20


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg bundled with imageio-ffmpeg: it has libx264, libass and loudnorm on any machine."""
    try:
        import imageio_ffmpeg
    except ImportError as error:
        raise EngineError("imageio-ffmpeg is not installed: pip install imageio-ffmpeg") from error
    return imageio_ffmpeg.get_ffmpeg_exe()


def escape_filter_value(value: str) -> str:
    """Escape a filter option value, then the result for the filtergraph (ffmpeg-filters, 'Notes on
    filtergraph escaping'), so any path or text is taken literally."""
    for special in ("\\", "'", ":"):
        value = value.replace(special, "\\" + special)
    for special in ("\\", "'", "[", "]", ",", ";"):
        value = value.replace(special, "\\" + special)
    return value


def loudness_filter(gain_db: float, true_peak_db: float) -> str:
    """Stereo 48 kHz (measured as delivered: a mono voice on two channels reads 3 LU louder), gain to the loudness target, then two limiters (a slow one shapes the syllables, a fast
    one catches what is left) under the true-peak ceiling. Limiting at 48 kHz rather than the voice's
    22.05 kHz keeps inter-sample peaks close to sample peaks; the ceiling sits 0.5 dB lower still.
    """
    ceiling = 10 ** ((true_peak_db - 0.5) / 20)
    return (f"aformat=channel_layouts=stereo,aresample=48000,volume={gain_db:.2f}dB,"
            f"alimiter=limit={ceiling:.4f}:attack=5:release=60:level=disabled:latency=1,"
            f"alimiter=limit={ceiling:.4f}:attack=1:release=30:level=disabled:latency=1")


def encode_argv(*, out: Path, size: tuple[int, int], fps: int, frames: int, audio: Path, audio_filter: str,
                subtitles: Path | None, fonts_dir: Path | None, preset: str, crf: int) -> list[str]:
    """Raw RGB frames on stdin + speech WAV -> H.264 High / AAC 48 kHz MP4 with burnt-in captions."""
    duration = frames / fps
    video_filters = []
    if subtitles is not None:
        ass = f"ass=filename={escape_filter_value(str(subtitles))}"
        if fonts_dir is not None:
            ass += f":fontsdir={escape_filter_value(str(fonts_dir))}"
        video_filters.append(ass)
    video_filters += [
        "scale=out_color_matrix=bt709:out_range=tv", "format=yuv420p",
        "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv",
    ]
    # Pad then cut the audio to exactly the video's length, so the two durations agree.
    audio_filters = [audio_filter, f"apad=whole_dur={duration:.6f}", f"atrim=duration={duration:.6f}"]
    return [
        ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "pipe:0",
        "-i", str(audio),
        "-filter_complex", f"[0:v]{','.join(video_filters)}[v];[1:a]{','.join(audio_filters)}[a]",
        "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high", "-pix_fmt", "yuv420p",
        # The first frame (the still portrait, and the cover platforms show) at near-lossless quality.
        "-x264-params", f"zones=0,0,q={FIRST_FRAME_QP}",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2",
        "-frames:v", str(frames), "-movflags", "+faststart", "-f", "mp4", str(out),
    ]


def run(argv: list[str]) -> str:
    """Run ffmpeg to completion; returns stderr. Raises MediaError with the command and stderr tail."""
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
    if result.returncode != 0:
        raise MediaError(_failure(argv, result.stderr))
    return result.stderr


def run_with_frames(argv: list[str], frames: Iterable[np.ndarray]) -> None:
    """Stream RGB frames into ffmpeg's stdin; frames are never all held in memory."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        _widen_pipe(process.stdin.fileno())
        try:
            for frame in frames:
                process.stdin.write(np.ascontiguousarray(frame).data)
            process.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its stderr says why
        except BaseException:
            process.kill()
            process.wait()
            raise
        code = process.wait()
        if code != 0:
            stderr.seek(0)
            raise MediaError(_failure(argv, stderr.read().decode(errors="replace")))


def _widen_pipe(fd: int) -> None:
    """Grow the pipe to FRAME_PIPE_BYTES where the system allows (Linux); otherwise keep its size."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, FRAME_PIPE_BYTES)
    except (AttributeError, OSError):  # not Linux, or a lower pipe-max-size
        pass


def _failure(argv: list[str], stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    # The first lines usually name the cause, the last ones the consequence.
    shown = lines if len(lines) <= 4 else lines[:2] + ["..."] + lines[-2:]
    tail = " | ".join(shown)
    return f"ffmpeg failed ({Path(argv[0]).name} {' '.join(argv[1:6])} ...): {tail or 'no output'}"

"""What it costs to pipe 1080x1920 RGB frames into FFmpeg, with the default pipe and with reel's.

    .venv/bin/python benchmarks/frame_pipe.py [--frames 600] [--runs 5]

FFmpeg reads the frames and drops them (-f null), so what is timed is the transfer alone: the
seconds, and the CPU seconds of this process (writing) and of FFmpeg (reading), with the default
64 KiB pipe and with the pipe reel widens to FRAME_PIPE_BYTES. The two are run alternately and
reported as medians, since shared machines are noisy.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time

import numpy as np

from reel.media.ffmpeg import FRAME_PIPE_BYTES, _widen_pipe, ffmpeg_exe

WIDTH, HEIGHT = 1080, 1920


def one_run(frames: list[np.ndarray], count: int, widen: bool) -> dict[str, float]:
    before_self, before_child = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "rawvideo",
                                "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", "30", "-i", "pipe:0",
                                "-f", "null", "-"], stdin=subprocess.PIPE)
    if widen:
        _widen_pipe(process.stdin.fileno())
    for index in range(count):
        process.stdin.write(frames[index % len(frames)].data)
    process.stdin.close()
    process.wait()
    after_self, after_child = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": time.perf_counter() - started,
            "writer_cpu_s": _cpu(after_self) - _cpu(before_self),
            "ffmpeg_cpu_s": _cpu(after_child) - _cpu(before_child)}


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(8)]
    runs: dict[str, list[dict[str, float]]] = {"default 64 KiB": [], f"reel's {FRAME_PIPE_BYTES >> 10} KiB": []}
    for _ in range(args.runs):
        for label, widen in zip(runs, (False, True)):
            runs[label].append(one_run(frames, args.frames, widen))
    print(f"{args.frames} frames of {WIDTH}x{HEIGHT} RGB ({args.frames * WIDTH * HEIGHT * 3 / 1e9:.1f} GB), "
          f"medians of {args.runs} alternating runs")
    print(f"{'pipe':<18}{'wall s':>9}{'writer CPU s':>14}{'ffmpeg CPU s':>14}{'total CPU s':>13}")
    for label, results in runs.items():
        wall, writer, reader = (statistics.median(r[key] for r in results)
                                for key in ("wall_s", "writer_cpu_s", "ffmpeg_cpu_s"))
        total = statistics.median(r["writer_cpu_s"] + r["ffmpeg_cpu_s"] for r in results)
        print(f"{label:<18}{wall:>9.2f}{writer:>14.2f}{reader:>14.2f}{total:>13.2f}")


if __name__ == "__main__":
    main()

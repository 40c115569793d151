"""Benchmark `reel render`: seconds and real-time factor per stage, peak memory, and the video step
against x264 alone encoding the same frames.

    .venv/bin/python benchmarks/render_sample.py [--runs 3] [--script FILE ...] [--x264]

The 15, 30 and 60 s scripts: benchmarks/scripts/fifteen.md, thirty.md, sixty.md (the default is the
sample, assets/scripts/meet-nova.md). With --x264, each run also decodes its reel to raw frames (not
timed) and times libx264 alone encoding them with the render's preset and CRF: the video step's cost
over that is the animation, the caption burn-in, the colour conversion and the audio.

Each run is a fresh process (models load inside it, as in a one-off `reel render`), so peak memory
is per run. Each run gets an empty cache folder, so it pays for framing the portrait and for the
speech, as a first render of a new script does (a re-render reuses both from the cache). Figures are medians over the runs; shared machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(script: Path, x264: bool) -> dict:
    from reel.pipeline import render

    children = _ChildMemory()
    children.start()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = render(script, Path(out))
        wall = time.perf_counter() - started
        children.stop = True
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        alone = x264_alone_seconds(result.video) if x264 else None
    return {
        "wall_s": wall, "reel_s": result.duration_s, "stages": result.stage_seconds,
        "peak_rss_mb": peak_rss, "peak_ffmpeg_rss_mb": children.peak_kb / 1024, "x264_alone_s": alone,
    }


def x264_alone_seconds(video: Path) -> float:
    """libx264 alone encoding the reel's frames (decoded to a raw file first, not timed) as a render does."""
    from reel.media.ffmpeg import ffmpeg_exe
    from reel.media.probe import probe
    from reel.settings import load_settings

    settings, info = load_settings(), probe(video)
    quiet = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
    raw = video.with_suffix(".yuv")
    subprocess.run([*quiet, "-i", str(video), "-an", "-pix_fmt", "yuv420p", "-f", "rawvideo", str(raw)], check=True)
    started = time.perf_counter()
    subprocess.run([*quiet, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{info['width']}x{info['height']}",
                    "-r", f"{info['fps']:g}", "-i", str(raw), "-c:v", "libx264", "-preset", settings.x264_preset,
                    "-crf", str(settings.x264_crf), "-profile:v", "high", "-f", "mp4", os.devnull], check=True)
    seconds = time.perf_counter() - started
    raw.unlink()
    return seconds


class _ChildMemory(threading.Thread):
    """Polls the peak RSS (VmHWM) of this process's children (the ffmpeg encoder) every 0.2 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.peak_kb = False, 0

    def run(self) -> None:
        me = str(os.getpid())
        while not self.stop:
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] == me:
                        status = (stat.parent / "status").read_text()
                        self.peak_kb = max(self.peak_kb, int(status.split("VmHWM:")[1].split()[0]))
                except (OSError, IndexError, ValueError):
                    continue
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--script", type=Path, nargs="+", default=[ROOT / "assets" / "scripts" / "meet-nova.md"])
    parser.add_argument("--x264", action="store_true", help="also time x264 alone on each reel's frames")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.script[0], args.x264)))
        return
    for script in args.script:
        report(script, [run_once(script, args.x264, index) for index in range(args.runs)])


def run_once(script: Path, x264: bool, index: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        output = subprocess.run([sys.executable, __file__, "--one", "--script", str(script)] + (["--x264"] if x264 else []),
                                env={**os.environ, "REEL_CACHE_DIR": cache},
                                check=True, capture_output=True, text=True).stdout
    run = json.loads(output.strip().splitlines()[-1])
    print(f"{script.name} run {index + 1}: {run['wall_s']:.1f} s wall for a {run['reel_s']:.1f} s reel", file=sys.stderr)
    return run


def report(script: Path, runs: list[dict]) -> None:
    reel_s = statistics.median(r["reel_s"] for r in runs)
    wall = statistics.median(r["wall_s"] for r in runs)
    print(f"script: {script.name}, reel {reel_s:.1f} s, {len(runs)} runs (medians)")
    print(f"{'stage':<16}{'seconds':>9}{'x real time':>13}{'share':>8}")
    for stage in runs[0]["stages"]:
        seconds = statistics.median(r["stages"][stage] for r in runs)
        print(f"{stage:<16}{seconds:>9.2f}{seconds / reel_s:>13.3f}{seconds / wall:>8.0%}")
    print(f"{'end-to-end':<16}{wall:>9.2f}{wall / reel_s:>13.3f}{1:>8.0%}")
    print(f"peak memory (RSS): render process {statistics.median(r['peak_rss_mb'] for r in runs):.0f} MB, "
          f"largest ffmpeg process {statistics.median(r['peak_ffmpeg_rss_mb'] for r in runs):.0f} MB")
    if runs[0].get("x264_alone_s") is not None:
        ratios = [r["stages"]["video"] / r["x264_alone_s"] for r in runs]
        print(f"x264 alone on the same frames {statistics.median(r['x264_alone_s'] for r in runs):.2f} s; the video "
              f"step takes {statistics.median(ratios):.2f}x as long (runs: {', '.join(f'{x:.2f}' for x in ratios)})")


if __name__ == "__main__":
    main()

"""Benchmark `reel render` of the sample reel: seconds and real-time factor per stage, peak memory.

    .venv/bin/python benchmarks/render_sample.py [--runs 3] [--script assets/scripts/meet-nova.md]

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


def one_run(script: Path) -> dict:
    from reel.pipeline import render

    children = _ChildMemory()
    children.start()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = render(script, Path(out))
        wall = time.perf_counter() - started
    children.stop = True
    return {
        "wall_s": wall, "reel_s": result.duration_s, "stages": result.stage_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_ffmpeg_rss_mb": children.peak_kb / 1024,
    }


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
    parser.add_argument("--script", type=Path, default=ROOT / "assets" / "scripts" / "meet-nova.md")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.script)))
        return

    runs = []
    for index in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            output = subprocess.run([sys.executable, __file__, "--one", "--script", str(args.script)],
                                    env={**os.environ, "REEL_CACHE_DIR": cache},
                                    check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
        print(f"run {index + 1}: {runs[-1]['wall_s']:.1f} s wall for a {runs[-1]['reel_s']:.1f} s reel", file=sys.stderr)

    reel_s = statistics.median(r["reel_s"] for r in runs)
    wall = statistics.median(r["wall_s"] for r in runs)
    print(f"sample: {args.script.name}, reel {reel_s:.1f} s, {len(runs)} runs (medians)")
    print(f"{'stage':<16}{'seconds':>9}{'x real time':>13}{'share':>8}")
    for stage in runs[0]["stages"]:
        seconds = statistics.median(r["stages"][stage] for r in runs)
        print(f"{stage:<16}{seconds:>9.2f}{seconds / reel_s:>13.3f}{seconds / wall:>8.0%}")
    print(f"{'end-to-end':<16}{wall:>9.2f}{wall / reel_s:>13.3f}{1:>8.0%}")
    print(f"peak memory (RSS): render process {statistics.median(r['peak_rss_mb'] for r in runs):.0f} MB, "
          f"largest ffmpeg process {statistics.median(r['peak_ffmpeg_rss_mb'] for r in runs):.0f} MB")


if __name__ == "__main__":
    main()

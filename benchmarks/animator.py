"""Benchmark the animation alone: frames per second at the output size, no encoder.

    .venv/bin/python benchmarks/animator.py [--runs 3] [--script assets/scripts/meet-nova.md]

Portrait, speech, captions and camera plan come from the cache (or are made once, untimed); each
run then makes every frame of the reel (the animator, the face pass and the camera pass, as the
video step does) and drops them. Prints each run and the median; the speed the product needs is
the reel's frame rate (30 fps), since the encoder runs beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from reel.animate import frame_count
from reel.plan import plan_render
from reel.runner import LocalRunner
from reel.settings import load_settings
from reel.steps import STEPS, VIDEO, frame_stream, run_steps

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--script", type=Path, default=ROOT / "assets" / "scripts" / "meet-nova.md")
    args = parser.parse_args()
    settings = load_settings()
    plan = plan_render(args.script, settings, allow_unapproved=True)
    done = run_steps(plan, settings, LocalRunner(settings.cache_dir), {}, lambda *args, **kwargs: None, STEPS[:-1])
    inputs = VIDEO.prepare(plan, settings, done)
    frames = frame_count(inputs.speech.duration_s, settings.fps)
    print(f"{plan.animator}: {frames} frames of {settings.width}x{settings.height}, "
          f"{len(os.sched_getaffinity(0))} CPU cores")
    rates = []
    for run in range(args.runs):
        started = time.perf_counter()
        for _ in frame_stream(inputs):
            pass
        seconds = time.perf_counter() - started
        rates.append(frames / seconds)
        print(f"  run {run + 1}: {seconds:.2f} s, {rates[-1]:.1f} fps")
    median = statistics.median(rates)
    print(f"median {median:.1f} fps = {median / settings.fps:.1f}x the reel's {settings.fps} fps "
          f"({1000 / median:.1f} ms a frame)")


if __name__ == "__main__":
    main()

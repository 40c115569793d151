"""Benchmark the animator alone: frames per second at the output size, no encoder.

    .venv/bin/python benchmarks/animator.py [--runs 3] [--script assets/scripts/meet-nova.md]

Speech and portrait come from the cache (or are made once, untimed); each run then animates the
whole reel, camera moves and head motion included, and drops the frames. Prints each run and the
median; the speed the product needs is the reel's frame rate (30 fps), since the encoder runs
beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from reel import avatars
from reel.animate import frame_count, load_animator
from reel.pipeline import camera_plan
from reel.script import load_script
from reel.settings import load_settings
from reel.speech import synthesize

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--script", type=Path, default=ROOT / "assets" / "scripts" / "meet-nova.md")
    args = parser.parse_args()
    settings = load_settings()
    script = load_script(args.script)
    avatar = avatars.load_avatar(settings.avatars_dir, script.avatar)
    portrait = avatars.prepare_portrait(avatar, (settings.width, settings.height), settings.cache_dir)
    speech = synthesize(script, script.voice or avatar.voice, settings.cache_dir)
    base = avatars.load_portrait_pixels(portrait)
    frames = frame_count(speech.duration_s, settings.fps)
    camera = camera_plan(script, speech, portrait)
    animator = load_animator(settings.animator)
    print(f"{settings.animator}: {frames} frames of {settings.width}x{settings.height}, "
          f"{len(os.sched_getaffinity(0))} CPU cores")
    rates = []
    for run in range(args.runs):
        started = time.perf_counter()
        for _ in animator.frames(base, portrait, speech, camera, settings.fps, frames, settings.seed):
            pass
        seconds = time.perf_counter() - started
        rates.append(frames / seconds)
        print(f"  run {run + 1}: {seconds:.2f} s, {rates[-1]:.1f} fps")
    median = statistics.median(rates)
    print(f"median {median:.1f} fps = {median / settings.fps:.1f}x the reel's {settings.fps} fps "
          f"({1000 / median:.1f} ms a frame)")


if __name__ == "__main__":
    main()

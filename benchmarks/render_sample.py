"""Benchmark `reel render`: seconds and real-time factor per stage, peak memory, and the video step
against x264 alone encoding the same frames.

    .venv/bin/python benchmarks/render_sample.py [--runs 3] [--script FILE ...] [--x264]

The 15, 30 and 60 s scripts: benchmarks/scripts/fifteen.md, thirty.md, sixty.md (the default is the
sample, assets/scripts/meet-nova.md). With --x264, each run also decodes 150 frames from a third of
the way into its reel (not timed) and times, on those frames played forwards and back for the
reel's length, libx264 alone with the render's preset and CRF, and the export alone: the frames
piped into FFmpeg as the video step pipes them (captions burnt in, colour conversion, loudness,
audio). The video step's cost over the export is the animation.

CPU seconds per stage count this process and its FFmpeg children; their sum over the machine's
cores is the shortest any schedule (overlapping stages, more threads) could take without doing less.

Each run is a fresh process (models load inside it, as in a one-off `reel render`), so peak memory
is per run. Each run gets an empty cache folder, so it pays for framing the portrait and for the
speech, as a first render of a new script does (a re-render reuses both from the cache). Figures
are medians over the runs; shared machines are noisy.
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
    clock = _StageCPU()
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = render(script, Path(out), progress=clock.progress)
        wall = time.perf_counter() - started
        cpu = clock.finish()
        children.stop = True
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        encoders = encoder_seconds(script, result.video) if x264 else {}
    return {
        "wall_s": wall, "reel_s": result.duration_s, "cpu": cpu,
        "stages": result.stage_seconds | {"publish": wall - sum(result.stage_seconds.values())},
        "peak_rss_mb": peak_rss, "peak_ffmpeg_rss_mb": children.peak_kb / 1024, **encoders,
    }


class _StageCPU:
    """CPU seconds (this process and its finished children, i.e. FFmpeg) spent in each stage; what
    follows the last step (the manifest's loudness measure, the move into place) is 'publish'."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.current, self.since = "script", _cpu_now()

    def progress(self, stage: str, done: float, total: float, unit: str = "frame") -> None:
        if done == 0 and stage != self.current:  # a step starts
            self.stage(stage)
        elif done == total == 1 and stage == self.current:  # ... and ends
            self.stage("publish")

    def stage(self, name: str) -> None:
        now = _cpu_now()
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.current, self.since = name, now

    def finish(self) -> dict[str, float]:
        self.stage("")
        return self.seconds


def _cpu_now() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def encoder_seconds(script: Path, video: Path, held: int = 150) -> dict[str, float]:
    """On the same frames: libx264 alone (YUV frames piped in, the render's preset and CRF) and the
    video step's export alone (RGB frames piped in as a render pipes them, captions burnt in, colour
    conversion, loudness, audio). The frames are ``held`` frames from a third of the way in (speech,
    head and camera moving), played forwards and back for the reel's length, so both are fed from
    memory (the frames already show captions; only the cost is measured)."""
    import av

    from reel.media import ffmpeg
    from reel.media.loudness import normalizing_filter
    from reel.plan import plan_render
    from reel.runner import LocalRunner
    from reel.settings import load_settings
    from reel.steps import STEPS, VIDEO, run_steps

    settings = load_settings()
    plan = plan_render(script, settings, False)
    # All cached by the render just made.
    done = run_steps(plan, settings, LocalRunner(settings.cache_dir), {}, lambda *args, **kwargs: None, STEPS[:-1])
    encode, speech, captions = VIDEO.prepare(plan, settings, done).encode, done["speech"], done["captions"]
    rgb, yuv = [], []
    with av.open(str(video)) as container:
        count = container.streams.video[0].frames
        for index, frame in enumerate(container.decode(video=0)):
            if index < count // 3:
                continue
            rgb.append(frame.to_ndarray(format="rgb24"))
            yuv.append(frame.to_ndarray(format="yuv420p"))
            if len(rgb) == held:
                break
    order = [*range(len(rgb)), *range(len(rgb) - 2, 0, -1)]
    sequence = [order[i % len(order)] for i in range(count)]
    height, width = rgb[0].shape[:2]
    started, cpu = time.perf_counter(), _cpu_now()
    ffmpeg.run_with_frames([
        ffmpeg.ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", str(encode.fps), "-i", "pipe:0",
        "-c:v", "libx264", "-preset", encode.x264_preset, "-crf", str(encode.x264_crf), "-profile:v", "high",
        "-f", "mp4", os.devnull,
    ], (yuv[i] for i in sequence))
    alone, alone_cpu = time.perf_counter() - started, _cpu_now() - cpu
    started = time.perf_counter()
    argv = ffmpeg.encode_argv(out=video.with_suffix(".again.mp4"), size=(width, height), fps=encode.fps, frames=count,
                              audio=speech.path,
                              audio_filter=normalizing_filter(speech.path, encode.loudness_lufs, encode.true_peak_db),
                              subtitles=captions.path, fonts_dir=captions.fonts_dir, preset=encode.x264_preset,
                              crf=encode.x264_crf)
    ffmpeg.run_with_frames(argv, (rgb[i] for i in sequence))
    return {"x264_alone_s": alone, "x264_alone_cpu_s": alone_cpu, "export_alone_s": time.perf_counter() - started}


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
    print(f"{'stage':<16}{'seconds':>9}{'x real time':>13}{'share':>8}{'CPU s':>8}{'cores':>7}")
    for stage in runs[0]["stages"]:
        seconds = statistics.median(r["stages"][stage] for r in runs)
        cpu = statistics.median(r["cpu"].get(stage, 0.0) for r in runs)
        print(f"{stage:<16}{seconds:>9.2f}{seconds / reel_s:>13.3f}{seconds / wall:>8.0%}{cpu:>8.1f}"
              f"{cpu / max(seconds, 1e-9):>7.2f}")
    cpu = statistics.median(sum(r["cpu"].values()) for r in runs)
    print(f"{'end-to-end':<16}{wall:>9.2f}{wall / reel_s:>13.3f}{1:>8.0%}{cpu:>8.1f}{cpu / wall:>7.2f}")
    cores = os.cpu_count() or 1
    print(f"CPU seconds / {cores} cores = {cpu / cores:.1f} s: no schedule on this machine renders faster than "
          f"{cpu / cores / reel_s:.2f}x real time without doing less work")
    print(f"peak memory (RSS): render process {statistics.median(r['peak_rss_mb'] for r in runs):.0f} MB, "
          f"largest ffmpeg process {statistics.median(r['peak_ffmpeg_rss_mb'] for r in runs):.0f} MB")
    if runs[0].get("x264_alone_s") is not None:
        alone = statistics.median(r["x264_alone_s"] for r in runs)
        video = [r["stages"]["video"] / r["x264_alone_s"] for r in runs]
        export = [r["export_alone_s"] / r["x264_alone_s"] for r in runs]
        alone_cpu = statistics.median(r["x264_alone_cpu_s"] for r in runs)
        speech_cpu = statistics.median(r["cpu"]["speech"] for r in runs)
        print(f"the speech step's and x264's CPU seconds alone ({speech_cpu:.1f} + {alone_cpu:.1f}) over {cores} cores: "
              f"{(speech_cpu + alone_cpu) / cores / reel_s:.2f}x real time, with no animation, captions or audio")
        print(f"x264 alone on the same frames {alone:.2f} s; the video step (animation and export) takes "
              f"{statistics.median(video):.2f}x as long (runs: {', '.join(f'{x:.2f}' for x in video)}); the export "
              f"alone (frames piped in, captions, colour conversion, audio) "
              f"{statistics.median(r['export_alone_s'] for r in runs):.2f} s, {statistics.median(export):.2f}x "
              f"(runs: {', '.join(f'{x:.2f}' for x in export)})")


if __name__ == "__main__":
    main()

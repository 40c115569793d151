"""x264 presets that keep the H.264 High profile: time, size and quality on a reel's own frames.

    .venv/bin/python benchmarks/x264_presets.py REEL.mp4 [--seconds 15] [--runs 3] [--presets superfast veryfast]

The reel's frames (decoded once to a raw file, so decoding is not timed) are encoded with each preset
at the render's settings (CRF 20, High profile, the same threads), alternating presets run by run;
quality is PSNR and SSIM of each encode against those frames. Figures are medians; the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reel", type=Path)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--presets", nargs="+", default=["superfast", "veryfast"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from reel.media.ffmpeg import ffmpeg_exe
    from reel.media.probe import probe

    info = probe(args.reel)
    size, fps = f"{info['width']}x{info['height']}", info["fps"]
    ffmpeg = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
    raw_input = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", size, "-r", f"{fps:g}"]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "frames.yuv"
        subprocess.run([*ffmpeg, "-i", str(args.reel), "-t", str(args.seconds), "-an", "-pix_fmt", "yuv420p",
                        "-f", "rawvideo", str(raw)], check=True)
        times: dict[str, list[float]] = {p: [] for p in args.presets}
        for _ in range(args.runs):
            for preset in args.presets:
                out = Path(tmp) / f"{preset}.mp4"
                started = time.perf_counter()
                subprocess.run([*ffmpeg, *raw_input, "-i", str(raw), "-c:v", "libx264", "-preset", preset, "-crf", "20",
                                "-profile:v", "high", "-pix_fmt", "yuv420p", str(out)], check=True)
                times[preset].append(time.perf_counter() - started)
        results = []
        for preset in args.presets:
            out = Path(tmp) / f"{preset}.mp4"
            quality = subprocess.run([*ffmpeg[:-3], "-loglevel", "info", "-i", str(out), *raw_input, "-i", str(raw),
                                      "-lavfi", "[0:v][1:v]psnr;[0:v][1:v]ssim", "-f", "null", "-"],
                                     capture_output=True, text=True, check=True).stderr
            probed = probe_video(out)
            results.append({
                "preset": preset, "seconds": round(statistics.median(times[preset]), 2),
                "runs": [round(t, 2) for t in times[preset]], "bytes": out.stat().st_size,
                "kbit_s": round(out.stat().st_size * 8 / 1000 / args.seconds), "profile": probed,
                "psnr_db": float(re.search(r"PSNR .*? average:([\d.]+)", quality).group(1)),
                "ssim": float(re.search(r"SSIM .*? All:([\d.]+)", quality).group(1)),
            })
    base = results[-1]
    for row in results:
        row["time_vs_" + base["preset"]] = round(row["seconds"] / base["seconds"], 3)
        row["size_vs_" + base["preset"]] = round(row["bytes"] / base["bytes"], 3)
    print(json.dumps({"reel": str(args.reel), "seconds_of_video": args.seconds, "size": size, "fps": fps,
                      "results": results}, indent=2))


def probe_video(path: Path) -> str:
    import av

    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.profile


if __name__ == "__main__":
    main()

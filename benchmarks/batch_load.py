"""Load test: a batch of short reels through the `weekly-batch` flow, 1 and then 2 at a time.

    .venv/bin/python benchmarks/batch_load.py [--reels 20] [--parallel 1 2]

Each setting renders the same scripts from an empty cache into an empty folder, in one process with a
temporary Prefect server (as a worker runs a batch). Reports reels per hour, failures, and the peak
memory of the whole process tree (this process, its FFmpeg encoders), sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "Papa made a bold plan, and everyone was happy.", "Try Nova free for thirty days.",
    "Your calendar should work for you, not the other way round.", "Meetings that could have been an email are gone.",
    "Teams at twelve hundred companies already use it.", "Mornings stay free for deep work.",
    "No setup, and no new app to learn.", "It plans your week before you finish your coffee.",
    "Tell us what you would build with the time.", "Five hours back, every single week.",
]


def write_scripts(folder: Path, count: int) -> None:
    for i in range(count):
        first, second = i % len(SENTENCES), (i * 3 + 1 + i // len(SENTENCES)) % len(SENTENCES)
        text = f"{SENTENCES[first]} {SENTENCES[second]}"  # no two alike: every reel speaks anew
        camera = ("static", "push-in", "pan-left")[i % 3]
        (folder / f"load-{i:02d}.md").write_text(
            f"---\nid: load-{i:02d}\ntitle: Load {i}\navatar: astronaut\ncamera: {camera}\n"
            f"approval: {{status: approved, reviewer: Benchmark}}\n---\n{text}\n", encoding="utf-8")


class TreeMemory(threading.Thread):
    """The peak of this process's RSS plus its FFmpeg encoders', sampled every 0.2 s (the temporary
    Prefect server, also a child here, is left out: a worker does not run one)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.peak = False, 0

    def run(self) -> None:
        me = psutil.Process()
        while not self.stop:
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    if process is me or "ffmpeg" in process.name():
                        total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            time.sleep(0.2)


def one_setting(scripts: Path, parallel: int, work: Path) -> dict:
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    from flows.batch import weekly_batch

    # Nothing cached: neither reel's files nor Prefect's results of an earlier setting.
    os.environ["REEL_CACHE_DIR"] = str(work / f"cache-{parallel}")
    memory = TreeMemory()
    memory.start()
    started = time.perf_counter()
    with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: str(work / f"results-{parallel}")}):
        rows = weekly_batch(source=str(scripts), out_root=str(work / f"out-{parallel}"), max_parallel=parallel)
    wall = time.perf_counter() - started
    memory.stop = True
    rendered = [r for r in rows if r.status == "rendered"]
    return {"parallel": parallel, "reels": len(rows), "rendered": len(rendered),
            "failed": [f"{r.reel}: {r.error}" for r in rows if r.status != "rendered"],
            "wall_s": round(wall, 1), "reels_per_hour": round(len(rendered) / wall * 3600, 1),
            "reel_seconds": round(sum(r.duration_s or 0 for r in rendered), 1),
            "peak_rss_mb": round(memory.peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reels", type=int, default=20)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=60):
        work = Path(tmp)
        scripts = work / "scripts"
        scripts.mkdir()
        write_scripts(scripts, args.reels)
        results = [one_setting(scripts, parallel, work) for parallel in args.parallel]
    print(json.dumps({"cpus": os.cpu_count(), "results": results}, indent=2))


if __name__ == "__main__":
    main()

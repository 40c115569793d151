"""Compare the sample render (and optionally the default test suite) between two git revisions,
run alternately in one session so that both see the same machine load.

    .venv/bin/python benchmarks/compare_revisions.py BEFORE [AFTER] [--runs 3] [--suite]

AFTER defaults to the working tree. Each revision is checked out into a temporary git worktree and
run with this environment's Python (PYTHONPATH points at the worktree, so its `reel` is imported).
Each render is a fresh process with an empty cache, as benchmarks/render_sample.py does. Prints
medians per revision and the ratio AFTER / BEFORE.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RENDER = ["benchmarks/render_sample.py", "--one"]
SUITE = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]  # the README's test command, without the setup


def worktree(stack: ExitStack, revision: str) -> Path:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), revision], check=True)
    stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=True)
    return folder


def timed(tree: Path, argv: list[str]) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(tree), "REEL_CACHE_DIR": cache}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, *argv], cwd=tree, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(argv)} failed in {tree}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", help="a revision; default: the working tree")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--suite", action="store_true", help="also time the default test suite once per revision")
    args = parser.parse_args()
    with ExitStack() as stack:
        trees = {"before": worktree(stack, args.before), "after": worktree(stack, args.after) if args.after else ROOT}
        render: dict[str, list[float]] = {name: [] for name in trees}
        for index in range(args.runs):
            for name, tree in trees.items():
                result = json.loads(timed(tree, RENDER)[1].strip().splitlines()[-1])
                render[name].append(result["wall_s"])
                print(f"render run {index + 1} {name}: {result['wall_s']:.1f} s", file=sys.stderr)
        suite = {name: timed(tree, SUITE)[0] for name, tree in trees.items()} if args.suite else {}
    before, after = (statistics.median(render[name]) for name in ("before", "after"))
    print(f"sample render, median of {args.runs}: before ({args.before}) {before:.1f} s, "
          f"after ({args.after or 'working tree'}) {after:.1f} s, ratio {after / before:.3f}")
    if suite:
        print(f"default test suite, one run each: before {suite['before']:.0f} s, after {suite['after']:.0f} s, "
              f"ratio {suite['after'] / suite['before']:.3f}")


if __name__ == "__main__":
    main()

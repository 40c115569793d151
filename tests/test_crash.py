"""Crash safety, with real `reel render` processes: a render killed at any point publishes nothing and
leaves nothing stale after the next run, which resumes from the cached steps and makes the same reel
bit for bit; two renders of one script at once do not clobber each other."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import write

SCRIPT = """---
id: crash-check
title: Crash check
avatar: astronaut
camera: static
approval: {status: approved, reviewer: Test}
---
Papa made a bold plan, and everyone was happy.
"""


def _start(script, out, cache) -> subprocess.Popen:
    # A small, slow-framed reel: what is tested is the files, not the pictures.
    env = {**os.environ, "REEL_CACHE_DIR": str(cache), "REEL_WIDTH": "540", "REEL_HEIGHT": "960", "REEL_FPS": "15"}
    return subprocess.Popen([sys.executable, "-m", "reel.cli", "render", str(script), "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()[-2000:]


def _kill_when(process: subprocess.Popen, ready, timeout_s: float = 120) -> None:
    """SIGKILL the render and its FFmpeg once ``ready()`` holds (or fail if it finished first)."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert process.poll() is None, "the render ended before the point it was to be killed at"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(*folders) -> list[str]:
    """Hidden work folders and temp files: what a render in progress has and a finished one must not."""
    return [str(p) for folder in folders for p in folder.rglob(".*") if p.name != ".lock"]


def test_a_killed_render_publishes_nothing_and_the_next_run_resumes_bit_identical(tmp_path):
    """Also: two renders from empty caches make the same MP4 (the voice, framing, animator and
    encoder are deterministic)."""
    script = write(tmp_path / "crash-check.md", SCRIPT)
    reference = tmp_path / "reference"
    _finish(_start(script, reference, tmp_path / "cache-reference"))

    out, cache = tmp_path / "out", tmp_path / "cache"
    # Killed while speaking (its work folder just made), then mid-export (the encoder's file growing).
    _kill_when(_start(script, out, cache), lambda: any(out.glob(".crash-check-*")))
    assert not (out / "reel.mp4").exists() and not (out / "manifest.json").exists()
    _kill_when(_start(script, out, cache),
               lambda: any(p.stat().st_size > 20_000 for p in (cache / "video").glob(".*.mp4")))
    assert not (out / "reel.mp4").exists() and not (out / "manifest.json").exists()
    assert _leftovers(out, cache)  # what the killed runs left: the next run's to clear

    _finish(_start(script, out, cache))
    assert _leftovers(out, cache) == []
    assert _sha(out / "reel.mp4") == _sha(reference / "reel.mp4")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["stage_seconds"]["speech"] < 0.5  # resumed: the speech came from the cache


def test_two_renders_of_one_script_at_once_do_not_clobber_each_other(tmp_path):
    script = write(tmp_path / "crash-check.md", SCRIPT)
    out, cache = tmp_path / "out", tmp_path / "cache"
    first, second = _start(script, out, cache), _start(script, out, cache)
    _finish(first)
    _finish(second)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reel"]["sha256"] == _sha(out / "reel.mp4") and manifest["reel"]["video_duration_s"] > 2
    assert sorted(p.name for p in out.iterdir()) == ["captions.ass", "manifest.json", "reel.mp4"]
    assert _leftovers(out, cache) == []


def test_faces_are_found_in_two_threads_at_once(monkeypatch):
    """A batch renders two reels at once in one process: each thread gets its own face models (one
    TFLite interpreter used by two threads fails or mixes up their results)."""
    from concurrent.futures import ThreadPoolExecutor

    from reel.avatars import read_portrait_image
    from reel.faces.mesh import load_face_mesh
    from reel.settings import PROJECT_ROOT

    image = read_portrait_image(PROJECT_ROOT / "assets" / "avatars" / "astronaut" / "portrait.png")
    alone = load_face_mesh().detect(image).landmarks
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(lambda _: load_face_mesh().detect(image).landmarks, range(16)))
    assert all(abs(landmarks - alone).max() < 1e-3 for landmarks in found)

"""Where reels go and how reviewers reach them: a reel waiting for review lives in
``<out>/_review/<id>/`` and moves to ``<out>/<id>/`` when approved; both are reachable over HTTP at
``REEL_PUBLIC_BASE_URL`` (the file server of `flows.files`, or any storage that serves the output
folder), so the links in the Prefect UI play in the reviewer's browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

from reel.fsutil import atomic_path
from reel.media.ffmpeg import ffmpeg_exe, run
from reel.pipeline import move_render

PUBLIC_BASE_URL = "REEL_PUBLIC_BASE_URL"
REVIEW_FOLDER = "_review"  # script ids start with a letter or digit, so no reel is ever called this
SUBMITTED_FOLDER = "_submitted"


def public_url(path: Path, out_root: Path) -> str | None:
    """The address of a file under ``out_root`` at REEL_PUBLIC_BASE_URL; None where none is set."""
    base = os.environ.get(PUBLIC_BASE_URL, "").strip()
    if not base:
        return None
    relative = path.resolve().relative_to(out_root.resolve())
    return base.rstrip("/") + "/" + quote(relative.as_posix())


def review_dir(out_root: Path, script_id: str) -> Path:
    return out_root / REVIEW_FOLDER / script_id


def make_preview(video: Path) -> Path:
    """A low-bitrate copy (540x960, about 0.6 Mbit/s) beside ``video``: quick to open on any connection."""
    target = video.with_name("preview.mp4")
    with atomic_path(target) as tmp:
        run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y", "-i", str(video),
             "-vf", "scale=540:960", "-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-maxrate", "600k",
             "-bufsize", "1200k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
             "-movflags", "+faststart", "-f", "mp4", str(tmp)])
    return target


def publish_reviewed(staged: Path, out_dir: Path) -> None:
    """Move an approved reel from its review folder to the published one, as a render publishes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    move_render(staged, out_dir)
    shutil.rmtree(staged, ignore_errors=True)

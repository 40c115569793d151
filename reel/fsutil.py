"""Atomic writes: a file appears under its final name only when complete."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# mkstemp makes 0600 files; published files get the mode any new file gets (0644 under the usual umask).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temp path beside ``final``; rename it into place only if the block succeeds. The temp
    file is locked while in use, so the next write of ``final`` removes one a killed process left."""
    final.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale_temps(final)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}-", suffix=final.suffix, dir=final.parent)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.chmod(tmp, 0o666 & ~_UMASK)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        tmp_path.unlink(missing_ok=True)
        os.close(fd)


def _clear_stale_temps(final: Path, settle_s: float = 0.25) -> None:
    """Remove temp files of ``final`` whose writer died: unlocked, and not made this moment (between
    mkstemp and flock a live writer's file is briefly unlocked)."""
    for temp in final.parent.glob(f".{glob.escape(final.stem)}-*{glob.escape(final.suffix)}"):
        try:
            if time.time() - temp.stat().st_mtime < settle_s:
                continue
            with temp.open("rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                temp.unlink()
        except OSError:  # locked by a live writer, or gone already
            continue


def write_text_atomic(final: Path, text: str) -> None:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")


WORK_LOCK = ".lock"  # held while a work folder is in use; a dead process's lock is free


@contextmanager
def locked_work_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A temp folder in ``parent``, locked while in use and always removed; a process killed before it
    could remove it leaves it unlocked, and ``clear_stale_work_dirs`` removes it on the next run."""
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    with (work / WORK_LOCK).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)


def clear_stale_work_dirs(parent: Path, prefix: str, settle_s: float = 60.0) -> None:
    """Remove work folders of ``parent`` whose owner died (their lock is free); never one in use."""
    for folder in parent.glob(f"{prefix}*"):
        try:
            with (folder / WORK_LOCK).open() as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live render
        except FileNotFoundError:
            if not folder.is_dir() or time.time() - folder.stat().st_mtime < settle_s:
                continue  # not a folder, or one being made this moment
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)

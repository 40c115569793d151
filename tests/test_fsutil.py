"""Work folders and published files: what a killed render leaves, what the next render clears."""

import os
import time

from reel.fsutil import clear_stale_work_dirs, locked_work_dir, write_text_atomic


def test_a_live_work_folder_is_kept_and_a_dead_ones_is_cleared(tmp_path):
    dead = tmp_path / ".reel-dead1"
    dead.mkdir()
    (dead / ".lock").write_text("")  # its owner was killed: nobody holds the lock
    (dead / "reel.mp4").write_bytes(b"half a video")
    with locked_work_dir(tmp_path, ".reel-") as live:
        (live / "reel.mp4").write_bytes(b"being written")
        clear_stale_work_dirs(tmp_path, ".reel-")
        assert live.is_dir() and not dead.exists()
    assert not live.exists()  # removed when the render ends


def test_a_folder_without_a_lock_is_cleared_only_once_it_has_settled(tmp_path):
    fresh, old = tmp_path / ".reel-fresh", tmp_path / ".reel-old"
    fresh.mkdir()
    old.mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    (tmp_path / ".reel-file").write_text("not a folder")
    (tmp_path / "other").mkdir()
    clear_stale_work_dirs(tmp_path, ".reel-")
    assert fresh.is_dir() and not old.exists() and (tmp_path / ".reel-file").is_file() and (tmp_path / "other").is_dir()


def test_written_files_get_the_mode_of_any_new_file(tmp_path):
    write_text_atomic(tmp_path / "manifest.json", "{}")
    (tmp_path / "plain.txt").write_text("")
    assert (tmp_path / "manifest.json").stat().st_mode & 0o777 == (tmp_path / "plain.txt").stat().st_mode & 0o777


def test_a_killed_writers_temp_file_goes_with_the_next_write_and_a_live_ones_stays(tmp_path):
    from reel.fsutil import atomic_path

    final, an_hour_ago = tmp_path / "video.mp4", time.time() - 3600
    dead = tmp_path / ".video-k1ll3d.mp4"  # what atomic_path left when its process was killed
    dead.write_bytes(b"half a video")
    os.utime(dead, (an_hour_ago, an_hour_ago))
    other = tmp_path / ".audio-k1ll3d.wav"  # another file's temp: not this write's business
    other.write_bytes(b"half a sound")
    os.utime(other, (an_hour_ago, an_hour_ago))
    with atomic_path(final) as live:  # a live writer of the same file, locked while it writes
        live.write_bytes(b"being written")
        os.utime(live, (an_hour_ago, an_hour_ago))
        write_text_atomic(final, "the other writer")
        assert not dead.exists() and live.exists() and other.exists()
    assert final.read_bytes() == b"being written" and not live.exists()

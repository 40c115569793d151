import fcntl
import os
from pathlib import Path

import numpy as np
import pytest

from reel.errors import MediaError
from reel.media import ffmpeg


def test_frames_go_through_a_wide_pipe():
    if int(Path("/proc/sys/fs/pipe-max-size").read_text()) < ffmpeg.FRAME_PIPE_BYTES:
        pytest.skip("this system caps pipes below FRAME_PIPE_BYTES")
    read, write = os.pipe()
    try:
        assert fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) < ffmpeg.FRAME_PIPE_BYTES  # Linux's default: 64 KiB
        ffmpeg._widen_pipe(write)
        assert fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) == ffmpeg.FRAME_PIPE_BYTES
    finally:
        os.close(read)
        os.close(write)


def test_streamed_frames_arrive_whole_and_in_order(tmp_path):
    """Frames written through the widened pipe decode back to the same pixels, in order."""
    from reel.media.frames import read_frames

    out = tmp_path / "v.mkv"
    argv = [ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", "640x360", "-r", "30", "-i", "pipe:0", "-c:v", "ffv1", "-pix_fmt", "rgb24", str(out)]
    levels = [10, 200, 90, 255, 0, 130]  # each frame one grey, so order and content are both checked
    ffmpeg.run_with_frames(argv, (np.full((360, 640, 3), level, np.uint8) for level in levels))
    frames = read_frames(out, list(range(len(levels))))
    assert [int(frames[i].mean()) for i in range(len(levels))] == levels
    assert all(frames[i].min() == frames[i].max() for i in range(len(levels)))


def test_an_encoder_that_stops_early_is_one_error(tmp_path):
    argv = [ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", "64x64", "-i", "pipe:0", "-c:v", "no_such_codec", str(tmp_path / "v.mp4")]
    with pytest.raises(MediaError, match="ffmpeg failed .*no_such_codec"):
        ffmpeg.run_with_frames(argv, (np.zeros((64, 64, 3), np.uint8) for _ in range(100)))

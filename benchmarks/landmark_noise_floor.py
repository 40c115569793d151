"""How much do `reel evaluate`'s head-pose and rest measurements move when the head does not?

    .venv/bin/python benchmarks/landmark_noise_floor.py [--seconds 10]

Two videos of the sample avatar, encoded exactly as `reel render` encodes:

1. rigid: the framed portrait under a slow, smooth whole-picture motion (tilt +-2 degrees, shifts
   of a few pixels). The true angles change by under 0.01 degree per frame squared, so the second
   difference measured is the measurement's own noise.
2. face only: the sample script animated with head motion and camera moves switched off: the mouth
   and the eyes move, the head does not. What is measured as head motion here is the response to
   changes of expression.

Each is reported twice: from the landmarks carried by optical flow (what `reel evaluate` checks) and
from the face mesh's own pose in each frame (which re-fits the whole face when the mouth changes).

Together they are the floor under `reel evaluate`'s jitter threshold and rest-landmark error.
"""

from __future__ import annotations

import argparse
import tempfile
import wave
from pathlib import Path

import cv2
import numpy as np

from reel import avatars
from reel.evaluate import metrics
from reel.evaluate.report import Series, measure
from reel.media import ffmpeg
from reel.models import CameraPlan
from reel.plan import plan_render
from reel.runner import LocalRunner, run_step
from reel.settings import load_settings
from reel.steps import PORTRAIT, STEPS, VIDEO, frame_stream, portrait_input, run_steps

ROOT = Path(__file__).resolve().parent.parent


def encode(frames, count: int, audio: Path, out: Path, settings) -> None:
    argv = ffmpeg.encode_argv(out=out, size=(settings.width, settings.height), fps=settings.fps, frames=count,
                              audio=audio, audio_filter="anull", subtitles=None, fonts_dir=None,
                              preset=settings.x264_preset, crf=settings.x264_crf)
    ffmpeg.run_with_frames(argv, frames)


def rigid_case(base: np.ndarray, center, seconds: float, folder: Path, settings) -> Series:
    fps, size = settings.fps, (settings.width, settings.height)
    count = int(seconds * fps)
    t = np.arange(count) / fps
    roll = 2.0 * np.sin(2 * np.pi * t / 4)
    shift = np.stack([12 * np.sin(2 * np.pi * t / 5), 8 * np.sin(2 * np.pi * t / 3)], axis=1)

    def moving():
        for i in range(count):
            matrix = cv2.getRotationMatrix2D(center, float(roll[i]), 1.0)
            matrix[:, 2] += shift[i]
            yield cv2.warpAffine(base, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    silence, video = folder / "silence.wav", folder / "rigid.mp4"
    with wave.open(str(silence), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.zeros(int(seconds * 16000), "<i2").tobytes())
    encode(moving(), count, silence, video, settings)
    return measure(video, silence)


def face_only_case(folder: Path, settings) -> Series:
    """The sample with the portrait warp's head motion and the camera off: only the face moves."""
    plan = plan_render(ROOT / "assets" / "scripts" / "meet-nova.md", settings)
    plan.voice = "joe"
    done = run_steps(plan, settings, LocalRunner(settings.cache_dir), {}, lambda *args, **kwargs: None, STEPS[:-1])
    inputs = VIDEO.prepare(plan, settings, done)
    camera = done["camera"]
    still = CameraPlan(moves=["static"] * len(camera.moves), starts=camera.starts, end=camera.end, focus=camera.focus)
    inputs = inputs.model_copy(update={"camera": still, "animator": inputs.animator.model_copy(
        update={"name": "portrait-warp", "options": {"head_motion": False}})})
    speech = done["speech"]
    video = folder / "face-only.mp4"
    encode(frame_stream(inputs), round(speech.duration_s * settings.fps), speech.path, video, settings)
    return measure(video, speech.path)


def report(name: str, series: Series) -> None:
    print(f"{name}: {series.frames} frames")
    for source, jitter in (("optical flow (what reel evaluate checks)", series.jitter),
                           ("the mesh's own pose per frame", metrics.second_difference(series.angles))):
        print(f"  second difference (deg/frame^2), {source}:")
        for axis, label in enumerate(("pitch", "yaw", "roll")):
            values = jitter[:, axis]
            print(f"    {label:<6} median {np.median(values):.3f}  p99 {np.percentile(values, 99):.3f}  "
                  f"max {values.max():.3f}")
    print(f"  rest-landmark error (px): median {np.median(series.rest_error):.2f}  "
          f"p99 {np.percentile(series.rest_error, 99):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the rigid-motion video")
    args = parser.parse_args()
    settings = load_settings()
    avatar = avatars.load_avatar(settings.avatars_dir, "astronaut")
    portrait = run_step(PORTRAIT, portrait_input(avatar, (settings.width, settings.height)), settings.cache_dir)
    base = avatars.load_portrait_pixels(portrait)
    box = portrait.face_box
    with tempfile.TemporaryDirectory() as folder:
        report("rigid motion", rigid_case(base, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), args.seconds,
                                          Path(folder), settings))
        report("face only (mouth and eyes move, head and camera still)",
               face_only_case(Path(folder), settings))


if __name__ == "__main__":
    main()

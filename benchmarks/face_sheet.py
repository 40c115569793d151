"""Contact sheet of the CPU talking head: the frames to look at before trusting its numbers.

    .venv/bin/python benchmarks/face_sheet.py [--script assets/scripts/meet-nova.md] [--out face_sheet.png]

Makes the reel's frames as the video step does (no encoder) and keeps, as face close-ups at full
resolution: the widest mouths, the middles of m/b/p and f/v (lips pressed, and the lower lip at the
upper teeth, with REEL_PORTRAIT_WARP_LIP_CONTACTS=true), rounded (o/u/w) sounds, pauses, the strongest turns either way, the highest brow raise; and
the whole frame (scaled) at the strongest turn, with its top and bottom strips at full resolution
(the 9:16 fill). Each tile is labelled with its frame, time and what it shows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from reel.animate import frame_count
from reel.animate.camera import camera_matrices
from reel.animate.face import FacePass
from reel.animate.head import head_track
from reel.media.audio import read_audio
from reel.plan import plan_render
from reel.runner import LocalRunner
from reel.settings import load_settings
from reel.steps import STEPS, VIDEO, frame_stream, run_steps
from reel.steps.video import AUDIO_RATE

ROOT = Path(__file__).resolve().parent.parent
TILE = 360  # px: each close-up is a square this big around the mouth and eyes


def _middles(phones, symbols: str, fps: int, count: int) -> list[int]:
    frames = [int((p.start + p.end) / 2 * fps) for p in phones if p.phoneme in symbols and p.end - p.start >= 0.04]
    return frames[:: max(1, len(frames) // count)][:count]


def pick_frames(face: FacePass, phones, yaw: np.ndarray, fps: int) -> list[tuple[int, str]]:
    picks = [(int(i), "widest") for i in np.argsort(face.openness)[::-1][:40:10]]
    picks += [(i, "m/b/p") for i in _middles(phones, "mbp", fps, 4)]
    picks += [(i, "f/v") for i in _middles(phones, "fv", fps, 3)]
    picks += [(i, "o/u/w") for i in _middles(phones, "ouwOʊ", fps, 3)]
    quiet = np.concatenate([[0], (face.prosody.quiet > 0.9).astype(int), [0]])
    starts, ends = np.flatnonzero(np.diff(quiet) == 1), np.flatnonzero(np.diff(quiet) == -1)
    longest = np.argsort(ends - starts)[::-1][:3]  # the middles of the three longest pauses
    picks += [(int((starts[i] + ends[i]) // 2), "pause") for i in sorted(longest)]
    picks += [(int(np.argmax(yaw)), "turn +"), (int(np.argmin(yaw)), "turn -"), (int(np.argmax(face.brows)), "brow up")]
    return picks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--script", type=Path, default=ROOT / "assets" / "scripts" / "meet-nova.md")
    parser.add_argument("--out", type=Path, default=Path("face_sheet.png"))
    args = parser.parse_args()
    settings = load_settings()
    plan = plan_render(args.script, settings, allow_unapproved=True)
    done = run_steps(plan, settings, LocalRunner(settings.cache_dir), {}, lambda *a, **k: None, STEPS[:-1])
    inputs = VIDEO.prepare(plan, settings, done)
    portrait, speech, fps = inputs.portrait, inputs.speech, settings.fps
    frames = frame_count(speech.duration_s, fps)
    face = FacePass(portrait, speech, read_audio(speech.path, AUDIO_RATE), AUDIO_RATE, fps, frames, inputs.seed)
    yaw = head_track(face.prosody, fps, frames, inputs.seed).yaw
    picks = pick_frames(face, speech.phones, yaw, fps)
    wanted = {index for index, _ in picks}
    kept = {i: frame.copy() for i, frame in enumerate(frame_stream(inputs)) if i in wanted}
    matrices = camera_matrices(inputs.camera, fps, frames, (portrait.width, portrait.height))
    face_point = np.asarray(portrait.landmarks)[[1, 13]].mean(axis=0)  # between the nose tip and the lips
    tiles = []
    for index, label in picks:
        frame, matrix = kept[index], matrices[index]
        cx, cy = (int(v) for v in (face_point if matrix is None else matrix[:, :2] @ face_point + matrix[:, 2]))
        y0 = min(max(cy - TILE // 2, 0), frame.shape[0] - TILE)
        x0 = min(max(cx - TILE // 2, 0), frame.shape[1] - TILE)
        tile = frame[y0:y0 + TILE, x0:x0 + TILE].copy()
        text = f"{label} #{index} {index / fps:.2f}s"
        cv2.putText(tile, text, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, text, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    columns = 6
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    grid = np.vstack([np.hstack(tiles[r:r + columns]) for r in range(0, len(tiles), columns)])
    turn = kept[int(np.argmax(yaw))]
    whole = cv2.resize(turn, (grid.shape[0] * turn.shape[1] // turn.shape[0], grid.shape[0]),
                       interpolation=cv2.INTER_AREA)
    strips = np.vstack([turn[:180], turn[-180:]])  # the 9:16 fill above and below the photo, full size
    strips = cv2.resize(strips, (grid.shape[1] + whole.shape[1], strips.shape[0] * (grid.shape[1] + whole.shape[1])
                                 // strips.shape[1]), interpolation=cv2.INTER_AREA)
    sheet = np.vstack([np.hstack([grid, whole]), strips])
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"{args.out}: {len(picks)} close-ups of {frames} frames, {sheet.shape[1]}x{sheet.shape[0]}")


if __name__ == "__main__":
    main()

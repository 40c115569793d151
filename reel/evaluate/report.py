"""`reel evaluate`: measure a rendered talking head from its pixels and its audio.

Landmarks are re-detected on every frame. Lip sync compares the measured mouth opening with the
loudness of the speech; blinks come from the eye aspect ratio; stability, head pose and identity
compare each frame with the first one (the portrait); head jitter follows the pixels under each
frame's landmarks into the frames before and after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel

from reel.animate.camera import CameraPlan, camera_matrices
from reel.animate.head import head_region
from reel.errors import MediaError
from reel.evaluate import metrics
from reel.evaluate.track import track_faces
from reel.fsutil import atomic_path, write_text_atomic
from reel.media.audio import read_audio, speech_envelope
from reel.media.frames import contact_sheet, read_frames

AUDIO_RATE = 16000
# Acceptance limits: name -> (limit, "min" or "max")
LIMITS: dict[str, tuple[float, str]] = {
    "lip_sync_r": (0.7, "min"),
    "lip_sync_lag_frames": (1, "abs"),
    "pause_opening_share": (0.15, "max"),
    "blinks_per_minute_low": (8, "min"),
    "blinks_per_minute_high": (25, "max"),
    "rest_error_px": (1.5, "max"),
    "head_angle_max_deg": (4.0, "max"),
    # Roll and yaw, 99th percentile; pitch alike. 0.5 deg/frame^2 is a 1.3 px wobble at the cheek. Measured
    # from the landmarks carried by optical flow into the neighbouring frames, the floor is 0.05-0.12 on a
    # rigidly moving photo and 0.03-0.06 on a still head whose mouth and eyes move
    # (benchmarks/landmark_noise_floor.py); the mesh's own pose per frame jumps by up to 1 degree there.
    "jitter_p99_deg": (0.5, "max"),
    "pitch_jitter_p99_deg": (0.5, "max"),
    "identity_mad": (2.0, "max"),
    "first_frame_psnr_db": (40.0, "min"),
}
_IDENTITY_EVERY = 3  # compare every third frame with the portrait (a full-frame warp each)
_IDENTITY_MARGIN_PX = 8  # landmarks of the first frame place the head region to within a few pixels
_TILE = (320, 400)  # contact sheet tile: a face close-up
_PAUSE_TRIM = 2  # frames at each end of a pause where the mouth may still be closing


@dataclass
class Reference:
    """What the frames should equal outside the head: the framed portrait under the camera move."""

    portrait: np.ndarray
    camera: CameraPlan
    caption_box: tuple[int, int, int, int] | None


class Evaluation(BaseModel):
    video: str
    frames: int
    fps: float
    duration_s: float
    face_found_share: float
    lip_sync_r: float
    lip_sync_lag_frames: int
    pauses: int
    pause_opening_share: float | None
    blinks: int
    blinks_per_minute: float
    rest_error_px: float | None
    rest_frames: int
    head_angle_max_deg: float
    jitter_p99_deg: float  # roll and yaw
    jitter_max_deg: float
    pitch_jitter_p99_deg: float
    identity_mad: float | None = None
    first_frame_psnr_db: float | None = None
    checks: dict[str, bool] = {}
    contact_sheet: str | None = None

    @property
    def passed(self) -> bool:
        return all(self.checks.values())


@dataclass
class Series:
    """Per-frame measurements of a video."""

    fps: float
    landmarks: np.ndarray  # (frames, 468, 2)
    rest_depth: np.ndarray  # (468,) the first frame's landmark depth
    opening: np.ndarray  # mouth opening beyond the first frame's, share of the eye distance
    envelope: np.ndarray  # speech loudness, 0..1
    ear: np.ndarray  # eye aspect ratio
    angles: np.ndarray  # (frames, 3): pitch, yaw, roll in degrees against the first frame
    acceleration: np.ndarray  # (frames, 3): of pitch, yaw and roll, deg/frame^2, from optical flow; NaN at the ends
    rest_error: np.ndarray  # px from the first frame's landmarks after removing zoom, pan and head pose
    face_found_share: float

    @property
    def frames(self) -> int:
        return len(self.opening)

    @property
    def jitter(self) -> np.ndarray:
        """The acceleration of the frames measured against both neighbours."""
        return self.acceleration[np.isfinite(self.acceleration).all(axis=1)]


def evaluate(video: Path, speech: Path | None = None, reference: Reference | None = None,
             sheet: Path | None = None, progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Measure ``video``; its own audio is the speech unless ``speech`` (a WAV) is given."""
    identity = _IdentityMeter(reference, _video_fps(video)) if reference else None
    series = measure(video, speech, identity, progress)
    result = summarize(series, str(video))
    if identity:
        result.identity_mad = identity.mad
        result.first_frame_psnr_db = identity.first_psnr
    result.checks = _checks(result)
    if sheet:
        _write_sheet(video, sheet, series)
        result.contact_sheet = str(sheet)
    return result


def measure(video: Path, speech: Path | None = None, keep: Callable[[int, np.ndarray], None] | None = None,
            progress: Callable[[int, int], None] | None = None) -> Series:
    track = track_faces(video, keep=keep, progress=progress)
    found = track.found
    if found.mean() < 0.9:
        raise MediaError(f"a face was found in only {found.mean():.0%} of the frames of {video}: cannot evaluate")
    landmarks = _fill_missing(track.landmarks, found)
    audio = read_audio(speech or video, AUDIO_RATE)
    aperture = metrics.mouth_aperture(landmarks)
    rest_depth = track.depth[int(np.argmax(found))]  # the first frame with a face stands for the rest pose
    rest3d = np.concatenate([landmarks[0], rest_depth[:, None]], axis=1)
    rigid = metrics.rigid_points(landmarks[0])
    return Series(
        fps=track.fps, landmarks=landmarks, rest_depth=rest_depth,
        opening=np.maximum(aperture - aperture[0], 0),
        envelope=speech_envelope(audio, AUDIO_RATE, track.fps, len(landmarks)),
        ear=metrics.eye_aspect_ratio(_fill_missing(track.eyes, found)),
        angles=np.array([metrics.head_angles(p, rest3d, rigid) for p in landmarks]),
        acceleration=metrics.pose_acceleration(landmarks, track.forward, track.backward, rest3d, rigid),
        rest_error=np.array([metrics.pose_residual(p, rest3d) for p in landmarks]),
        face_found_share=float(found.mean()),
    )


def summarize(s: Series, video: str) -> Evaluation:
    speaking = s.envelope >= metrics.SILENCE_LEVEL
    pauses = metrics.pause_spans(s.envelope, s.fps)
    inside = [np.arange(a + _PAUSE_TRIM, b - _PAUSE_TRIM) for a, b in pauses]
    pause_frames = np.concatenate(inside).astype(int) if inside else np.zeros(0, int)
    speech_max = float(s.opening[speaking].max()) if speaking.any() else 0.0
    blinks = metrics.blink_spans(s.ear, float(s.ear[0]))
    open_eyes = s.ear >= 0.85 * s.ear[0]
    per_pause = [float(np.median(s.rest_error[idx[open_eyes[idx]]])) for idx in inside if open_eyes[idx].any()]
    jitter = s.jitter if len(s.jitter) else np.zeros((1, 3))  # under three frames nothing accelerates
    duration = s.frames / s.fps
    return Evaluation(
        video=video, frames=s.frames, fps=s.fps, duration_s=round(duration, 3),
        face_found_share=round(s.face_found_share, 4),
        lip_sync_r=round(metrics.pearson(s.opening, s.envelope), 3),
        lip_sync_lag_frames=metrics.best_lag(s.opening, s.envelope),
        pauses=len(pauses),
        pause_opening_share=(round(float(s.opening[pause_frames].max()) / speech_max, 3)
                             if len(pause_frames) and speech_max else None),
        blinks=len(blinks), blinks_per_minute=round(len(blinks) / duration * 60, 1),
        rest_error_px=round(max(per_pause), 2) if per_pause else None, rest_frames=len(per_pause),
        head_angle_max_deg=round(float(np.abs(s.angles).max()), 2),
        jitter_p99_deg=round(float(np.percentile(jitter[:, 1:], 99, axis=0).max()), 3),
        jitter_max_deg=round(float(jitter[:, 1:].max()), 3),
        pitch_jitter_p99_deg=round(float(np.percentile(jitter[:, 0], 99)), 3),
    )


def reference_from_manifest(manifest_path: Path) -> Reference:
    """The portrait and camera plan a render recorded in its manifest.json."""
    from reel import avatars
    from reel.runner import run_step
    from reel.settings import load_settings
    from reel.steps import PORTRAIT, portrait_input

    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        avatar_id, size = manifest["avatar"]["id"], tuple(manifest["settings"]["size"])
        framed_sha, camera = manifest["avatar"]["framed_sha256"], manifest["animation"]["camera"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise MediaError(f"{manifest_path} is not a manifest of this reel version ({error!r}): "
                         "render the reel again, or pass --manifest") from error
    settings = load_settings()
    avatar = avatars.load_avatar(settings.avatars_dir, avatar_id)
    portrait = run_step(PORTRAIT, portrait_input(avatar, size), settings.cache_dir)
    if portrait.sha256 != framed_sha:
        raise MediaError(f"the avatar '{avatar.id}' changed since {manifest_path} was written: cannot compare")
    plan = CameraPlan.model_validate(camera)
    box = manifest["captions"].get("box")
    return Reference(avatars.load_portrait_pixels(portrait), plan, tuple(box) if box else None)


def write_report(evaluation: Evaluation, path: Path) -> None:
    write_text_atomic(path, evaluation.model_dump_json(indent=2) + "\n")


class _IdentityMeter:
    """Sees every decoded frame: the first frame's PSNR against the portrait, and the mean absolute
    difference outside the head region and the caption area against the camera-moved portrait."""

    def __init__(self, reference: Reference, fps: float):
        from reel.faces.mesh import load_face_mesh

        self.reference = reference
        height, width = reference.portrait.shape[:2]
        self.size = (width, height)
        face = load_face_mesh().detect(reference.portrait)
        if face is None:
            raise MediaError("no face found in the reference portrait")
        outside = head_region(face.landmarks).outside(self.size, _IDENTITY_MARGIN_PX)
        if reference.caption_box:
            x0, y0, x1, y1 = reference.caption_box
            outside[y0:y1, x0:x1] = False
        self.outside = outside.astype(np.uint8)
        self.cameras = camera_matrices(reference.camera, fps, int(np.ceil(reference.camera.end * fps)) + 2, self.size)
        self.first_psnr: float | None = None
        self.mads: list[float] = []

    def __call__(self, index: int, frame: np.ndarray) -> None:
        ref = self.reference
        if index == 0:
            self.first_psnr = round(float(cv2.PSNR(frame, ref.portrait)), 2)
        if index % _IDENTITY_EVERY or index >= len(self.cameras):
            return
        matrix = self.cameras[index]
        expected, mask = ref.portrait, self.outside
        if matrix is not None:
            expected = cv2.warpAffine(ref.portrait, matrix, self.size, flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
            mask = cv2.warpAffine(self.outside, matrix, self.size, flags=cv2.INTER_NEAREST, borderValue=0)
        difference = cv2.absdiff(frame, expected).mean(axis=2)
        self.mads.append(float(difference[mask > 0].mean()))

    @property
    def mad(self) -> float:
        """The worst compared frame."""
        return round(max(self.mads), 3)


def _checks(e: Evaluation) -> dict[str, bool]:
    checks = {
        "lip_sync_r": e.lip_sync_r >= LIMITS["lip_sync_r"][0],
        "lip_sync_lag_frames": abs(e.lip_sync_lag_frames) <= LIMITS["lip_sync_lag_frames"][0],
        "blinks_per_minute": LIMITS["blinks_per_minute_low"][0] <= e.blinks_per_minute <= LIMITS["blinks_per_minute_high"][0],
        "head_angle_max_deg": e.head_angle_max_deg <= LIMITS["head_angle_max_deg"][0],
        "jitter_p99_deg": e.jitter_p99_deg <= LIMITS["jitter_p99_deg"][0],
        "pitch_jitter_p99_deg": e.pitch_jitter_p99_deg <= LIMITS["pitch_jitter_p99_deg"][0],
    }
    if e.pause_opening_share is not None:
        checks["pause_opening_share"] = e.pause_opening_share <= LIMITS["pause_opening_share"][0]
    if e.rest_error_px is not None:
        checks["rest_error_px"] = e.rest_error_px <= LIMITS["rest_error_px"][0]
    if e.identity_mad is not None:
        checks["identity_mad"] = e.identity_mad <= LIMITS["identity_mad"][0]
    if e.first_frame_psnr_db is not None:
        checks["first_frame_psnr_db"] = e.first_frame_psnr_db >= LIMITS["first_frame_psnr_db"][0]
    return checks


def _video_fps(video: Path) -> float:
    import av

    try:
        with av.open(str(video)) as container:
            return float(container.streams.video[0].average_rate)
    except (av.error.FFmpegError, IndexError) as error:
        raise MediaError(f"cannot read {video}: {error}") from error


def _fill_missing(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Frames without a face take the nearest earlier (or the first) detection."""
    filled = values.copy()
    last = int(np.argmax(found))
    for i in range(len(filled)):
        if found[i]:
            last = i
        else:
            filled[i] = values[last]
    return filled


def _write_sheet(video: Path, path: Path, s: Series) -> None:
    """Face close-ups: four speech peaks, four pauses, up to four blinks."""
    picks: list[tuple[int, str]] = []
    for i in _spaced_maxima(s.opening * (s.envelope >= metrics.SILENCE_LEVEL), 4, int(s.fps)):
        picks.append((i, f"speech {i / s.fps:.2f}s open {s.opening[i]:.2f}"))
    for a, b in sorted(metrics.pause_spans(s.envelope, s.fps), key=lambda p: p[1] - p[0], reverse=True)[:4]:
        i = (a + b) // 2
        picks.append((i, f"pause {i / s.fps:.2f}s open {s.opening[i]:.2f}"))
    for a, b in metrics.blink_spans(s.ear, float(s.ear[0]))[:4]:
        i = a + int(np.argmin(s.ear[a:b]))
        picks.append((i, f"blink {i / s.fps:.2f}s"))
    frames = read_frames(video, [i for i, _ in picks])
    tiles = [_face_crop(frames[i], s.landmarks[i]) for i, _ in picks if i in frames]
    labels = [label for i, label in picks if i in frames]
    sheet = contact_sheet(tiles, labels, columns=4, width=_TILE[0])
    ok, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    with atomic_path(path) as tmp:
        tmp.write_bytes(png.tobytes())


def _spaced_maxima(values: np.ndarray, count: int, spacing: int) -> list[int]:
    order = np.argsort(values)[::-1]
    chosen: list[int] = []
    for i in order:
        if values[i] <= 0 or len(chosen) == count:
            break
        if all(abs(int(i) - c) >= spacing for c in chosen):
            chosen.append(int(i))
    return sorted(chosen)


def _face_crop(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    cx, cy = (low + high) / 2
    half_w = 0.8 * (high[0] - low[0])
    half_h = 1.25 * half_w
    x0, y0 = int(max(0, cx - half_w)), int(max(0, cy - half_h))
    x1, y1 = int(min(frame.shape[1], cx + half_w)), int(min(frame.shape[0], cy + half_h))
    return cv2.resize(frame[y0:y1, x0:x1], (_TILE[0], _TILE[1]), interpolation=cv2.INTER_AREA)

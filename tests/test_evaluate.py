"""`reel evaluate`: the metrics on synthetic signals, then the whole report on the sample reel."""

import json

import numpy as np
import pytest

from reel.cli import main
from reel.evaluate import metrics
from reel.evaluate.report import LIMITS, evaluate, reference_from_manifest
from reel.media.audio import speech_envelope


def test_pearson_and_lag_find_a_delayed_copy():
    rng = np.random.default_rng(0)
    audio = np.convolve(rng.random(300), np.ones(5) / 5, mode="same")
    mouth = np.roll(audio, 2)  # the mouth two frames late
    assert metrics.best_lag(mouth, audio) == 2
    assert metrics.best_lag(np.roll(audio, -3), audio) == -3
    assert metrics.pearson(audio, audio) == pytest.approx(1.0)
    assert metrics.pearson(audio, -audio) == pytest.approx(-1.0)


def test_speech_envelope_and_pauses_follow_the_sound():
    rate, fps = 16000, 30
    t = np.arange(3 * rate) / rate
    tone = np.sin(2 * np.pi * 200 * t) * ((t < 1.0) | (t >= 1.5))  # 1 s tone, 0.5 s silence, 1.5 s tone
    envelope = speech_envelope(tone.astype(np.float32), rate, fps, 90)
    assert envelope[5:25].min() > 0.9 and envelope[33:42].max() == 0.0
    assert metrics.pause_spans(envelope, fps) == [(31, 44)]  # frames whose 40 ms window is silent
    assert metrics.pause_spans(envelope, fps, min_seconds=0.6) == []


def test_blinks_are_counted_from_the_eye_aspect_ratio():
    ear = np.full(100, 0.25)
    ear[20:24] = 0.08  # a blink
    ear[60:62] = 0.12  # another
    ear[80] = 0.2  # a squint is no blink
    assert metrics.blink_spans(ear, 0.25) == [(20, 24), (60, 62)]


def test_pose_residual_ignores_zoom_pan_and_a_3d_turn_but_not_expression():
    rng = np.random.default_rng(1)
    rest3d = np.column_stack([rng.random((468, 2)) * 300, rng.normal(0, 60, 468)])  # a mesh with depth
    p, y, r = np.radians([2.0, 3.0, 3.0])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    moved = 1.2 * (rest3d @ (rz @ ry @ rx).T)[:, :2] + (40, -25)  # turned, nodded, tilted, zoomed, panned
    assert metrics.pose_residual(moved, rest3d) < 1e-6
    flat = rest3d.copy()
    flat[:, 2] = 0
    assert metrics.pose_residual(moved, flat) > 1.0  # a 2-D fit cannot undo the turn (measured 3.1 px)
    smiling = moved.copy()
    smiling[:50, 1] += 12  # 50 points move 12 px (10 px at rest scale)
    assert metrics.pose_residual(smiling, rest3d) > 0.5


def test_head_angles_recover_a_known_rotation():
    rng = np.random.default_rng(2)
    rest3d = rng.normal(0, 100, (300, 3))
    rigid = np.arange(300)
    for pitch, yaw, roll in ((0, 0, 3.0), (2.0, 0, 0), (0, -2.5, 0), (1.0, 1.5, -2.0)):
        p, y, r = np.radians([pitch, yaw, roll])
        rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
        ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
        rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
        image = 1.1 * (rest3d @ (rz @ ry @ rx).T)[:, :2] + (500, 700)  # scaled, shifted, depth dropped
        assert np.allclose(metrics.head_angles(image, rest3d, rigid), (pitch, yaw, roll), atol=0.05)


@pytest.fixture(scope="module")
def sample_evaluation(sample_render, tmp_path_factory):
    result, _ = sample_render
    out = tmp_path_factory.mktemp("evaluation")
    evaluation = evaluate(result.video, reference=reference_from_manifest(result.manifest), sheet=out / "sheet.png")
    return evaluation, out


@pytest.mark.slow  # measures every frame of the 39 s sample: about a minute on 2 cores
def test_sample_reel_meets_the_animation_acceptance(sample_evaluation):
    evaluation, _ = sample_evaluation
    assert evaluation.face_found_share == 1.0
    assert evaluation.lip_sync_r >= LIMITS["lip_sync_r"][0]
    assert abs(evaluation.lip_sync_lag_frames) <= 1
    assert evaluation.pause_opening_share <= 0.15 and evaluation.pauses >= 5
    assert 8 <= evaluation.blinks_per_minute <= 25
    assert evaluation.rest_error_px <= 1.5
    assert 0.5 <= evaluation.head_angle_max_deg <= 4.0  # the head moves, within bounds
    assert evaluation.jitter_p99_deg <= LIMITS["jitter_p99_deg"][0]
    assert evaluation.identity_mad <= 2.0
    assert evaluation.first_frame_psnr_db >= 40
    assert evaluation.passed


@pytest.mark.slow
def test_contact_sheet_shows_speech_pauses_and_blinks(sample_evaluation):
    import cv2

    evaluation, out = sample_evaluation
    sheet = cv2.imread(evaluation.contact_sheet)
    assert sheet.shape[0] >= 3 * 400 and sheet.shape[1] == 4 * 320  # three rows of four close-ups
    assert sheet.std() > 20  # pictures, not blank tiles


def test_evaluate_cli_writes_a_report_and_fails_a_frozen_video(tmp_path, static_render, capsys):
    """A reel whose frames are all the portrait (audio kept) fails lip sync and blinks."""
    from reel.media.frames import read_frames

    result, manifest = static_render
    frozen = tmp_path / "frozen.mp4"
    first = read_frames(result.video, [0])[0]
    count = min(manifest["reel"]["frames"], 90)  # three seconds of speech are enough to fail
    _encode(frozen, [first] * count, result.video)
    code = main(["evaluate", str(frozen), "--out", str(tmp_path / "report")])
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "report" / "evaluation.json").read_text())
    assert code == 1
    assert report["checks"]["lip_sync_r"] is False and report["blinks"] == 0
    assert "BAD lip_sync_r" in printed and "identity and first-frame checks skipped" in printed
    assert (tmp_path / "report" / "evaluation.png").is_file()


def _encode(video, frames: list[np.ndarray], audio) -> None:
    """``frames`` (1080x1920 RGB) at 30 fps with the audio of ``audio``, encoded as a reel is."""
    from reel.media import ffmpeg

    argv = ffmpeg.encode_argv(out=video, size=(1080, 1920), fps=30, frames=len(frames), audio=audio,
                              audio_filter="anull", subtitles=None, fonts_dir=None, preset="veryfast", crf=20)
    ffmpeg.run_with_frames(argv, iter(frames))


def _measured(tmp_path, name: str, frames: list[np.ndarray], audio):
    from reel.evaluate.report import measure, summarize

    video = tmp_path / f"{name}.mp4"
    _encode(video, frames, audio)
    series = measure(video)
    return series, summarize(series, str(video))


def test_jitter_follows_the_head_s_pixels_not_the_lips_closing(tmp_path, static_render):
    """The face mesh re-fits the whole face when only the lips close, which reads as the head turning;
    the jitter measure follows the head's pixels instead, and still catches a head that jerks."""
    import cv2

    from reel.animate.rigs import MouthRig
    from reel.faces.mesh import load_face_mesh
    from reel.media.frames import read_frames

    result, _ = static_render
    still = read_frames(result.video, [0])[0]
    mesh = load_face_mesh()
    landmarks = mesh.track(still, mesh.detect(still).landmarks, precise=True).landmarks
    pressed = still.copy()
    MouthRig(landmarks, (still.shape[1], still.shape[0])).apply(pressed, still, 0.0, press=1.0)
    lips = [pressed if i % 10 in (8, 9) else still for i in range(30)]  # the lips meet for 2 frames, twice
    series, lips_only = _measured(tmp_path, "lips", lips, result.video)
    assert metrics.second_difference(series.angles)[:, 1:].max() > 0.4  # what the detector's pose reports
    assert lips_only.jitter_max_deg < 0.15, lips_only.jitter_max_deg
    centre = tuple(float(v) for v in landmarks.mean(axis=0))
    jolted = cv2.warpAffine(still, cv2.getRotationMatrix2D(centre, 1.0, 1.0), (still.shape[1], still.shape[0]),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    _, jolt = _measured(tmp_path, "jolt", [jolted if i == 15 else still for i in range(30)], result.video)
    assert 1.6 < jolt.jitter_max_deg < 2.4, jolt.jitter_max_deg  # a 1-degree roll for one frame: 2 deg/frame^2


def test_evaluate_cli_rejects_a_missing_video(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.mp4")]) == 2
    assert "video not found" in capsys.readouterr().err


def test_render_with_evaluate_publishes_the_report_beside_the_reel(tmp_path, static_render, settings, monkeypatch):
    from tests.conftest import STATIC_SCRIPT, write

    monkeypatch.setenv("REEL_CACHE_DIR", str(settings.cache_dir))  # the static reel's steps come from the cache
    script = write(tmp_path / "mouth-check.md", STATIC_SCRIPT)
    out = tmp_path / "out"
    code = main(["render", str(script), "--out", str(out), "--evaluate"])
    manifest = json.loads((out / "manifest.json").read_text())
    report = json.loads((out / "evaluation.json").read_text())
    assert code == (0 if manifest["evaluation"]["passed"] else 1)
    assert manifest["evaluation"]["checks"] == report["checks"] and report["video"] == "reel.mp4"
    assert report["lip_sync_r"] >= 0.7 and report["identity_mad"] <= 2.0
    assert (out / "evaluation.png").stat().st_size > 10_000
    assert manifest["stage_seconds"]["evaluate"] > 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


def test_evaluate_cli_rejects_a_manifest_it_cannot_use(tmp_path, static_render, capsys):
    result, _ = static_render
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"reel": {}}', encoding="utf-8")
    assert main(["evaluate", str(result.video), "--manifest", str(manifest)]) == 2
    assert "is not a manifest of this reel version" in capsys.readouterr().err

"""End-to-end: the sample reel and a still-camera reel, rendered with the real default engines."""

import re

import numpy as np

from reel.faces.landmarks import LOWER_INNER_LIP, UPPER_INNER_LIP
from reel.media.frames import read_frames
from reel.script import load_script
from tests.conftest import SAMPLE


def test_sample_reel_has_the_delivery_format(sample_render):
    _, manifest = sample_render
    reel = manifest["reel"]
    assert (reel["width"], reel["height"], reel["fps"]) == (1080, 1920, 30.0)
    assert (reel["video_codec"], reel["profile"], reel["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (reel["audio_codec"], reel["sample_rate"]) == ("aac", 48000)
    assert abs(reel["video_duration_s"] - reel["audio_duration_s"]) <= 1 / 30
    assert 25 <= reel["video_duration_s"] <= 40
    assert abs(reel["integrated_lufs"] - (-14.0)) <= 1.0
    assert reel["true_peak_dbtp"] <= -1.0, reel


def test_mp4_is_faststart(sample_render):
    result, _ = sample_render
    head = result.video.read_bytes()[:200_000]
    assert head.find(b"moov") != -1 and head.find(b"moov") < head.find(b"mdat")


def test_captions_show_every_script_word_once_in_order(sample_render):
    result, manifest = sample_render
    script_words = load_script(SAMPLE).words
    assert [w["text"] for w in manifest["captions"]["words"]] == script_words
    # The words highlighted in the burnt-in subtitle file, event by event, are the script's words.
    ass = (result.video.parent / "captions.ass").read_text()
    highlighted = re.findall(r"\{\\1c&H[0-9A-F]{8}&?\}(.*?)\{\\r\}", ass)
    assert highlighted == script_words


def test_whisper_hears_the_script_where_the_voice_timed_it(sample_render):
    _, manifest = sample_render
    captions = manifest["captions"]
    words = captions["words"]
    # Whisper's own timing of the words it heard agrees with the synthesiser's phoneme timing.
    assert captions["heard_share"] >= 0.9
    heard = [abs(w["whisper_start"] - w["speech_start"]) for w in words if w["whisper_start"] is not None]
    assert np.median(heard) <= 0.1


def test_manifest_records_inputs_engines_and_stage_times(sample_render):
    _, manifest = sample_render
    assert manifest["script"]["approval"]["status"] == "approved"
    assert len(manifest["script"]["sha256"]) == 64 and len(manifest["avatar"]["portrait_sha256"]) == 64
    assert manifest["engines"]["speech"].startswith("kokoro-82m") and manifest["speech"]["voice"] == "kokoro-nezumi"
    assert "tiny.en" in manifest["engines"]["captions"]
    assert set(manifest["stage_seconds"]) >= {"script", "portrait", "speech", "captions", "camera", "video"}
    assert manifest["engines"]["animator"] == "portrait-warp 6"
    camera = manifest["animation"]["camera"]
    assert camera["moves"] == ["push-in", "pan-left", "push-in"] and camera["starts"][0] == 0.0
    # Each paragraph's move starts with its first word (the speech's own times for them).
    starts = [w["speech_start"] for w in manifest["captions"]["words"]]
    words = load_script(SAMPLE).words
    firsts = [starts[0], starts[words.index("Nova")], starts[words.index("Teams")]]
    assert all(0 <= first - start < 0.3 for first, start in zip(firsts[1:], camera["starts"][1:])), (firsts, camera)
    x0, y0, x1, y1 = manifest["captions"]["box"]
    assert 0 < x0 < x1 < 1080 and 1920 * 0.5 < y0 < y1 <= 1920 * 0.65 + 20  # two lines above the bottom overlay


def _mouth(frame):
    """Inner-lip opening (share of the eye distance) and the mean brightness between the lip corners."""
    from reel.evaluate.metrics import mouth_aperture
    from reel.faces.mesh import load_face_mesh

    mesh = load_face_mesh()
    face = mesh.track(frame, mesh.detect(frame).landmarks, precise=True)
    points = face.landmarks[UPPER_INNER_LIP + LOWER_INNER_LIP]
    (x0, y0), (x1, y1) = points.min(axis=0).astype(int), points.max(axis=0).astype(int)
    return float(mouth_aperture(face.landmarks[None])[0]), float(frame[y0:y1 + 1, x0:x1 + 1].mean())


def test_mouth_moves_during_speech_and_rests_in_pauses(static_render):
    """Measured on landmarks found in the frames, so the head's own motion does not count."""
    result, manifest = static_render
    words = manifest["captions"]["words"]
    open_words = [w for w in words if w["text"].lower().strip(",.") in {"papa", "bold", "band", "happy"}]
    spans = [range(int(w["start"] * 30), int(w["end"] * 30) + 1) for w in open_words]
    gaps = [(a["end"], b["start"]) for a, b in zip(words, words[1:]) if b["start"] - a["end"] > 0.45]
    pauses = [5] + [int((a + b) / 2 * 30) for a, b in gaps]
    frames = read_frames(result.video, [0] + [i for span in spans for i in span] + pauses)
    rest_opening, rest_brightness = _mouth(frames[0])
    widest = [max(spans_i, key=lambda i: _mouth(frames[i])[0]) for spans_i in spans]  # each word's widest frame
    moved = [_mouth(frames[i])[0] - rest_opening for i in widest]
    still = [abs(_mouth(frames[i])[0] - rest_opening) for i in pauses]
    assert len(pauses) >= 2, "the lead-in and the paragraph pause"
    assert min(moved) > 0.015 and min(moved) > 3 * max(still), (moved, still)
    # An open mouth shows the dark interior between the lips.
    assert max(_mouth(frames[i])[1] for i in widest) < rest_brightness - 10


def test_first_frame_is_the_framed_portrait(static_render, settings):
    from reel.avatars import read_portrait_image
    from tests.conftest import framed_portrait

    result, _ = static_render
    portrait = framed_portrait(settings)
    first = read_frames(result.video, [0])[0].astype(np.float32)
    reference = read_portrait_image(portrait.path).astype(np.float32)
    top = slice(0, int(1920 * 0.6))  # above the caption area
    mse = np.mean((first[top] - reference[top]) ** 2)
    assert 10 * np.log10(255 ** 2 / mse) > 35  # PSNR; the gap to lossless is H.264 + 4:2:0


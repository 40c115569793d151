"""The diffusion animators (ltx, wan) with tiny random-weight pipelines built here and loaded through
the production loader, on the CPU (needs the `diffusion` extra: ./setup.sh diffusion)."""

import json
import math
import time

import numpy as np
import pytest

from reel.animate.diffusion import cover, match_colour, window_lengths
from tests.test_pipeline import script_file

pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    from tests.diffusion_models import tiny_ltx, tiny_svd, tiny_wan

    return {name: build(tmp_path_factory.mktemp(f"tiny-{name}"))
            for name, build in (("ltx", tiny_ltx), ("wan", tiny_wan), ("svd", tiny_svd))}


@pytest.fixture(params=["ltx", "wan", "svd"])
def engine(request, monkeypatch, tiny_models):
    """Each engine chosen by REEL_ANIMATOR, with its tiny model, 2 steps and a small size."""
    name = request.param
    for key, value in {"REEL_ANIMATOR": name, f"REEL_{name.upper()}_MODEL": str(tiny_models[name]),
                       f"REEL_{name.upper()}_STEPS": "2", f"REEL_{name.upper()}_SIZE": "64x112"}.items():
        monkeypatch.setenv(key, value)
    return name


@pytest.fixture
def ltx_env(monkeypatch, tiny_models):
    for key, value in {"REEL_ANIMATOR": "ltx", "REEL_LTX_MODEL": str(tiny_models["ltx"]), "REEL_LTX_STEPS": "2",
                       "REEL_LTX_SIZE": "64x112"}.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_window_lengths_follow_the_frame_rule_and_cover_the_reel():
    for needed in (1, 9, 10, 86, 250):
        lengths = window_lengths(needed, 33, 8)
        assert all((n - 1) % 8 == 0 and n <= 33 for n in lengths)
        covered = lengths[0] + sum(n - 1 for n in lengths[1:])
        assert needed <= covered < needed + 9, (needed, lengths)


def test_colour_matching_gives_a_window_the_reference_colours():
    rng = np.random.default_rng(0)
    reference = rng.uniform(0.2, 0.6, (16, 16, 3))
    window = np.clip(rng.uniform(0.5, 1.0, (5, 16, 16, 3)), 0, 1)
    matched = match_colour(window, reference)
    assert np.allclose(matched[0].reshape(-1, 3).mean(axis=0), reference.reshape(-1, 3).mean(axis=0), atol=0.01)
    assert matched.shape == window.shape and matched.min() >= 0 and matched.max() <= 1


def test_cover_fills_the_frame_without_bars():
    image = np.full((128, 64, 3), 200, np.uint8)
    framed = cover(image, (1080, 1920))
    assert framed.shape == (1920, 1080, 3) and framed.min() == 200


def test_each_engine_renders_a_1080x1920_reel_through_the_cli(engine, tmp_path, capsys):
    from reel.cli import main

    script = script_file(tmp_path, "[visual: smiles and nods] Hello from a tiny model.\n\nIt speaks in tones.",
                         animator=None)
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    reel = manifest["reel"]
    assert (reel["width"], reel["height"], reel["fps"]) == (1080, 1920, 30.0)
    assert reel["frames"] == round(manifest["speech"]["duration_s"] * 30)
    assert manifest["engines"]["animator"].startswith(f"{engine} 1") and manifest["animation"]["options"]["steps"] == 2
    assert manifest["animation"]["options"]["device"] == "cpu"
    # The paragraph's direction joins the prompt (svd has none); random weights draw no face, so every
    # frame is counted as one without a face and passes unchanged.
    report, takes_prompt = manifest["animation"]["report"], engine != "svd"
    assert ("not for commercial use" in manifest["animation"]["license"]) == (engine == "svd")
    assert report["frames_without_face"] == reel["frames"]
    assert manifest["animation"]["directions"] == [{"start_s": 0.0, "visual": "smiles and nods", "used": takes_prompt}]
    if takes_prompt:
        assert report["prompts"][0]["prompt"].endswith(", smiles and nods") and report["prompts"][0]["start_s"] == 0


def test_windows_are_chained_without_a_colour_jump_at_the_seam(ltx_env, tmp_path):
    """Seam: the change of each channel's mean from the last frame of a window to the first new frame
    of the next. It must stay within twice the largest change between neighbouring frames inside a
    window (the model's own motion), else the seam would show as a flash."""
    from reel.animate import ANIMATORS
    from reel.animate.base import AnimationJob
    from reel.models import Portrait

    ltx_env.setenv("REEL_LTX_WINDOW_FRAMES", "9")
    animator = ANIMATORS.load("ltx", ANIMATORS.options("ltx"))
    base = np.zeros((1920, 1080, 3), np.uint8)
    base[:960] = (200, 120, 60)
    portrait = Portrait(avatar_id="a", path=tmp_path / "p.png", width=1080, height=1920, landmarks=[],
                        face_box=(0, 0, 1, 1), source_sha256="-", sha256="-")
    job = AnimationJob(portrait=portrait, base=base, speech=None, audio=np.zeros(1), fps=30, frames=24, seed=0,
                       face=None)
    frames = np.stack(list(animator._model_frames(job))).astype(np.float32) / 255
    means = frames.reshape(len(frames), -1, 3).mean(axis=1)
    steps = np.abs(np.diff(means, axis=0)).max(axis=1)
    assert len(frames) == math.ceil(24 / 30 * 25) + 1 == 9 + 8 + 4  # windows of 9, 9 and 5 sharing 2 frames
    seams = steps[[8, 16]]
    inside = np.delete(steps, [8, 16])
    assert seams.max() <= 2 * inside.max(), (seams, inside.max())
    # Every window is colour-matched to the portrait from its first frame on.
    portrait_mean = cover(base, (64, 128)).reshape(-1, 3).mean(axis=0) / 255
    assert np.abs(means[0] - portrait_mean).max() < 0.03  # clipping to 0-1 after matching moves it a little


def test_generation_sizes_are_rounded_up_to_what_each_pipeline_accepts(engine):
    from reel.animate import ANIMATORS

    animator = ANIMATORS.load(engine, ANIMATORS.options(engine))
    # ltx: multiples of 32 (its size check); wan: of 32 (its 16x VAE's cells in patches of 2); svd: of 8.
    assert animator.generation_size() == {"ltx": (64, 128), "wan": (64, 128), "svd": (64, 112)}[engine]


@pytest.mark.parametrize("model, message", [
    ("/nowhere/model", "model '/nowhere/model' is neither a folder nor in the Hugging Face cache; set REEL_"),
    ("Some-Org/Some-Model", "huggingface-cli download Some-Org/Some-Model --local-dir DIR"),
    ("INCOMPLETE", "lacks "),
])
def test_missing_weights_are_one_line_in_under_a_second(engine, monkeypatch, tmp_path, capsys, tiny_models, model,
                                                        message):
    import shutil

    from reel.animate import ANIMATORS
    from reel.cli import main

    if model == "INCOMPLETE":  # its denoiser (transformer or unet) is missing
        denoiser = ANIMATORS.engine_class(engine).needs[0]
        model, message = str(tmp_path / "incomplete"), f"lacks {denoiser}"
        shutil.copytree(tiny_models[engine], model, ignore=shutil.ignore_patterns(denoiser))
    monkeypatch.setenv(f"REEL_{engine.upper()}_MODEL", model)
    script = script_file(tmp_path, animator=None)
    started = time.perf_counter()
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 2
    assert time.perf_counter() - started < 1.0
    error = capsys.readouterr().err
    assert error.startswith(f"error: the animator '{engine}'") and message in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_generated_frames_get_a_mouth_that_follows_the_speech(settings, tmp_path):
    """The diffusion engines' last stage on frames that hold a face (a drifting copy of the portrait at
    a model's size): the mouth opens where the speech is loud and rests where it is quiet."""
    from reel.animate.base import AUDIO_RATE, AnimationJob
    from reel.animate.diffusion import finished_frames
    from reel.animate.face import FacePass
    from reel.avatars import load_portrait_pixels
    from reel.evaluate.metrics import mouth_aperture
    from reel.faces.mesh import load_face_mesh
    from reel.media.audio import read_audio
    from reel.models import Script
    from tests.conftest import framed_portrait, speak

    portrait = framed_portrait(settings, size=(540, 960))
    base = load_portrait_pixels(portrait)
    speech = speak("test-tone", Script(id="t", title="T", avatar="astronaut", voiceover="Papa made a bold plan."),
                   tmp_path / "speech.wav")
    audio, fps = read_audio(speech.path, AUDIO_RATE), 30
    frames = round(speech.duration_s * fps)
    face = FacePass(portrait, speech, audio, AUDIO_RATE, fps, frames, seed=0)
    face.blinks[:] = 0.0
    job = AnimationJob(portrait=portrait, base=base, speech=speech, audio=audio, fps=fps, frames=frames, seed=0,
                       face=face)
    model_fps = 24
    small = cover(base, (272, 480))
    drifting = (np.roll(small, (i // 8, -(i // 6)), axis=(0, 1)) for i in range(int(frames / fps * model_fps) + 2))
    made = [frame.copy() for frame in finished_frames(drifting, model_fps, job)]
    assert len(made) == frames and made[0].shape == (960, 540, 3) and job.report["frames_without_face"] == 0

    mesh = load_face_mesh()
    aperture = []
    for frame in made:
        found = mesh.detect(frame)
        aperture.append(float(mouth_aperture(found.landmarks[None])[0]))
    aperture = np.asarray(aperture)
    order = np.argsort(face.openness)
    quiet, loud = aperture[order[:5]].mean(), aperture[order[-5:]].mean()
    assert loud - quiet > 0.03, (quiet, loud)
    assert np.corrcoef(aperture, face.openness)[0, 1] > 0.6


def test_a_render_past_its_deadline_stops_between_steps_and_publishes_nothing(engine, monkeypatch, tmp_path, capsys):
    from reel.cli import main

    monkeypatch.setenv(f"REEL_{engine.upper()}_DEADLINE_S", "0.000001")
    script = script_file(tmp_path, animator=None)
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines of the steps before
    assert error.startswith(f"error: the animator '{engine}' ran past its deadline of 1e-06 s "
                            f"(REEL_{engine.upper()}_DEADLINE_S) at window 1, step 1; nothing was published")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

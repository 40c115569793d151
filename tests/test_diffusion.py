"""The diffusion animators (ltx, wan, svd, ltx2) with tiny random-weight pipelines built here and loaded through
the production loader, on the CPU (needs the `diffusion` extra: ./setup.sh diffusion)."""

import json
import math
import time

import numpy as np
import pytest

from reel.animate.diffusion import match_colour, window_lengths
from reel.animate.framing import cover
from tests.test_pipeline import script_file

pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    from tests.diffusion_models import tiny_ltx, tiny_ltx2, tiny_svd, tiny_wan

    return {name: build(tmp_path_factory.mktemp(f"tiny-{name}"))
            for name, build in (("ltx", tiny_ltx), ("wan", tiny_wan), ("svd", tiny_svd), ("ltx2", tiny_ltx2))}


@pytest.fixture(params=["ltx", "wan", "svd", "ltx2"])
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
    # frame is counted as one without a face and passes unchanged. ltx2 leaves the mouth to the model.
    report, takes_prompt = manifest["animation"]["report"], engine != "svd"
    assert ("not for commercial use" in manifest["animation"]["license"]) == (engine == "svd")
    assert ("below USD 10M annual revenue" in manifest["animation"]["license"]) == (engine == "ltx2")
    assert report["mouth_pass"] == (engine != "ltx2")
    assert report.get("frames_without_face") == (reel["frames"] if engine != "ltx2" else None)
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
    # ltx, ltx2: multiples of 32 (their size checks); wan: of 32 (its 16x VAE's cells in patches of 2); svd: of 8.
    assert animator.generation_size() == {"ltx": (64, 128), "wan": (64, 128), "svd": (64, 112), "ltx2": (64, 128)}[engine]


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


def numpy_log_mel(samples, rate, n_fft, hop, bins):
    """The log-mel front end of LTX-2's audio VAE written out with numpy: centred, reflect-padded
    frames under a periodic Hann window, magnitudes through Slaney mel filters, natural log."""
    from transformers.audio_utils import mel_filter_bank

    padded = np.pad(np.pad(samples, (0, max(0, n_fft - len(samples)))), n_fft // 2, mode="reflect")
    frames = np.stack([padded[start:start + n_fft] for start in range(0, len(padded) - n_fft + 1, hop)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    magnitude = np.abs(np.fft.rfft(frames * window, axis=1))
    bank = mel_filter_bank(num_frequency_bins=n_fft // 2 + 1, num_mel_filters=bins, min_frequency=0.0,
                           max_frequency=rate / 2, sampling_rate=rate, norm="slaney", mel_scale="slaney")
    return np.log(np.maximum(magnitude @ bank, 1e-5))


def test_ltx2_audio_entering_the_transformer_at_every_step_is_the_encoded_speech(monkeypatch, tiny_models, tmp_path):
    """Speech mode: in every transformer call of every denoising step, the audio tokens are the
    window's stretch of our speech through the audio VAE, clean (audio timestep and sigma 0), while
    the video is being denoised (its timestep is not 0)."""
    import torch

    from reel.animate import ANIMATORS
    from reel.animate.base import AUDIO_RATE, AnimationJob
    from reel.models import Portrait

    for key, value in {"REEL_LTX2_MODEL": str(tiny_models["ltx2"]), "REEL_LTX2_STEPS": "2",
                       "REEL_LTX2_SIZE": "64x112", "REEL_LTX2_WINDOW_FRAMES": "17"}.items():
        monkeypatch.setenv(key, value)
    animator = ANIMATORS.load("ltx2", ANIMATORS.options("ltx2"))
    pipe = animator.pipe
    calls = []

    def record(module, args, kwargs):
        calls.append({name: kwargs[name].detach().clone() for name in
                      ("audio_hidden_states", "audio_timestep", "audio_sigma", "timestep") if name in kwargs})

    hook = pipe.transformer.register_forward_pre_hook(record, with_kwargs=True)
    try:
        # Speech: a 300 Hz tone that sounds in the first half of each 0.4 s, so windows hear different speech.
        t = np.arange(AUDIO_RATE) / AUDIO_RATE
        audio = (0.5 * np.sin(2 * np.pi * 300 * t) * ((t % 0.4) < 0.2)).astype(np.float32)
        portrait = Portrait(avatar_id="a", path=tmp_path / "p.png", width=1080, height=1920, landmarks=[],
                            face_box=(0, 0, 1, 1), source_sha256="-", sha256="-")
        job = AnimationJob(portrait=portrait, base=np.full((1920, 1080, 3), 128, np.uint8), speech=None, audio=audio,
                           fps=30, frames=30, seed=0, face=None)
        frames = list(animator._model_frames(job))
    finally:
        hook.remove()
    assert len(frames) == 17 + 8  # windows of 17 and 9 model frames (8x temporal VAE), sharing one frame

    vae = pipe.audio_vae
    expected = []
    for start_s, count in ((0.0, 17), (16 / 24, 9)):  # each window from the time of its first frame
        duration = count / 24
        stretch = audio[round(start_s * AUDIO_RATE):round((start_s + duration) * AUDIO_RATE)]
        stretch = np.pad(stretch, (0, round(duration * AUDIO_RATE) - len(stretch)))
        mel = torch.tensor(numpy_log_mel(stretch, 16000, 1024, 160, 8), dtype=torch.float32)[None, None]
        latents = vae.encode(mel.expand(1, 2, -1, -1)).latent_dist.mode()[:, :, :round(duration * 25)]
        expected.append(pipe._normalize_audio_latents(pipe._pack_audio_latents(latents), vae.latents_mean,
                                                      vae.latents_std))
    assert [e.shape[1] for e in expected] == [18, 9]  # 25 audio latents a second
    assert not torch.allclose(expected[0][:, :9], expected[1], atol=1e-3)  # different speech, different tokens

    assert all("audio_sigma" in call for call in calls)  # set on every call (else the video's sigma is used)
    by_window = [[c for c in calls if c["audio_hidden_states"].shape[1] == e.shape[1]] for e in expected]
    assert len(by_window[0]) + len(by_window[1]) == len(calls)
    for window, tokens in zip(by_window, expected):
        assert len(window) >= 2  # at least one call per denoising step
        for call in window:
            held = call["audio_hidden_states"]
            assert torch.allclose(held, tokens.expand(held.shape[0], -1, -1), atol=1e-4)
            assert not call["audio_timestep"].any() and not call["audio_sigma"].any()  # clean: sigma 0
            assert call["timestep"].max() > 0  # the video is still noisy: only the audio is held clean
    assert len({round(float(c["timestep"].max()), 3) for c in by_window[0]}) == 2  # both steps were seen


def test_ltx2_reel_sounds_like_our_speech_not_the_model(monkeypatch, tiny_models, tmp_path):
    """The reel's audio track is the speech step's track (loudness-normalized), not the audio the
    model generated; the mouth pass can be asked for on top of the model's own lip motion."""
    import json

    from reel.cli import main
    from reel.media.audio import read_audio

    for key, value in {"REEL_ANIMATOR": "ltx2", "REEL_LTX2_MODEL": str(tiny_models["ltx2"]), "REEL_LTX2_STEPS": "2",
                       "REEL_LTX2_SIZE": "64x112", "REEL_LTX2_MOUTH_PASS": "true",
                       "REEL_CACHE_DIR": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(key, value)
    script = script_file(tmp_path, "Papa made a bold plan.", animator=None)
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    report = manifest["animation"]["report"]
    assert report["speech_conditioned"] and report["mouth_pass"]
    assert report["frames_without_face"] == manifest["reel"]["frames"]  # random weights draw no face

    speech_files = list((tmp_path / "cache" / "speech").glob("*.wav"))
    assert len(speech_files) == 1
    speech, reel = read_audio(speech_files[0], 16000), read_audio(tmp_path / "out" / "reel.mp4", 16000)
    hop = 320  # 20 ms loudness envelopes
    count = min(len(speech), len(reel)) // hop
    envelope = [np.sqrt((x[:count * hop].reshape(count, hop) ** 2).mean(axis=1)) for x in (speech, reel)]
    assert abs(len(reel) - len(speech)) < 0.05 * 16000
    assert np.corrcoef(*envelope)[0, 1] > 0.95


def test_doctor_reports_each_animator_install_weights_device_and_licence(monkeypatch, tiny_models, capsys):
    from reel.cli import main

    monkeypatch.setenv("REEL_LTX2_MODEL", str(tiny_models["ltx2"]))
    monkeypatch.setenv("REEL_LTX_MODEL", str(tiny_models["ltx"]))
    monkeypatch.setenv("REEL_LTX_DEVICE", "cuda:0")
    monkeypatch.setenv("REEL_SVD_MODEL", "/nowhere/svd")
    assert main(["doctor"]) == 0  # the default animator is ready; the others are reported, not required
    rows = {line[5:41].strip(): (line[:3], line[42:]) for line in capsys.readouterr().out.splitlines()}
    state, detail = rows["animator ltx2"]
    assert state == "ok " and detail.startswith("installed, ready on cpu; LTX-2 weights: LTX-2 Community License")
    state, detail = rows["animator svd"]
    assert state == "-- " and detail.startswith("installed; not ready: the animator 'svd': model '/nowhere/svd'")
    assert detail.endswith("not for commercial use without a Stability AI licence")
    if not __import__("torch").cuda.is_available():
        state, detail = rows["animator ltx"]
        assert state == "-- " and detail.startswith("installed, weights found, but device cuda:0 is not available")
    assert rows["animator portrait-warp (default)"][0] == "ok "


def test_progress_counts_denoising_steps_over_all_windows(ltx_env, tmp_path):
    from reel.pipeline import render
    from reel.settings import load_settings

    ltx_env.setenv("REEL_LTX_WINDOW_FRAMES", "33")
    seen = []
    script = script_file(tmp_path, "Papa made a bold plan, and all of a sudden everyone was happy.", animator=None)
    render(script, tmp_path / "out", load_settings(),
           progress=lambda stage, done, total, unit="frame": seen.append((stage, done, total, unit)))
    video = [(done, total) for stage, done, total, unit in seen if stage == "video" and unit == "denoising step"]
    windows = video[0][1] // 2
    assert windows >= 2 and video == [(done, windows * 2) for done in range(1, windows * 2 + 1)]

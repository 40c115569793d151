"""The one render pipeline: cache keys that never mix two reels up, cache hits, the stub engines,
captions burnt into the pixels. Fast: the stub voice (tones) and the still animator at a small size."""

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from reel.hashing import sha256_file
from reel.media.frames import read_frames
from reel.settings import PROJECT_ROOT, ReelSettings
from tests.conftest import write

SMALL = {"width": 360, "height": 640}
BASE = {"id": "base", "title": "Base", "avatar": "astronaut", "voice": "test-tone", "animator": "still",
        "camera": "static", "approval": {"status": "approved", "reviewer": "Test"}}
TEXT = "Save $5 today on every plan."
LONGER = "Papa made a bold plan, and all of a sudden everyone was happy."


def script_file(folder: Path, text: str = TEXT, **fields) -> Path:
    front = {**BASE, **fields}
    return write(folder / f"{front['id']}.md", "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + text + "\n")


class RecordingRunner:
    """The CLI's runner, noting each step's key and artifact."""

    def __init__(self, cache_dir: Path):
        from reel.runner import LocalRunner

        self.inner, self.seen = LocalRunner(cache_dir), {}

    def __call__(self, step, inputs, progress):
        artifact = self.inner(step, inputs, progress)
        self.seen[step.name] = (step.key(inputs), artifact)
        return artifact


def render_with(script: Path, out: Path, settings: ReelSettings, runner=None):
    from reel.pipeline import render_plan
    from reel.plan import plan_render

    return render_plan(plan_render(script, settings), out, settings, runner=runner)


def test_a_cached_spoken_form_never_shows_another_scripts_written_words(tmp_path):
    """Same avatar, voice and spoken words, other written words: the captions show each script's own."""
    settings = ReelSettings(cache_dir=tmp_path / "cache", **SMALL)
    dollars = render_with(script_file(tmp_path, id="dollars"), tmp_path / "one", settings)
    words = render_with(script_file(tmp_path, "Save five dollars today on every plan.", id="words"),
                        tmp_path / "two", settings)
    first, second = (r.video.parent / "captions.ass" for r in (dollars, words))
    assert "$5" in first.read_text() and "five" not in first.read_text()
    assert "five" in second.read_text() and "$5" not in second.read_text()
    spoken = [json.loads(r.manifest.read_text())["captions"]["words"] for r in (dollars, words)]
    assert [w["text"] for w in spoken[0]][:2] == ["Save", "$5"]
    assert [w["text"] for w in spoken[1]][:3] == ["Save", "five", "dollars"]


def _content(artifact) -> str:
    """An artifact as data, without the paths that differ from one cache folder to another."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("path", "fonts_dir")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return json.dumps(strip(artifact.model_dump(mode="json")), sort_keys=True)


# Each variant changes exactly one input of the base reel, and the first step whose output it changes.
VARIANTS = {
    "written vs spoken form": ({"text": "Save five dollars today on every plan."}, "speech"),
    "caption style": ({"caption_style": "clean"}, "captions"),
    "brand colour": ({"brand_highlight": "#00FF00"}, "captions"),
    "platform": ({"platform": "tiktok"}, "captions"),
    "frame size": ({"settings": {"width": 288, "height": 512}}, "portrait"),
    "voice": ({"voice": "kokoro-nezumi"}, "speech"),
    "speaking rate": ({"speaking_rate": 1.3}, "speech"),
    "seed": ({"settings": {"seed": 7}}, "video"),
    "animator option": ({"env": {"REEL_PORTRAIT_WARP_HEAD_MOTION": "false"}}, "video"),
}
ORDER = ["portrait", "speech", "captions", "camera", "video"]


def _render_variant(tmp_path: Path, name: str, change: dict, monkeypatch) -> dict:
    folder = tmp_path / name.replace(" ", "-")
    assets = folder / "assets"
    shutil.copytree(PROJECT_ROOT / "assets" / "avatars", assets / "avatars")
    if "brand_highlight" in change:
        avatar_file = assets / "avatars" / "astronaut" / "avatar.yaml"
        avatar = yaml.safe_load(avatar_file.read_text())
        avatar["brand"]["caption"]["colors"]["highlight"] = change["brand_highlight"]
        avatar_file.write_text(yaml.safe_dump(avatar))
    fields = {k: v for k, v in change.items() if k not in ("text", "settings", "env", "brand_highlight")}
    script = script_file(folder, change.get("text", TEXT), animator="portrait-warp", **fields)
    with monkeypatch.context() as patch:
        for key, value in change.get("env", {}).items():
            patch.setenv(key, value)
        sizes_and_seed = {**SMALL, **change.get("settings", {})}
        settings = ReelSettings(cache_dir=folder / "cache", assets_dir=assets, **sizes_and_seed)
        runner = RecordingRunner(settings.cache_dir)
        render_with(script, folder / "out", settings, runner)
    return runner.seen


def test_reels_that_differ_in_one_input_never_share_a_cached_output(tmp_path, monkeypatch):
    """Each reel is rendered with an empty cache; a key may be shared only by identical outputs, and
    every changed input changes the key of the step it affects and of every step after it."""
    runs = {"base": _render_variant(tmp_path, "base", {}, monkeypatch)}
    for name, (change, _) in VARIANTS.items():
        runs[name] = _render_variant(tmp_path, name, change, monkeypatch)

    outputs_by_key: dict[tuple[str, str], set[str]] = {}
    for seen in runs.values():
        for step, (key, artifact) in seen.items():
            outputs_by_key.setdefault((step, key), set()).add(_content(artifact))
    assert all(len(outputs) == 1 for outputs in outputs_by_key.values()), "two different outputs share a key"

    base = runs["base"]
    for name, (_, first_changed) in VARIANTS.items():
        changed = [step for step in ORDER if runs[name][step][0] != base[step][0]]
        assert changed[0] == first_changed, (name, changed)
        assert "video" in changed and _content(runs[name]["video"][1]) != _content(base["video"][1]), name


@pytest.fixture(scope="module")
def stub_reel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stub")
    settings = ReelSettings(cache_dir=folder / "cache")
    return render_with(script_file(folder, LONGER), folder / "out", settings), settings


def test_captions_are_burnt_into_the_pixels(stub_reel):
    """The caption area changes when a word is shown; the lead-in (no caption yet) leaves it as it is."""
    result, _ = stub_reel
    manifest = json.loads(result.manifest.read_text())
    x0, y0, x1, y1 = manifest["captions"]["box"]
    word = manifest["captions"]["words"][1]
    at = round((word["start"] + word["end"]) / 2 * 30)
    frames = read_frames(result.video, [0, 3, at])
    lead_in = np.abs(frames[3][y0:y1, x0:x1].astype(int) - frames[0][y0:y1, x0:x1]).max(axis=2)
    shown = np.abs(frames[at][y0:y1, x0:x1].astype(int) - frames[0][y0:y1, x0:x1]).max(axis=2)
    assert (lead_in > 60).sum() < 50
    assert (shown > 60).sum() > 2000, (shown > 60).sum()
    # The spoken word is drawn in the brand's highlight (#FFC83D).
    highlight = np.abs(frames[at][y0:y1, x0:x1].astype(int) - (0xFF, 0xC8, 0x3D)).max(axis=2) < 40
    assert highlight.sum() > 300


def test_a_rerender_takes_every_step_from_the_cache(stub_reel, tmp_path, monkeypatch):
    """Engines that fail when called prove the hits; a changed caption style re-runs only what follows."""
    import reel.avatars
    import reel.steps.captions
    from reel.animate.still import StillAnimator
    from reel.speech.tone import ToneEngine

    result, settings = stub_reel
    script = Path(json.loads(result.manifest.read_text())["script"]["path"])

    def never(*args, **kwargs):
        raise AssertionError("called again")

    with monkeypatch.context() as patch:
        for owner, name in ((ToneEngine, "sentences"), (StillAnimator, "frames"),
                            (reel.steps.captions, "transcribe_words"), (reel.avatars, "prepare_portrait")):
            patch.setattr(owner, name, never)
        again = render_with(script, tmp_path / "again", settings)
    assert sha256_file(again.video) == sha256_file(result.video)

    monkeypatch.setattr(ToneEngine, "sentences", never)
    monkeypatch.setattr(reel.avatars, "prepare_portrait", never)
    restyled = script_file(tmp_path, LONGER, caption_style="subtitles")
    other = render_with(restyled, tmp_path / "restyled", settings)
    assert sha256_file(other.video) != sha256_file(result.video)


def test_the_stub_engines_render_through_the_cli(tmp_path, capsys):
    from reel.cli import main

    script = script_file(tmp_path, "One animator file and one registry line.")
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["engines"]["animator"] == "still 1" and manifest["speech"]["voice"] == "test-tone"
    assert 2.0 < manifest["reel"]["video_duration_s"] < 5.0 and manifest["reel"]["width"] == 1080


@pytest.mark.parametrize("change, message", [
    ({"animator": "nope"}, "unknown animator 'nope'; valid animators: kling-avatar, kling-i2v, ltx, ltx2, portrait-warp, still"),
    ({"env": ("REEL_PORTRAIT_WARP_HEAD_MOTON", "false")},
     "setting REEL_PORTRAIT_WARP_HEAD_MOTON is not an option of the animator 'portrait-warp'; valid: "
     "REEL_PORTRAIT_WARP_HEAD_MOTION"),
    ({"env": ("REEL_PORTRAIT_WARP_HEAD_MOTION", "sometimes")},
     "option 'head_motion' of the animator 'portrait-warp' (setting REEL_PORTRAIT_WARP_HEAD_MOTION) is invalid"),
])
def test_bad_animator_choices_are_one_line_before_any_work(tmp_path, capsys, monkeypatch, change, message):
    from reel.cli import main

    if "env" in change:
        monkeypatch.setenv(*change["env"])
    script = script_file(tmp_path, animator=change.get("animator", "portrait-warp"))
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {message}") and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_one_kokoro_model_serves_every_kokoro_voice():
    from reel.speech import SPEECH_ENGINES, VOICES, load_voice_engine

    engines = {id(load_voice_engine(v)) for v, spec in VOICES.items() if spec.engine == "kokoro"}
    assert len(engines) == 1
    assert SPEECH_ENGINES.engine_class("kokoro").version().startswith("kokoro-82m")


def test_the_face_pass_follows_a_face_that_moved(settings):
    """Frames from another engine: the face pass finds the moved face and opens its mouth there."""
    from reel.animate.face import FacePass
    from reel.avatars import load_portrait_pixels
    from reel.evaluate.metrics import mouth_aperture
    from reel.faces.mesh import load_face_mesh
    from reel.models import SpeechTrack
    from tests.conftest import framed_portrait

    portrait = framed_portrait(settings, size=(540, 960))
    base = load_portrait_pixels(portrait)
    speech = SpeechTrack(path=Path("unused.wav"), sample_rate=16000, duration_s=1.0, words=[], phones=[],
                         engine="-", voice="-", sha256="-", paragraph_spans=[])
    face = FacePass(portrait, speech, np.zeros(16000, np.float32), 16000, 30, 30, seed=0)
    face.openness[:], face.width[:], face.blinks[:] = 1.0, 0.0, 0.0
    moved = np.roll(base, (14, -10), axis=(0, 1))  # the head 14 px lower, 10 px to the left
    frame = moved.copy()
    assert face.apply_tracked(5, frame)

    mesh = load_face_mesh()
    before = mesh.track(moved, mesh.detect(moved).landmarks, precise=True).landmarks
    after = mesh.track(frame, before, precise=True).landmarks
    assert mouth_aperture(after[None])[0] - mouth_aperture(before[None])[0] > 0.04
    changed = np.abs(frame.astype(int) - moved).max(axis=2) > 0
    ys, xs = np.nonzero(changed)
    rest = np.asarray(portrait.landmarks)
    assert ys.min() > rest[:, 1].min() + 14 - 5 and ys.max() < rest[:, 1].max() + 14 + 40  # on the moved face


def test_engines_answer_device_and_installation_without_loading_weights():
    from reel.animate import ANIMATORS
    from reel.engines import _load, engine_device

    _load.cache_clear()
    for name in ("portrait-warp", "still"):
        assert engine_device(ANIMATORS.options(name)) == "cpu" and ANIMATORS.engine_class(name).is_installed()
    has_extra = all(importlib.util.find_spec(name) for name in ("torch", "diffusers", "transformers"))
    assert ANIMATORS.engine_class("ltx").is_installed() == has_extra
    assert engine_device(ANIMATORS.options("ltx")) == "cpu"  # no GPU here; answered without loading a model
    assert _load.cache_info().currsize == 0


def test_animators_without_a_prompt_record_the_visual_directions_they_ignore(stub_reel, tmp_path):
    """The same frames as without the direction (the video step's key ignores it), and a manifest that
    says the direction was not used."""
    result, settings = stub_reel
    directed = render_with(script_file(tmp_path, "[visual: smiles and nods] " + LONGER), tmp_path / "out", settings)
    manifest = json.loads(directed.manifest.read_text())
    assert manifest["animation"]["directions"] == [{"start_s": 0.0, "visual": "smiles and nods", "used": False}]
    assert sha256_file(directed.video) == sha256_file(result.video)

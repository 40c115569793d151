import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from reel.settings import PROJECT_ROOT, ReelSettings

SAMPLE = PROJECT_ROOT / "assets" / "scripts" / "meet-nova.md"

STATIC_SCRIPT = """---
id: mouth-check
title: Mouth check
avatar: astronaut
camera: static
approval: {status: approved, reviewer: Test}
---
Papa made a bold plan, and all of a sudden, everyone was happy.

Then the band played again.
"""


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> ReelSettings:
    return ReelSettings(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _isolated_cache(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("REEL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "env-cache"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def framed_portrait(settings: ReelSettings, avatar_id: str = "astronaut", size=(1080, 1920)):
    """The avatar's portrait framed to ``size``, through the cached portrait step."""
    from reel.avatars import load_avatar
    from reel.runner import run_step
    from reel.steps import PORTRAIT, portrait_input

    return run_step(PORTRAIT, portrait_input(load_avatar(settings.avatars_dir, avatar_id), size), settings.cache_dir)


def speak(voice: str, script, path: Path, lexicon: dict | None = None):
    """``script`` spoken by ``voice`` into ``path`` (no cache)."""
    from reel.speech import get_voice, load_voice_engine
    from reel.speech.compose import compose, spoken_paragraphs

    return compose(load_voice_engine(voice), get_voice(voice), spoken_paragraphs(script, lexicon or {}),
                   script.speaking_rate, path)


@pytest.fixture(scope="session")
def sample_render(tmp_path_factory, settings):
    """The README's sample reel, rendered once for the whole session."""
    from reel.pipeline import render

    out = tmp_path_factory.mktemp("sample")
    result = render(SAMPLE, out, settings)
    return result, json.loads(result.manifest.read_text())


@pytest.fixture(scope="session")
def static_render(tmp_path_factory, settings):
    """A short reel with a still camera, so mouth pixels can be compared with the portrait."""
    from reel.pipeline import render

    folder = tmp_path_factory.mktemp("static")
    script = write(folder / "mouth-check.md", STATIC_SCRIPT)
    result = render(script, folder / "out", settings)
    return result, json.loads(result.manifest.read_text())


@pytest.fixture
def avatars_copy(tmp_path) -> Path:
    """A writable copy of assets/ (to add broken avatars)."""
    target = tmp_path / "assets"
    shutil.copytree(PROJECT_ROOT / "assets", target)
    return target


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One Prefect server (SQLite in a temporary PREFECT_HOME) for every flow test: it takes ~10 s to start."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["REEL_REVIEW_POLL_S"] = "0.5"  # a paused test run notices its resume quickly
    with temporary_settings(updates={PREFECT_HOME: str(home), PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=60):
            yield home


CONSENT = {"speaker": "Eileen Collins", "granted_by": "Eileen Collins", "at": "2026-11-20",
           "scope": "Nova marketing reels"}
LONG_TEXT = ("Hello, this is my own voice for the reels. I am reading a few sentences so the model can learn how I "
             "sound. It takes about ten seconds of speaking, with short pauses between the sentences.")


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """Reference clips: ten seconds of speech, two seconds of speech, and ten seconds of a tone."""
    from reel.models import Script
    from reel.speech.compose import write_wav

    folder = tmp_path_factory.mktemp("clips")
    speak("joe", Script(id="ref", title="Ref", avatar="astronaut", voiceover=LONG_TEXT),
          folder / "speech.wav")
    speak("joe", Script(id="ref", title="Ref", avatar="astronaut", voiceover="Hello there."),
          folder / "short.wav")
    t = np.arange(16000 * 10) / 16000
    write_wav(folder / "tone.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    (folder / "noise.mp3").write_bytes(b"not audio at all")
    return folder


def clone_avatar(assets, clip, consent=CONSENT):
    """The copied sample avatar speaking in a voice cloned from ``clip``."""
    folder = assets / "avatars" / "astronaut"
    data = yaml.safe_load((folder / "avatar.yaml").read_text())
    (folder / clip.name).write_bytes(clip.read_bytes())
    data["voice"] = "clone"
    data["clone"] = {"reference": clip.name, **({"consent": consent} if consent else {})}
    (folder / "avatar.yaml").write_text(yaml.safe_dump(data))
    from reel.avatars import load_avatar

    return load_avatar(assets / "avatars", "astronaut")

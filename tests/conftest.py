import json
import os
import shutil
from pathlib import Path

import pytest

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

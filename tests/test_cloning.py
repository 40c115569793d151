"""A cloned voice is refused before any work without a consent record, with a clip too short or not
speech; a consented clip of real speech passes the checks."""

import re

import numpy as np
import pytest
import yaml

from reel.cli import main
from reel.errors import AvatarError
from reel.models import Script
from reel.speech.cloning import check_clone
from reel.speech.compose import write_wav
from tests.conftest import speak
from tests.test_pipeline import script_file

CONSENT = {"speaker": "Eileen Collins", "granted_by": "Eileen Collins", "at": "2026-11-20",
           "scope": "Nova marketing reels"}
LONG_TEXT = ("Hello, this is my own voice for the reels. I am reading a few sentences so the model can learn how I "
             "sound. It takes about ten seconds of speaking, with short pauses between the sentences.")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Reference clips: ten seconds of speech, two seconds of speech, and ten seconds of a tone."""
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
    folder = assets / "avatars" / "astronaut"
    data = yaml.safe_load((folder / "avatar.yaml").read_text())
    (folder / clip.name).write_bytes(clip.read_bytes())
    data["voice"] = "clone"
    data["clone"] = {"reference": clip.name, **({"consent": consent} if consent else {})}
    (folder / "avatar.yaml").write_text(yaml.safe_dump(data))
    from reel.avatars import load_avatar

    return load_avatar(assets / "avatars", "astronaut")


def test_a_consented_clip_of_speech_passes(avatars_copy, clips):
    cloned = check_clone(clone_avatar(avatars_copy, clips / "speech.wav"))
    assert cloned.speech_s >= 6 and cloned.consent.granted_by == "Eileen Collins" and len(cloned.sha256) == 64


@pytest.mark.parametrize(("clip", "consent", "message"), [
    ("speech.wav", None, re.escape("the cloned voice of avatar 'astronaut' has no consent record: add clone.consent "
                                   "with speaker, granted_by and at (who is speaking, who gave permission, when)")),
    ("short.wav", CONSENT, "the reference clip of avatar 'astronaut' has only 1.* s of speech .*: the cloned voice "
                           "needs at least 6 s of the speaker talking"),
    ("tone.wav", CONSENT, r"the reference clip of avatar 'astronaut' has no speech \(10.0 s long\)"),
    ("noise.mp3", CONSENT, "cannot be read as audio: use a WAV, MP3 or M4A recording of the speaker"),
])
def test_a_clone_without_consent_or_speech_is_refused(avatars_copy, clips, clip, consent, message):
    with pytest.raises(AvatarError, match=message):
        check_clone(clone_avatar(avatars_copy, clips / clip, consent))


def test_reel_render_refuses_the_clone_in_one_line_before_any_work(avatars_copy, clips, tmp_path, monkeypatch,
                                                                   capsys):
    clone_avatar(avatars_copy, clips / "tone.wav")
    monkeypatch.setenv("REEL_ASSETS_DIR", str(avatars_copy))
    script = script_file(tmp_path, "Hello from my own voice.", id="cloned", voice="clone")
    assert main(["render", str(script), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the reference clip of avatar 'astronaut' has no speech") and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_an_incomplete_consent_record_names_the_missing_field(avatars_copy, clips):
    with pytest.raises(AvatarError, match=r"avatar.yaml is invalid: 'clone.consent.granted_by': Field required$"):
        clone_avatar(avatars_copy, clips / "speech.wav", {"speaker": "Eileen Collins", "at": "2026-11-20"})

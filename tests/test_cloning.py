"""A cloned voice is refused before any work without a consent record, with a clip too short or not
speech; a consented clip of real speech passes the checks."""

import re

import pytest

from reel.cli import main
from reel.errors import AvatarError
from reel.speech.cloning import check_clone
from tests.conftest import CONSENT, clone_avatar
from tests.test_pipeline import script_file


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

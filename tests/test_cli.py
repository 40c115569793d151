"""Bad input through the command line: one clear line, non-zero exit, nothing left behind."""

import cv2
import numpy as np
import pytest

from reel.cli import main
from tests.conftest import STATIC_SCRIPT, write


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error:")]
    return code, errors[0] if errors else ""


def _assert_nothing_written(out_dir):
    assert not out_dir.exists() or not any(out_dir.iterdir()), list(out_dir.iterdir())


def test_missing_script(capsys, tmp_path):
    code, line = _run(capsys, "render", str(tmp_path / "nope.md"), "--out", str(tmp_path / "out"))
    assert code == 2 and "script file not found" in line
    _assert_nothing_written(tmp_path / "out")


def test_invalid_yaml(capsys, tmp_path):
    script = write(tmp_path / "bad.yaml", "id: x\ntitle: 'unclosed\n")
    code, line = _run(capsys, "render", str(script), "--out", str(tmp_path / "out"))
    assert code == 2 and "invalid YAML" in line


@pytest.mark.parametrize("replace, message", [
    (("avatar: astronaut", "avatar: ghost"), "unknown avatar 'ghost'; valid avatars: astronaut"),
    (("avatar: astronaut", "avatar: astronaut\nvoice: zed"), "unknown voice 'zed'; valid voices: clone, coqui, espeak, joe, kokoro-alpha"),
    (("avatar: astronaut", "avatar: astronaut\ncaption_style: neon"), "unknown caption 'neon'; valid: bold-pop, clean, minimal, phrases, subtitles"),
    (("camera: static", "camera: static\nplatform: vine"), "unknown platform 'vine'"),
    (("status: approved", "status: rejected"), "is rejected, not approved"),
    (("Then the band played again.", "Then the band played again. " * 140), "but Instagram Reels allows at most 180 s"),
    (("Papa made", "\n\n"), None),
])
def test_bad_script_choices_fail_before_any_work(capsys, tmp_path, replace, message):
    text = STATIC_SCRIPT.replace(*replace)
    if message is None:  # empty voiceover
        text = STATIC_SCRIPT.split("---\n", 2)
        text = "---\n" + text[1] + "---\n\n"
        message = "'voiceover' is missing"
    script = write(tmp_path / "s.md", text)
    code, line = _run(capsys, "render", str(script), "--out", str(tmp_path / "out"))
    assert code == 2 and message in line, line
    _assert_nothing_written(tmp_path / "out")


def test_output_folder_not_writable(capsys, tmp_path):
    script = write(tmp_path / "s.md", STATIC_SCRIPT)
    blocker = write(tmp_path / "file.txt", "a file where a folder should be")
    code, line = _run(capsys, "render", str(script), "--out", str(blocker / "out"))
    assert code == 2 and "cannot write to output folder" in line and "--out" in line


@pytest.mark.parametrize("portrait, message", [
    (b"definitely not a png", "is not a readable image"),
    (None, "no face found in portrait"),
])
def test_bad_portraits_leave_no_partial_output(capsys, tmp_path, monkeypatch, avatars_copy, portrait, message):
    path = avatars_copy / "avatars" / "astronaut" / "portrait.png"
    if portrait is None:
        cv2.imwrite(str(path), np.full((640, 480, 3), 200, np.uint8))
    else:
        path.write_bytes(portrait)
    monkeypatch.setenv("REEL_ASSETS_DIR", str(avatars_copy))
    script = write(tmp_path / "s.md", STATIC_SCRIPT)
    out = tmp_path / "out"
    code, line = _run(capsys, "render", str(script), "--out", str(out))
    assert code == 2 and message in line
    _assert_nothing_written(out)


def test_avatars_and_voices_list(capsys):
    assert main(["avatars"]) == 0
    assert "astronaut" in capsys.readouterr().out
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "joe" in out and "kokoro-nezumi" in out and "female" in out and "Apache-2.0" in out
    # Coqui: the extra is not part of the default install; its licence is said where a voice is chosen.
    coqui = out[out.index("\ncoqui "):].splitlines()[1:3]
    assert coqui[0].endswith("(not installed: ./setup.sh coqui (the coqui extra: coqui-tts with torch 2.9 and "
                             "torchaudio))")
    assert "XTTS v2 weights are under the Coqui Public Model License (non-commercial use only)" in coqui[1]


def test_bad_setting_is_one_clear_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("REEL_X264_PRESET", "ultrafast")
    code, line = _run(capsys, "render", str(write(tmp_path / "s.md", STATIC_SCRIPT)))
    assert code == 2 and line.startswith("error: setting REEL_X264_PRESET is invalid")


def test_encoder_failure_mid_render_leaves_no_partial_output(capsys, tmp_path, monkeypatch):
    from reel.media import ffmpeg

    real = ffmpeg.encode_argv
    # ffmpeg rejects an unknown option after the speech, captions and first frames are done.
    monkeypatch.setattr(ffmpeg, "encode_argv", lambda **kw: real(**kw)[:-1] + ["-no_such_option", "1", real(**kw)[-1]])
    script = write(tmp_path / "s.md", STATIC_SCRIPT)
    out = tmp_path / "out"
    code, line = _run(capsys, "render", str(script), "--out", str(out))
    assert code == 2 and line.startswith("error: ffmpeg failed") and "no_such_option" in line, line
    _assert_nothing_written(out)


def test_doctor_reports_every_engine_usable(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "BAD" not in out
    assert "libx264" in out and "ass" in out and "usable: joe, kokoro-nezumi" in out and "tiny.en" in out
    coqui = next(line for line in out.splitlines() if " voice coqui " in line)
    assert coqui.startswith("--   voice coqui") and "not installed: ./setup.sh coqui" in coqui
    assert "Coqui Public Model License" in coqui

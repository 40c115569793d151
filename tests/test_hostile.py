"""A corpus of broken and hostile input through `reel render`: each case is one `error:` line and exit
2 with nothing left behind, or a correct render."""

import struct
import zlib

import cv2
import numpy as np
import pytest

from reel.cli import main
from reel.settings import PROJECT_ROOT
from tests.conftest import STATIC_SCRIPT, write

FRONT = "---\nid: hostile\ntitle: Hostile\navatar: astronaut\ncamera: static\napproval: {status: approved, reviewer: Test}\n"
TEXT = "Papa made a bold plan, and everyone was happy.\n"


def _script(front: str = "", body: str = TEXT) -> str:
    return FRONT + front + "---\n" + body


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "id: bomb\ntitle: Bomb\navatar: astronaut\n" + "\n".join(lines) + "\nvoiceover: *a8\n"


SCRIPTS = {  # file name, its text (or bytes), the error line's telling part
    "alias-bomb": ("s.yaml", _alias_bomb(), "an alias (*a0) is not allowed: write the value out"),
    "deep-nesting": ("s.yaml", "id: deep\ntitle: Deep\navatar: astronaut\nvoiceover: " + "[" * 5000 + "]" * 5000,
                     "nested more than 12 levels deep"),
    "duplicate-status": ("s.md", _script("approval:\n  status: draft\n  status: approved\n").replace(
        "approval: {status: approved, reviewer: Test}\n", ""), "the key 'status' appears twice: keep one"),
    "duplicate-field": ("s.md", _script("avatar: astronaut\n"), "the key 'avatar' appears twice"),
    "approved-by-nobody": ("s.md", _script().replace(", reviewer: Test", ""),
                           "an approved script names who approved it: add 'reviewer' under 'approval'"),
    "huge-file": ("s.md", _script(body="word " * 30_000), "bytes; at most 100000 (REEL_MAX_SCRIPT_BYTES)"),
    "punch-flood": ("s.md", _script(body="[punch: go] " * 5_000),
                    "marks in one paragraph; at most 100 (REEL_MAX_MARKS)"),
    "unclosed-punch": ("s.md", _script(body="Save [punch: five hours a week.\n"),
                       "'[punch:' is not closed: end the mark with ]"),
    "camera-without-words": ("s.md", _script(body=TEXT + "\n[camera: pan-left]\n"),
                             "a paragraph with a camera move or a [visual: ...] mark has no words to speak"),
    "text-is-a-mapping": ("s.yaml", "id: m\ntitle: M\navatar: astronaut\nvoiceover:\n  - text: {a: 1}\n",
                          "a paragraph's text must be words, not dict"),
    "avatar-escapes": ("s.md", _script().replace("avatar: astronaut", "avatar: ../../assets/avatars/astronaut"),
                       "'avatar' is '../../assets/avatars/astronaut': name an avatar"),
    "platform-escapes": ("s.md", _script("platform: ../platforms/reels\n"), "'platform' is '../platforms/reels'"),
    "style-escapes": ("s.md", _script("caption_style: ../captions/clean\n"), "'caption_style' is '../captions/clean'"),
    "not-utf8": ("s.md", FRONT.encode() + b"---\n\xff\xfe caf\xe9\n", "(it must be UTF-8 text)"),
    "yaml-list": ("s.yaml", "- id: x\n- title: y\n", "must be a YAML mapping with id, title, avatar and voiceover"),
    "python-tag": ("s.yaml", "id: !!python/object/apply:os.system [echo hi]\n", "could not determine a constructor"),
    "binary": ("s.md", bytes(range(256)) * 4, "(it must be UTF-8 text)"),
    "empty-file": ("s.md", "", "has no front matter"),
    "no-words": ("s.md", _script(body="\U0001f680 \U0001f389 --- \u2705\n"), "the voiceover is empty"),
}


def _files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


def _refused(capsys, tmp_path, script, message):
    """`reel render` refuses in one `error:` line holding ``message``, exit 2, and writes nothing."""
    before = _files(tmp_path)
    code = main(["render", str(script), "--out", str(tmp_path / "out" / "reel")])
    err = capsys.readouterr().err.strip()  # the progress of the stages that ran, then one line
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1 and err.endswith(errors[0]) and message in errors[0], err
    assert "Traceback" not in err
    assert _files(tmp_path) == before, "left behind: " + str(set(_files(tmp_path)) - set(before))


@pytest.mark.parametrize("case", list(SCRIPTS))
def test_hostile_scripts_are_one_line_each(capsys, tmp_path, case):
    name, text, message = SCRIPTS[case]
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    _refused(capsys, tmp_path, path, message)


def test_the_words_limit_is_a_setting(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("REEL_MAX_WORDS", "12")
    script = write(tmp_path / "s.md", _script(body="one two three four five six seven eight nine ten eleven twelve "
                                                   "thirteen.\n"))
    _refused(capsys, tmp_path, script, "the voiceover has 13 words; at most 12 (REEL_MAX_WORDS)")


@pytest.mark.parametrize("name, value, message", [
    ("REEL_FPS", "0", "setting REEL_FPS is invalid: Input should be greater than or equal to 1"),
    ("REEL_WIDTH", "7", "setting REEL_WIDTH is invalid"),
    ("REEL_HEIGHT", "1e9", "setting REEL_HEIGHT is invalid"),
    ("REEL_MAX_MARKS", "-1", "setting REEL_MAX_MARKS is invalid"),
    ("REEL_MAX_YAML_DEPTH", "deep", "setting REEL_MAX_YAML_DEPTH is invalid"),
    ("REEL_ANIMATOR", "../../x", "setting REEL_ANIMATOR is invalid: unknown animator '../../x'"),
])
def test_hostile_settings_are_one_line_each(capsys, tmp_path, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    _refused(capsys, tmp_path, write(tmp_path / "s.md", STATIC_SCRIPT), message)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few hundred bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + zlib.compress(b"\x00" * 4096))


def _encoded(ext: str, image: np.ndarray) -> bytes:
    return cv2.imencode(ext, image)[1].tobytes()


PORTRAIT = cv2.imread(str(PROJECT_ROOT / "assets" / "avatars" / "astronaut" / "portrait.png"))
PORTRAITS = {  # the avatar's portrait file, and what the error line says
    "text": (b"definitely not a picture", "is not a readable image: use a PNG, JPEG or WebP photo"),
    "empty": (b"", "is not a readable image"),
    "bmp": (_encoded(".bmp", PORTRAIT), "use a PNG, JPEG or WebP photo"),
    "truncated-png": (_encoded(".png", PORTRAIT)[:5000], "is not a readable image (damaged or cut short)"),
    "truncated-jpeg": (_encoded(".jpg", PORTRAIT)[:5000], "is cut short (the JPEG has no end)"),
    "jpeg-loop": (b"\xff\xd8\xff\xe0\x00\x00" + b"\x00" * 64, "is not a readable image"),  # a segment of length 0
    "jpeg-fill": (b"\xff\xd8" + b"\xff" * 100, "is not a readable image"),
    "pixel-bomb": (_png_header(20_000, 20_000), "is 20000x20000 pixels; at most 50 megapixels (REEL_MAX_IMAGE_PIXELS)"),
    "no-face": (_encoded(".png", np.full((640, 480, 3), 200, np.uint8)), "no face found in portrait"),
    "tiny": (_encoded(".png", PORTRAIT[::100, ::100]), "no face found in portrait"),
}


@pytest.mark.parametrize("case", list(PORTRAITS))
def test_hostile_portraits_are_one_line_each(capsys, tmp_path, monkeypatch, avatars_copy, case):
    data, message = PORTRAITS[case]
    (avatars_copy / "avatars" / "astronaut" / "portrait.png").write_bytes(data)
    monkeypatch.setenv("REEL_ASSETS_DIR", str(avatars_copy))
    _refused(capsys, tmp_path, write(tmp_path / "s.md", STATIC_SCRIPT), message)


@pytest.mark.parametrize("case, message", [
    ("not-audio", "take.wav is not audio FFmpeg can read (Invalid data found when processing input): use a WAV"),
    ("too-long", "the recording lasts 200 s but Instagram Reels allows at most 180 s: trim the recording"),
])
def test_hostile_recordings_are_one_line_each(capsys, tmp_path, case, message):
    from reel.speech.compose import write_wav

    if case == "not-audio":
        (tmp_path / "take.wav").write_bytes(b"RIFF....WAVEnot really")
    else:
        write_wav(tmp_path / "take.wav", np.zeros(16000 * 200, np.float32), 16000)
    script = write(tmp_path / "s.md", _script("recording: take.wav\n"))
    _refused(capsys, tmp_path, script, message)


HOSTILE_TEXT = """id: odd-text
title: Odd text
avatar: astronaut
camera: static
approval: {status: approved, reviewer: Test}
voiceover:
  - text: "It is 20°C in room №5, \\x1b[31mred\\x1b[0m and {\\\\b1}bold{\\\\b0} te\\0xt \\U0001F680."
  - text:
  - text: "Done."
"""


def test_hostile_text_renders_the_script_words(tmp_path, settings, monkeypatch):
    """Control codes, a NUL byte, emoji, ASS tags, text symbols and an empty paragraph: a correct render
    whose captions show the script's words (the symbols kept), published with the usual file modes."""
    import json
    import os
    import stat

    from reel.pipeline import render

    script = write(tmp_path / "odd.yaml", HOSTILE_TEXT)
    old = os.umask(0o022)
    try:  # a small reel: what is tested is the words and the files
        small = settings.model_copy(update={"width": 540, "height": 960, "fps": 15})
        result = render(script, tmp_path / "out", small)
    finally:
        os.umask(old)
    manifest = json.loads(result.manifest.read_text())
    words = [w["text"] for w in manifest["captions"]["words"]]
    assert words == ["It", "is", "20°C", "in", "room", "№5,", "red", "and", "{\\b1}bold{\\b0}", "text.", "Done."]
    ass = (tmp_path / "out" / "captions.ass").read_text(encoding="utf-8")
    assert "20°C" in ass and "No5," in ass and "№" not in ass  # Lato has no №: its compatibility form
    assert "\\{" in ass and "{\\b1}" not in ass and "\x1b" not in ass and "\x00" not in ass
    modes = {name: stat.S_IMODE((tmp_path / "out" / name).stat().st_mode)
             for name in ("reel.mp4", "manifest.json", "captions.ass")}
    assert modes == {"reel.mp4": 0o644, "manifest.json": 0o644, "captions.ass": 0o644}
    assert manifest["reel"]["video_duration_s"] > 3


def test_a_transparent_portrait_is_on_a_white_backdrop(tmp_path):
    from reel.media.image import read_image
    from reel.settings import DEFAULT_LIMITS

    rgba = np.zeros((40, 30, 4), np.uint8)
    rgba[..., :3] = (0, 255, 0)  # green under a fully transparent alpha: never shown
    rgba[10:20, 10:20] = (0, 0, 255, 255)  # an opaque red square (BGR)
    rgba[25:30, 10:20] = (0, 0, 255, 128)  # half transparent
    (tmp_path / "p.png").write_bytes(_encoded(".png", rgba))
    image = read_image(tmp_path / "p.png", DEFAULT_LIMITS)
    assert image.shape == (40, 30, 3)
    assert image[0, 0].tolist() == [255, 255, 255] and image[15, 15].tolist() == [255, 0, 0]
    assert image[27, 15].tolist() == [255, 127, 127]


def test_a_grey_16_bit_portrait_reads_as_rgb(tmp_path):
    from reel.media.image import read_image
    from reel.settings import DEFAULT_LIMITS

    grey = np.full((20, 10), 40_000, np.uint16)
    (tmp_path / "g.png").write_bytes(_encoded(".png", grey))
    assert read_image(tmp_path / "g.png", DEFAULT_LIMITS)[5, 5].tolist() == [156, 156, 156]


def test_a_portrait_with_two_faces_is_framed_on_one(tmp_path):
    from reel.avatars import prepare_portrait

    single = prepare_portrait("a", PROJECT_ROOT / "assets/avatars/astronaut/portrait.png", (540, 960), tmp_path / "1.png")
    (tmp_path / "two.png").write_bytes(_encoded(".png", np.hstack([PORTRAIT, PORTRAIT])))
    double = prepare_portrait("a", tmp_path / "two.png", (540, 960), tmp_path / "2.png")
    widths = [p.face_box[2] - p.face_box[0] for p in (single, double)]
    assert abs(widths[1] - widths[0]) < 0.1 * widths[0]  # one face, framed as the single one is


def test_a_csv_row_id_never_names_a_file_outside_the_batch_folder(tmp_path, monkeypatch):
    from flows.batch import scripts_from_csv
    from reel.errors import ScriptError
    from reel.script import load_script

    monkeypatch.setenv("REEL_CACHE_DIR", str(tmp_path / "cache"))
    table = write(tmp_path / "week.csv", "id,title,avatar,text\n../../escaped,Evil,astronaut,Hello there.\n")
    files = scripts_from_csv(table)
    assert [f.name for f in files] == ["row-2.md"] and files[0].parent == tmp_path / "cache" / "batch" / "week"
    assert not list(tmp_path.rglob("escaped*"))
    with pytest.raises(ScriptError, match=r"'id' is '\.\./\.\./escaped': use lower-case letters"):
        load_script(files[0])


@pytest.mark.parametrize("data, message", [
    (b"junk", "cannot decode {path}: Invalid data found when processing input (is it a video?)"),
    (_encoded(".png", PORTRAIT), "{path} has no audio track: pass the speech with --speech WAV"),
])
def test_reel_evaluate_of_what_is_not_a_reel_is_one_line(capsys, tmp_path, data, message):
    path = tmp_path / "reel.mp4"
    path.write_bytes(data)
    before = _files(tmp_path)
    code = main(["evaluate", str(path)])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert code == 2 and errors == ["error: " + message.format(path=path)]
    assert _files(tmp_path) == before

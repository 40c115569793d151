import re
from datetime import datetime, timezone

import pytest

from reel.errors import ScriptError
from reel.models import caption_tokens
from reel.script import load_script, require_approved, require_length
from tests.conftest import SAMPLE, write

HEADER = "---\nid: t1\ntitle: T\navatar: astronaut\n---\n"


def test_markdown_sample_loads_with_paragraph_cameras_and_approval():
    script = load_script(SAMPLE)
    assert script.id == "meet-nova"
    assert [script.camera_for(i) for i in range(len(script.paragraphs))] == ["push-in", "pan-left", "push-in"]
    assert script.approval.status == "approved"
    assert script.approval.reviewer == "Dana Whitfield"
    assert script.approval.at == datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
    assert not any("[camera" in p.text for p in script.paragraphs)
    assert 25 < script.estimated_seconds < 45


def test_yaml_script_with_paragraph_list(tmp_path):
    path = write(tmp_path / "s.yaml", "id: s\ntitle: S\navatar: astronaut\ncamera: static\nvoiceover:\n"
                 "  - Hello there.\n  - {text: Second part, camera: pan-right}\n")
    script = load_script(path)
    assert [p.text for p in script.paragraphs] == ["Hello there.", "Second part"]
    assert [script.camera_for(i) for i in range(2)] == ["static", "pan-right"]
    assert script.approval.status == "draft"


def test_markdown_formatting_is_dropped_but_words_kept(tmp_path):
    path = write(tmp_path / "s.md", HEADER + "# Big **news**: try [Nova](https://x.example) _today_.\n")
    assert load_script(path).words == ["Big", "news:", "try", "Nova", "today."]


def test_caption_tokens_attach_dashes_to_the_previous_word():
    assert caption_tokens("Try it — now, at nova.example!") == ["Try", "it —", "now,", "at", "nova.example!"]


@pytest.mark.parametrize("name, content, message", [
    ("missing.md", None, "script file not found"),
    ("bad.yaml", "id: x\ntitle: [unclosed\n", "invalid YAML in"),
    ("empty.md", HEADER + "\n   \n", "'voiceover' is missing"),
    ("blank.yaml", "id: x\ntitle: X\navatar: astronaut\nvoiceover: '  '\n", "the voiceover is empty"),
    ("nofront.md", "Just words, no metadata.\n", "has no front matter"),
    ("extra.yaml", "id: x\ntitle: X\navatar: a\nvoiceover: hi\ncolour: red\n", "unknown field 'colour'"),
    ("cam.md", HEADER + "[camera: zoom-blast]\nHello.\n", "unknown camera move 'zoom-blast'"),
    ("list.yaml", "- a\n- b\n", "must be a YAML mapping"),
    ("script.txt", "hello", "unknown extension"),
    ("badid.yaml", "id: Bad Id!\ntitle: X\navatar: a\nvoiceover: hi\n", "'id'"),
])
def test_bad_scripts_give_one_clear_line(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        write(path, content)
    with pytest.raises(ScriptError) as error:
        load_script(path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_binary_file_is_reported_as_unreadable(tmp_path):
    path = tmp_path / "s.md"
    path.write_bytes(b"\xff\xfe\x00\x81binary")
    with pytest.raises(ScriptError, match="cannot read script .* UTF-8"):
        load_script(path)


def test_unapproved_script_is_refused_unless_allowed(tmp_path):
    script = load_script(write(tmp_path / "s.md", HEADER + "Hello.\n"))
    with pytest.raises(ScriptError, match="is draft, not approved.*--allow-unapproved"):
        require_approved(script, allow_unapproved=False)
    require_approved(script, allow_unapproved=True)


def test_too_long_voiceover_is_refused(tmp_path):
    script = load_script(write(tmp_path / "s.md", HEADER + "word " * 600 + "\n"))
    with pytest.raises(ScriptError, match=r"runs about 231 s \(600 words\) but Reels allows at most 180 s"):
        require_length(script, "Reels", 180)


def test_punch_marks_are_spoken_as_words_and_point_at_them(tmp_path):
    path = write(tmp_path / "p.md", HEADER + "Save [punch: five hours] a week.\n\n"
                 "[camera: static]\nThen, [punch: **try it**] free!\n")
    script = load_script(path)
    assert [p.text for p in script.paragraphs] == ["Save five hours a week.", "Then, try it free!"]
    assert script.words[1:3] == ["five", "hours"] and script.words[6:8] == ["try", "it"]
    assert script.punch_words == [(1, 2), (6, 7)]


def test_visual_directions_steer_the_picture_and_are_never_spoken(tmp_path):
    path = write(tmp_path / "v.md", HEADER + "[camera: static]\n[visual: smiles and nods] Save [punch: five hours].\n\n"
                 "No direction here.\n")
    script = load_script(path)
    assert [p.visual for p in script.paragraphs] == ["smiles and nods", None]
    assert script.words == ["Save", "five", "hours.", "No", "direction", "here."]
    assert script.punch_words == [(1, 2)] and script.paragraphs[0].camera == "static"


@pytest.mark.parametrize("body, message", [
    ("Hello [zoom: in] there.", "unknown directive '[zoom: ...]'"),
    ("Hello [punch: !!] there.", "[punch: ...] needs the words"),
    ("[visual: nods] Hello [visual: smiles] there.", "[visual: ...] needs a direction, once per paragraph"),
])
def test_bad_inline_marks_are_named(tmp_path, body, message):
    with pytest.raises(ScriptError, match=re.escape(message)):
        load_script(write(tmp_path / "bad.md", HEADER + body + "\n"))

"""Property-based tests: script parsing, text normalization, caption chunking and ASS escaping never
fail with anything but reel's own one-line errors, and captions show the script's words in order."""

import itertools
import re

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reel.captions.ass import caption_events, escape_ass, group_captions
from reel.errors import ReelError
from reel.models import CaptionWord
from reel.normalize import spoken_words
from reel.script import load_script, script_from_markdown
from reel.settings import PROJECT_ROOT
from reel.templates import load_caption_style
from reel.yamlsafe import load_yaml

FIELDS = {"id": "prop", "title": "Property", "avatar": "astronaut", "approval": {"status": "draft"}}
MARKUP = st.sampled_from(["[punch: ", "[visual: ", "[camera: pan-left]", "]", "{", "}", "\\", "\\N", "*", "_", "`",
                          "<!--", "-->", "[a](b)", "\n\n", "\x00", "\x1b[31m", "\u200d", "\U0001F680", "°", "№",
                          "$5", "20%", "10:30", "1,200", "e.g.", "—", " ", ".", "?"])
TEXT = st.lists(st.one_of(st.text(max_size=12), MARKUP), max_size=30).map("".join)
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
STYLES = ["bold-pop", "clean", "minimal", "phrases", "subtitles"]


@FAST
@given(TEXT)
def test_a_markdown_voiceover_is_a_script_or_one_script_error(text):
    try:
        script = script_from_markdown(text, FIELDS)
    except ReelError as error:
        assert "\n" not in str(error)
        return
    assert script.words and all(w.strip() == w and w for w in script.words)
    assert all(ch not in "".join(script.words) for ch in "\x00\x1b")


FRONT = "---\nid: prop\ntitle: Property\navatar: astronaut\n"
YAML_CHARS = "{}[]&*!|>-:, \n'\"ab#%@`?\t"
SCRIPT_FILE = st.one_of(st.text(max_size=300), TEXT.map(lambda body: FRONT + "---\n" + body),
                        st.text(alphabet=YAML_CHARS, max_size=80).map(lambda extra: FRONT + extra + "\n---\nHello."))


@FAST
@given(SCRIPT_FILE)
@example('---\nid: a\ntitle: ";"\navatar: "0\\n0"\n---\n')  # a line break inside a quoted value
def test_any_script_file_is_a_script_or_one_script_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("p") / "s.md"
    path.write_text(text, encoding="utf-8")
    try:
        load_script(path)
    except ReelError as error:
        assert "\n" not in str(error)


@FAST
@given(st.text(alphabet="{}[]&*!|>-:, \n'\"ab#%@`?", max_size=200))
def test_yaml_text_loads_or_is_a_yaml_error(text):
    try:
        load_yaml(text)
    except yaml.YAMLError:
        pass


@FAST
@given(st.lists(st.one_of(st.text(min_size=1, max_size=10).filter(lambda w: not w.isspace()), MARKUP), max_size=20))
def test_normalization_gives_one_spoken_form_per_written_word(words):
    words = [w for w in words if w.strip()]
    spoken = spoken_words(words, {"Nova": "noh vah"})
    assert len(spoken) == len(words) and all(isinstance(s, str) for s in spoken)


def _words(texts: list[str], gaps: list[float]) -> list[CaptionWord]:
    words, t = [], 0.0
    for text, gap in zip(texts, gaps, strict=False):
        start = t + gap
        words.append(CaptionWord(text=text, start=start, end=start + 0.3, speech_start=start, whisper_start=None))
        t = start + 0.3
    return words


# Caption words: ASCII and Latin-1 (braces and backslashes too), which Lato draws, and two it lacks.
WORD = st.text(alphabet=st.one_of(st.characters(min_codepoint=0x21, max_codepoint=0x7E),
                                  st.characters(min_codepoint=0xA1, max_codepoint=0xFF), st.sampled_from("№℃—’")),
               min_size=1, max_size=14)


@FAST
@given(st.lists(WORD, min_size=1, max_size=25), st.lists(st.floats(0, 1), min_size=25, max_size=25),
       st.integers(1, 6))
def test_caption_groups_keep_every_word_in_order(texts, gaps, max_words):
    words = _words(texts, gaps)
    groups = group_captions(words, max_words, 0.35)
    assert [w for g in groups for w in g] == words
    assert all(1 <= len(g) <= max_words for g in groups)


def _shown(event_text: str) -> str:
    """What the viewer reads in an ASS event: override blocks and line breaks out, escapes undone."""
    text = re.sub(r"(?<!\\)\{[^}]*\}", "", event_text).replace("\\N", " ")
    return text.replace("\\{", "{").replace("\\}", "}").replace("\\\u200b", "\\")


def _highlighted(event_text: str) -> str:
    """The karaoke word: the text between the highlight colour and the reset."""
    return _shown(re.search(r"\{\\1c&H[0-9A-F]+\}(.*?)\{\\r\}", event_text).group(1))


def _visible(text: str, uppercase: bool) -> str:
    """A word as the font can draw it: compatibility forms stand in for missing characters (№ -> No)."""
    text = text.replace("№", "No").replace("℃", "°C")
    return text.upper() if uppercase else text


@pytest.mark.parametrize("style_name", STYLES)
@FAST
@given(texts=st.lists(WORD, min_size=1, max_size=25), gaps=st.lists(st.floats(0, 1), min_size=25, max_size=25))
def test_captions_show_the_script_words_in_order(style_name, texts, gaps):
    style = load_caption_style(PROJECT_ROOT / "templates", style_name)
    events = caption_events(_words(texts, gaps), style, max_width=900)
    expected = [_visible(w, style.uppercase) for w in texts]
    if style.mode == "karaoke":  # one event per word, that word highlighted in its caption
        assert [_highlighted(text) for _, _, text in events] == expected
        assert all(_highlighted(text) in _shown(text).split(" ") for _, _, text in events)
    else:
        assert " ".join(_shown(text) for _, _, text in events) == " ".join(expected)
    assert all(start < end for start, end, _ in events)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(events))


@FAST
@given(st.text(max_size=60))
def test_ass_escaping_leaves_no_override_or_tag(text):
    escaped = escape_ass(text)
    assert re.search(r"(?<!\\)[{}]", escaped) is None  # every brace is escaped
    assert re.search(r"\\(?![{}\u200b])", escaped) is None  # every backslash is neutralized
    assert _shown(escaped) == text

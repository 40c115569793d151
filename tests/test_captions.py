import re
import subprocess

import cv2
import numpy as np
import pytest

from reel.captions.align import align_to_script
from reel.captions.ass import (
    ass_color,
    ass_time,
    caption_box,
    caption_events,
    escape_ass,
    group_captions,
    line_width_limit,
    render_ass,
)
from reel.captions.whisper import HeardWord
from reel.errors import ReelError
from reel.media.ffmpeg import escape_filter_value, ffmpeg_exe
from reel.models import CaptionWord, Word
from reel.settings import PROJECT_ROOT
from reel.templates import list_names, load_caption_style, load_platform

TEMPLATES = PROJECT_ROOT / "templates"


def _words(texts: list[str], step: float = 0.4) -> list[CaptionWord]:
    return [CaptionWord(text=t, start=i * step, end=i * step + 0.3, speech_start=i * step, whisper_start=None)
            for i, t in enumerate(texts)]


def test_groups_hold_at_most_max_words_and_break_after_punctuation():
    groups = group_captions(_words(["Meet", "Nova,", "the", "best", "planner", "ever."]), 3, 0.35)
    assert [[w.text for w in g] for g in groups] == [["Meet", "Nova,"], ["the", "best", "planner"], ["ever."]]


def test_a_long_pause_starts_a_new_caption():
    words = _words(["one", "two"])
    words[1].start, words[1].end = 2.0, 2.3
    assert len(group_captions(words, 3, 0.35)) == 2


def test_each_event_highlights_exactly_its_own_word():
    style = load_caption_style(TEMPLATES, "bold-pop")
    events = caption_events(_words(["Hi", "there", "friend."]), style)
    highlight = ass_color(style.colors.highlight)
    assert [e[2].count(highlight) for e in events] == [1, 1, 1]
    assert [e[2].split(highlight + "}")[1].split("{")[0] for e in events] == ["Hi", "there", "friend."]
    assert [round(e[0], 2) for e in events] == [0.0, 0.4, 0.8]


def test_user_text_cannot_inject_ass_overrides():
    assert escape_ass("{\\b1}50% off") == "\\{\\\u200bb1\\}50% off"
    assert "{" not in escape_ass("a{b}c").replace("\\{", "")


def test_filter_values_are_escaped_for_ffmpeg():
    assert escape_filter_value("/tmp/a:b,c'd") == "/tmp/a\\\\:b\\,c\\\\\\'d"


def test_colour_and_time_formats():
    assert ass_color("#FFD60A") == "&H000AD6FF"
    assert ass_color("#00000080") == "&H7F000000"
    assert ass_time(3723.456) == "1:02:03.46"


def test_misheard_words_still_match_the_script_letters():
    script = [Word(text=t, start=i * 0.5, end=i * 0.5 + 0.4) for i, t in enumerate(["Meet", "Nova,", "friends."])]
    heard = [HeardWord("Meet", 0.1, 0.4, 0.9), HeardWord("Novo,", 0.62, 0.9, 0.5), HeardWord("friends", 1.05, 1.4, 0.9)]
    words = align_to_script(script, heard, use_speech_timing=False)
    assert [w.text for w in words] == ["Meet", "Nova,", "friends."]
    assert [w.start for w in words] == [0.1, 0.62, 1.05]
    assert all(w.whisper_start is not None for w in words)


def test_words_whisper_missed_follow_the_last_heard_offset():
    script = [Word(text=t, start=i * 0.5, end=i * 0.5 + 0.4) for i, t in enumerate(["alpha", "zzz", "gamma"])]
    heard = [HeardWord("alpha", 0.2, 0.5, 0.9), HeardWord("gamma", 1.2, 1.5, 0.9)]
    words = align_to_script(script, heard, use_speech_timing=False)
    assert words[1].whisper_start is None and abs(words[1].start - 0.7) < 1e-9


def _render_ass_frame(tmp_path, ass_text: str, fonts_dir) -> np.ndarray:
    (tmp_path / "c.ass").write_text(ass_text)
    out = tmp_path / "frame.png"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=black:s=1080x1920:d=1", "-vf",
                    f"ass=filename={escape_filter_value(str(tmp_path / 'c.ass'))}:fontsdir={escape_filter_value(str(fonts_dir))}",
                    "-frames:v", "1", str(out)], check=True)
    return cv2.imread(str(out))


def test_every_template_renders_inside_each_platform_safe_zone_and_width(tmp_path):
    # Long words and a long sentence: lines must wrap by the font's real widths, never past the zone.
    text = ("Extraordinary unbelievable transformations! Internationalization, accessibility and "
            "responsibility matter to everyone.").split()
    for style_name in list_names(TEMPLATES, "captions"):
        style = load_caption_style(TEMPLATES, style_name)
        for platform_name in list_names(TEMPLATES, "platforms"):
            platform = load_platform(TEMPLATES, platform_name)
            limit = line_width_limit(platform, (1080, 1920))
            events = caption_events(_words(text, step=0.05), style, limit)
            shown = [e for e in events if "\\N" in e[2]] if style.lines > 1 else events
            widest = max(shown, key=lambda e: len(e[2]))  # the fullest caption of this style
            frame = _render_ass_frame(tmp_path, render_ass([(0.0, 1.0, widest[2])], style, platform, (1080, 1920)),
                                      style.font.directory())
            where = f"{style_name}/{platform_name}"
            ys, xs = np.nonzero(frame.max(axis=2) > 40)
            assert len(ys) > 2000, f"{where}: no caption drawn"
            zone = platform.safe_zone
            assert ys.min() >= zone.top * 1920 and ys.max() <= (1 - zone.bottom) * 1920, where
            assert xs.min() >= zone.left * 1080 - 2 and xs.max() <= (1 - zone.right) * 1080 + 2, where
            x0, y0, x1, y1 = caption_box(style, platform, (1080, 1920))  # what `reel evaluate` leaves out
            assert ys.min() >= y0 and ys.max() < y1 and xs.min() >= x0 - 2 and xs.max() < x1 + 2, where
            for _start, _end, ass_text in events:
                lines = ass_text.split("\\N")
                assert len(lines) <= style.lines, where
                plain = [re.sub(r"{[^}]*}", "", line) for line in lines]
                assert all(len(line) <= style.max_chars_per_line for line in plain), (where, plain)


def test_subtitles_fill_two_lines_of_at_most_42_characters():
    style = load_caption_style(TEMPLATES, "subtitles")
    words = _words("Nova reads your calendar, spots the meetings that could have been an email and".split(), 0.3)
    events = caption_events(words, style, 900)
    first = events[0][2].split("\\N")
    assert first == ["Nova reads your calendar,"]  # a comma ends a subtitle
    second = events[1][2].split("\\N")
    assert len(second) == 2 and all(len(line) <= 42 for line in second)
    assert " ".join(second).split() == "spots the meetings that could have been an email and".split()[:len(" ".join(second).split())]


def test_brand_kit_overrides_the_caption_style():
    style = load_caption_style(TEMPLATES, "bold-pop", {"colors": {"highlight": "#FF7A00"}, "size": 80})
    assert style.colors.highlight == "#FF7A00" and style.size == 80 and style.colors.text == "#FFFFFF"
    with pytest.raises(ReelError, match="colors.highlight"):
        load_caption_style(TEMPLATES, "bold-pop", {"colors": {"highlight": "orange"}})


def test_two_line_subtitles_are_balanced_not_greedy():
    style = load_caption_style(TEMPLATES, "subtitles")
    words = _words("Everything in the store is 20% off for one week only.".split(), 0.3)
    (_, _, text), = caption_events(words, style, 900)
    assert text.split("\\N") == ["Everything in the store is", "20% off for one week only."]

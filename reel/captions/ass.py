"""Captions -> ASS subtitles (pure functions): 1-3 words at a time, the spoken word highlighted."""

from __future__ import annotations

import numpy as np

from reel.models import CaptionWord
from reel.templates import CaptionStyle, PlatformPreset

_BREAK_AFTER = (".", ",", "!", "?", ";", ":", "—", "–")
_HOLD_S = 0.4  # a caption stays up this long after its last word, unless the next one starts
_LINE_HEIGHT = 1.4  # libass line advance per Fontsize unit, with room for tall ascenders (measured with Lato)


def group_captions(words: list[CaptionWord], max_words: int, max_gap_s: float) -> list[list[CaptionWord]]:
    """Consecutive words, at most ``max_words`` each; a new caption after punctuation or a pause."""
    groups: list[list[CaptionWord]] = []
    for word in words:
        current = groups[-1] if groups else None
        if (current is None or len(current) >= max_words or current[-1].text.endswith(_BREAK_AFTER)
                or word.start - current[-1].end > max_gap_s):
            groups.append([word])
        else:
            current.append(word)
    return groups


def caption_events(words: list[CaptionWord], style: CaptionStyle) -> list[tuple[float, float, str]]:
    """(start, end, ASS text) events: one per word, showing its caption with that word highlighted."""
    groups = group_captions(words, style.max_words, style.max_gap_s)
    highlight = ass_color(style.colors.highlight)
    events: list[tuple[float, float, str]] = []
    for g, group in enumerate(groups):
        next_start = groups[g + 1][0].start if g + 1 < len(groups) else float("inf")
        group_end = min(group[-1].end + _HOLD_S, next_start)
        for i, word in enumerate(group):
            end = group[i + 1].start if i + 1 < len(group) else group_end
            parts = [
                f"{{\\1c{highlight}}}{escape_ass(_case(w.text, style))}{{\\r}}" if j == i
                else escape_ass(_case(w.text, style))
                for j, w in enumerate(group)
            ]
            events.append((word.start, end, " ".join(parts)))
    return events


def render_ass(events: list[tuple[float, float, str]], style: CaptionStyle, platform: PlatformPreset,
               size: tuple[int, int]) -> str:
    width, height = size
    zone = platform.safe_zone
    margin_l, margin_r = round(zone.left * width), round(zone.right * width)
    margin_v = round(zone.bottom * height)
    c = style.colors
    lines = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 0", "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font.family},{style.size},{ass_color(c.text)},{ass_color(c.highlight)},"
        f"{ass_color(c.outline)},{ass_color(c.shadow)},0,0,0,0,100,100,0,0,1,{style.outline},{style.shadow},"
        f"2,{margin_l},{margin_r},{margin_v},1",
        "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    lines += [f"Dialogue: 0,{ass_time(s)},{ass_time(e)},Caption,,0,0,0,,{text}" for s, e, text in events]
    return "\n".join(lines) + "\n"


def caption_box(style: CaptionStyle, platform: PlatformPreset, size: tuple[int, int], lines: int = 2) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 that holds any caption of up to ``lines`` lines, outline and shadow included."""
    width, height = size
    zone = platform.safe_zone
    border = int(np.ceil(style.outline + style.shadow)) + 2
    bottom = height - round(zone.bottom * height) + border
    top = bottom - lines * round(_LINE_HEIGHT * style.size) - 2 * border
    return (round(zone.left * width), max(0, top), width - round(zone.right * width), min(height, bottom))


def escape_ass(text: str) -> str:
    """Script text shown literally: braces would open override blocks, backslashes start tags."""
    return text.replace("\\", "\\\u200b").replace("{", "\\{").replace("}", "\\}")


def ass_color(hex_color: str) -> str:
    """'#RRGGBB' or '#RRGGBBAA' (AA = opacity) -> ASS '&HAABBGGRR' (AA = transparency)."""
    digits = hex_color.removeprefix("#")
    r, g, b = digits[0:2], digits[2:4], digits[4:6]
    opacity = int(digits[6:8], 16) if len(digits) == 8 else 255
    return f"&H{255 - opacity:02X}{b}{g}{r}".upper()


def ass_time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    return f"{centis // 360000}:{centis // 6000 % 60:02d}:{centis // 100 % 60:02d}.{centis % 100:02d}"


def _case(text: str, style: CaptionStyle) -> str:
    return text.upper() if style.uppercase else text

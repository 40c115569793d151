"""Captions -> ASS subtitles (pure functions) in three modes: karaoke (the spoken word highlighted),
phrases, and subtitles of up to two lines. Every line is measured with the style's font, so no
caption is wider than the platform's safe zone."""

from __future__ import annotations

import functools
import unicodedata

import numpy as np

from reel.models import CaptionWord
from reel.templates import CaptionStyle, PlatformPreset

_BREAK_AFTER = (".", ",", "!", "?", ";", ":", "—", "–")
_HOLD_S = 0.4  # a caption stays up this long after its last word, unless the next one starts
_LINE_HEIGHT = 1.4  # libass line advance per Fontsize unit, with room for tall ascenders (measured with Lato)


def group_captions(words: list[CaptionWord], max_words: int, max_gap_s: float,
                   fits=lambda texts: True) -> list[list[CaptionWord]]:
    """Consecutive words, at most ``max_words`` each and as many as ``fits``; a new caption after
    punctuation or a pause."""
    groups: list[list[CaptionWord]] = []
    for word in words:
        current = groups[-1] if groups else None
        if (current is None or len(current) >= max_words or current[-1].text.endswith(_BREAK_AFTER)
                or word.start - current[-1].end > max_gap_s or not fits([w.text for w in current + [word]])):
            groups.append([word])
        else:
            current.append(word)
    return groups


def caption_events(words: list[CaptionWord], style: CaptionStyle, max_width: float = float("inf"),
                   ) -> list[tuple[float, float, str]]:
    """(start, end, ASS text) events. Karaoke: one per word, its caption with that word highlighted;
    phrases and subtitles: one per caption. ``max_width``: pixels a line may take."""
    width = functools.partial(text_width, style=style)

    def fits(texts: list[str]) -> bool:
        return bool(_lines(texts, style, width, max_width))

    groups = group_captions(words, style.max_words, style.max_gap_s, fits)
    highlight = ass_color(style.colors.highlight)
    events: list[tuple[float, float, str]] = []
    for g, group in enumerate(groups):
        next_start = groups[g + 1][0].start if g + 1 < len(groups) else float("inf")
        group_end = min(group[-1].end + _HOLD_S, next_start)
        texts = [escape_ass(_shown(w.text, style)) for w in group]
        # Only a single word can be wider than a line: shrink it to fit rather than cross the safe zone.
        overflow = width(_shown(group[0].text, style)) / max_width
        if len(group) == 1 and overflow > 1:
            percent = int(100 / overflow)
            texts[0] = f"{{\\fscx{percent}\\fscy{percent}}}{texts[0]}"
        if style.mode != "karaoke":
            lines = _lines([w.text for w in group], style, width, max_width) or [len(group)]
            breaks = set(np.cumsum(lines)[:-1].tolist())
            text = "".join(("\\N" if i in breaks else " " if i else "") + t for i, t in enumerate(texts))
            events.append((group[0].start, group_end, text))
            continue
        for i, word in enumerate(group):
            end = group[i + 1].start if i + 1 < len(group) else group_end
            parts = [f"{{\\1c{highlight}}}{t}{{\\r}}" if j == i else t for j, t in enumerate(texts)]
            events.append((word.start, end, " ".join(parts)))
    return events


def _lines(texts: list[str], style: CaptionStyle, width, max_width: float) -> list[int]:
    """Words per line when ``texts`` are set in at most ``style.lines`` lines (greedy, each within the
    character limit and ``max_width``); [] when they do not fit."""
    lines: list[list[str]] = [[]]
    for text in texts:
        candidate = " ".join(lines[-1] + [_shown(text, style)])
        if lines[-1] and (len(candidate) > style.max_chars_per_line or width(candidate) > max_width):
            lines.append([])
            candidate = _shown(text, style)
        if len(candidate) > style.max_chars_per_line and style.mode == "subtitle" or width(candidate) > max_width:
            return [] if len(texts) > 1 else [1]  # a single word too wide still has to be shown
        lines[-1].append(_shown(text, style))
    if len(lines) > style.lines:
        return []
    if len(lines) == 2:  # balance the two lines: the break that makes the longer one shortest
        words = lines[0] + lines[1]

        def longer(k: int) -> float:
            parts = (" ".join(words[:k]), " ".join(words[k:]))
            if max(len(p) for p in parts) > style.max_chars_per_line or max(width(p) for p in parts) > max_width:
                return float("inf")
            return max(width(p) for p in parts)

        best = min(range(1, len(words)), key=longer)
        return [best, len(words) - best]
    return [len(line) for line in lines]


def text_width(text: str, style: CaptionStyle) -> float:
    """Width in pixels libass gives ``text`` in this style, outline included (kerning left out,
    so it errs a little wide)."""
    advances, cmap, scale = _style_metrics(style)
    units = sum(advances.get(cmap.get(ord(ch), ".notdef"), advances.get(".notdef", 0)) for ch in text)
    return units * scale * style.size + 2 * (style.outline if not style.box else style.outline + 4)


_METRICS: dict[tuple[str, str], tuple[dict[str, int], dict[int, str], float]] = {}


def _style_metrics(style: CaptionStyle) -> tuple[dict[str, int], dict[int, str], float]:
    """The style's font metrics, kept by the font's name: finding the package's folder for every
    measured word would cost more than the measuring."""
    key = (style.font.package, style.font.file)
    if key not in _METRICS:
        _METRICS[key] = _font_metrics(str(style.font.directory() / style.font.file))
    return _METRICS[key]


def _font_metrics(path: str) -> tuple[dict[str, int], dict[int, str], float]:
    """Glyph advances, the character map, and the size scale libass uses (Fontsize = ascent + descent)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    ascent, descent = font["OS/2"].usWinAscent, font["OS/2"].usWinDescent
    advances = {name: advance for name, (advance, _lsb) in font["hmtx"].metrics.items()}
    return advances, dict(font.getBestCmap()), 1.0 / (ascent + descent)


def line_width_limit(platform: PlatformPreset, size: tuple[int, int]) -> float:
    zone = platform.safe_zone
    return size[0] * (1 - zone.left - zone.right)


def render_ass(events: list[tuple[float, float, str]], style: CaptionStyle, platform: PlatformPreset,
               size: tuple[int, int]) -> str:
    width, height = size
    zone = platform.safe_zone
    margin_l, margin_r = round(zone.left * width), round(zone.right * width)
    margin_v = round(zone.bottom * height) if style.position == "bottom" else 0
    alignment = 2 if style.position == "bottom" else 5
    border_style, outline_colour = (3, style.colors.box) if style.box else (1, style.colors.outline)
    c = style.colors
    lines = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 0", "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font.family},{style.size},{ass_color(c.text)},{ass_color(c.highlight)},"
        f"{ass_color(outline_colour)},{ass_color(c.shadow)},0,0,0,0,100,100,0,0,{border_style},{style.outline},"
        f"{style.shadow},{alignment},{margin_l},{margin_r},{margin_v},1",
        "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    lines += [f"Dialogue: 0,{ass_time(s)},{ass_time(e)},Caption,,0,0,0,,{text}" for s, e, text in events]
    return "\n".join(lines) + "\n"


def caption_box(style: CaptionStyle, platform: PlatformPreset, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 that holds any caption of this style, outline, box and shadow included (a
    single word too wide for a line can still wrap to one line more)."""
    width, height = size
    zone = platform.safe_zone
    border = int(np.ceil(style.outline + style.shadow)) + 2 + (4 if style.box else 0)
    block = (style.lines + 1) * round(_LINE_HEIGHT * style.size) + 2 * border
    if style.position == "bottom":
        bottom = height - round(zone.bottom * height) + border
    else:
        bottom = height // 2 + block // 2
    return (round(zone.left * width), max(0, bottom - block), width - round(zone.right * width), min(height, bottom))


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


def _shown(text: str, style: CaptionStyle) -> str:
    """A word as its caption shows it: in upper case where the style says so, and a character the
    style's font lacks replaced by its compatibility form where the font has that (№ -> No, ℃ -> °C);
    others are left to libass's font fallback (Arabic, Hebrew)."""
    cmap = _style_metrics(style)[1]
    if any(ord(ch) not in cmap for ch in text):
        text = "".join(_drawable(ch, cmap) for ch in text)
    return text.upper() if style.uppercase else text


def _drawable(ch: str, cmap: dict[int, str]) -> str:
    if ord(ch) in cmap:
        return ch
    compatible = unicodedata.normalize("NFKC", ch)
    return compatible if all(ord(c) in cmap for c in compatible) else ch

"""Written words -> spoken words, one spoken form per written caption word.

Speech engines say the spoken form ("five dollars"); captions show the written word ("$5") timed to
those spoken words; Whisper's transcript is normalized the same way before it is compared. Each
written word maps to exactly one spoken string (possibly several words, possibly empty), which is
what keeps caption timing exact whatever the text holds.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_MONTH_BY_PREFIX = {m[:3].lower(): m for m in _MONTHS} | {"sept": "September"}
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
             "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", "")}
_SCALES = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion", "thousand": "thousand",
           "million": "million", "billion": "billion", "trillion": "trillion"}
_UNITS = {"x": "times", "km": "kilometers", "kg": "kilograms", "mb": "megabytes", "gb": "gigabytes",
          "tb": "terabytes", "h": "hours", "hr": "hours", "hrs": "hours", "min": "minutes", "mins": "minutes",
          "ms": "milliseconds", "s": "seconds", "sec": "seconds", "mph": "miles per hour", "+": "plus"}
_ABBREVIATIONS = {
    "dr.": "doctor", "mr.": "mister", "mrs.": "missus", "ms.": "miz", "st.": "street", "ave.": "avenue",
    "vs.": "versus", "vs": "versus", "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera",
    "approx.": "approximately", "inc.": "incorporated", "ltd.": "limited", "jr.": "junior", "sr.": "senior",
    "dept.": "department", "&": "and", "w/": "with", "w/o": "without", "+": "plus", "=": "equals",
    "faq": "F A Q", "faqs": "F A Qs", "ceo": "C E O", "cto": "C T O", "ai": "A I", "api": "A P I", "ui": "U I",
    "b2b": "B to B", "b2c": "B to C", "diy": "D I Y", "asap": "A S A P", "24/7": "twenty-four seven",
}
_LEADING = "\"'“”‘’([{¿¡*_`~"
_TRAILING = "\"'“”‘’)]}.,;:!?…*_`~—–- "
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT = re.compile(rf"^([$€£¥])({_NUMBER})([a-z]{{0,2}})$", re.IGNORECASE)
_PERCENT = re.compile(rf"^(-?)({_NUMBER})%$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s?([ap])\.?m\.?$|^(\d{1,2}):(\d{2})$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$", re.IGNORECASE)
_YEAR = re.compile(r"^(1[1-9]\d\d|20\d\d)(s?)$")
_WITH_UNIT = re.compile(rf"^({_NUMBER})([a-z]{{1,3}}|\+)$", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(rf"^-?(?:{_NUMBER})$")
_RANGE = re.compile(rf"^({_NUMBER})[-–]({_NUMBER})$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_URL = re.compile(r"^(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,12})(/[^\s]*)?$", re.IGNORECASE)
_DEGREES = re.compile(rf"^(-?)({_NUMBER})\s?°\s?([CF])?$")
_DEGREE_SCALE = {"C": " Celsius", "F": " Fahrenheit", None: ""}
_AMPM = {"am": "A M", "a.m.": "A M", "pm": "P M", "p.m.": "P M"}


def spoken_words(words: list[str], lexicon: Mapping[str, str] | None = None) -> list[str]:
    """The spoken form of each written word; ``lexicon`` maps brand words to how they are said."""
    lexicon = {k.lower(): v for k, v in (lexicon or {}).items()}
    cores = [_split(w) for w in words]
    spoken: list[str] = []
    carry = ""  # a currency name waiting for its scale word: "$2 million" -> "two million dollars"
    for i, (lead, core, trail) in enumerate(cores):
        previous = cores[i - 1][1] if i else ""
        following = cores[i + 1][1] if i + 1 < len(cores) else ""
        said, pending = _say(core, previous, following, lexicon)
        if carry and core.lower() in _SCALES:
            said, carry = f"{said} {carry}", ""
        elif carry:
            spoken[-1] = f"{spoken[-1]} {carry}"
            carry = ""
        carry = pending
        spoken.append(_clean(f"{_keep(lead)}{said}{_keep(trail)}"))
    if carry and spoken:
        spoken[-1] = f"{spoken[-1]} {carry}"
    return spoken


def spoken_text(words: list[str], lexicon: Mapping[str, str] | None = None) -> str:
    return " ".join(s for s in spoken_words(words, lexicon) if s)


def comparable(text: str) -> str:
    """Lower-case letters and digits only: how two spoken words are compared."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def strip_emoji(text: str) -> str:
    """Drop pictographs, their modifiers and joiners: the speech engines cannot say them and the
    caption fonts cannot draw them. Text symbols (° № © ™ €) stay."""
    return "".join(ch for ch in text if not _is_emoji(ch))


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (0x1F000 <= code <= 0x1FAFF  # emoticons, pictographs, flags' regional indicators, skin tones
            or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF  # symbols and dingbats (☀ ✅ ❤ ⭐)
            or code in (0x231A, 0x231B, 0x2328, 0x23CF, 0x3030, 0x303D, 0x3297, 0x3299) or 0x23E9 <= code <= 0x23FA
            or 0xFE00 <= code <= 0xFE0F or code in (0x200D, 0x20E3) or 0xE0020 <= code <= 0xE007F)


# Terminal escape sequences (colours, cursor moves, titles), then any other control character.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def strip_control(text: str) -> str:
    """Text without terminal escape codes, NUL bytes or other control characters (a script pasted
    from a terminal): nothing can say or draw them. Tabs and line breaks become spaces."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")


def _split(word: str) -> tuple[str, str, str]:
    core = word.lstrip(_LEADING)
    lead = word[:len(word) - len(core)]
    # An abbreviation keeps its dot; an e-mail or URL does not end in one.
    stripped = core.rstrip(_TRAILING)
    for length in range(len(core), len(stripped) - 1, -1):
        if core[:length].lower() in _ABBREVIATIONS or core[:length].lower() in _AMPM:
            stripped = core[:length]
            break
    return lead, stripped, core[len(stripped):]


def _keep(punctuation: str) -> str:
    """Punctuation that shapes the speech (pauses, questions); quotes and markup marks are dropped."""
    return "".join(ch for ch in punctuation if ch in ".,;:!?…—–")


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[*_`~#|<>^\\{}\[\]]", " ", text).split())


def _say(core: str, previous: str, following: str, lexicon: dict[str, str]) -> tuple[str, str]:
    """(spoken form, a currency name to say after the next word when that word is a scale)."""
    # Marks nobody says go; then ℃ -> °C, № -> No, full-width digits -> digits.
    core = unicodedata.normalize("NFKC", re.sub(r"[©®™]", "", core))
    low = core.lower()
    if not core:
        return "", ""
    for key in (low, low.removesuffix("'s"), low.removesuffix("’s")):
        if key in lexicon:
            return lexicon[key] + ("s" if key != low else ""), ""
    if low in _ABBREVIATIONS:
        return _ABBREVIATIONS[low], ""
    if low in _AMPM and re.match(r"^\d{1,2}(:\d\d)?$", previous):
        return _AMPM[low], ""
    if low.rstrip(".") in _MONTH_BY_PREFIX and re.match(r"^\d{1,2}(st|nd|rd|th)?$", following):
        return _MONTH_BY_PREFIX[low.rstrip(".")], ""
    if _EMAIL.match(core):
        user, domain = core.split("@")
        return f"{_dotted(user)} at {_dotted(domain)}", ""
    if (match := _AMOUNT.match(core)) is not None:
        return _amount(match.group(1), match.group(2), match.group(3).lower(), following)
    if (match := _DEGREES.match(core)) is not None:
        number = _number(match.group(2))
        unit = "degree" if number == "one" else "degrees"
        return f"{'minus ' if match.group(1) else ''}{number} {unit}{_DEGREE_SCALE[match.group(3)]}", ""
    if core in ("°", "°C", "°F"):  # "30 °C"
        return f"degrees{_DEGREE_SCALE[core[1:] or None]}", ""
    if (match := _PERCENT.match(core)) is not None:
        return f"{'minus ' if match.group(1) else ''}{_number(match.group(2))} percent", ""
    if (match := _TIME.match(core)) is not None:
        return _time(match), ""
    if (match := _ISO_DATE.match(core)) is not None:
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3))) or _digits(core), ""
    if (match := _SLASH_DATE.match(core)) is not None:
        year = int(match.group(3))
        return _date(year + 2000 if year < 100 else year, int(match.group(1)), int(match.group(2))) or core, ""
    if (match := _ORDINAL.match(core)) is not None:
        return _ordinal(int(match.group(1))), ""
    if previous.lower().rstrip(".") in _MONTH_BY_PREFIX and re.match(r"^\d{1,2}$", core):
        return _ordinal(int(core)), ""
    if (match := _YEAR.match(core)) is not None and not _is_count(following):
        year = _year(int(match.group(1)))
        return (re.sub(r"y$", "ie", year) + "s" if match.group(2) else year), ""
    if (match := _RANGE.match(core)) is not None:
        return f"{_number(match.group(1))} to {_number(match.group(2))}", ""
    if _PLAIN_NUMBER.match(core):
        return ("minus " if core.startswith("-") else "") + _number(core.lstrip("-")), ""
    if (match := _WITH_UNIT.match(core)) is not None and match.group(2).lower() in _UNITS | _SCALES:
        unit = match.group(2).lower()
        return f"{_number(match.group(1))} {_SCALES.get(unit) or _UNITS[unit]}", ""
    for mark in ("#", "No", "No."):  # #5, №5 (No5 once normalized), No.5
        if core.startswith(mark) and core[len(mark):].isdigit():
            return f"number {_number(core[len(mark):])}", ""
    if (match := _URL.match(core)) is not None and "." in core:
        path = (match.group(2) or "").strip("/")
        return _dotted(match.group(1)) + (f" slash {_dotted(path.replace('/', ' slash '))}" if path else ""), ""
    if "&" in core:
        return core.replace("&", " and "), ""
    return core, ""


def _is_count(following: str) -> bool:
    """'1200 companies' is a count; '2026' alone or 'in 2026.' is a year. Plural nouns mark a count."""
    return following.isalpha() and following.islower() and following.endswith("s") and len(following) > 3


def _amount(symbol: str, number: str, suffix: str, following: str) -> tuple[str, str]:
    one, many, cent, cents = _CURRENCY[symbol]
    if suffix:
        if suffix not in _SCALES:
            return f"{_number(number)} {suffix}", ""
        return f"{_number(number)} {_SCALES[suffix]} {many}", ""
    if following.lower() in _SCALES:
        return _number(number), many
    whole, _, fraction = number.replace(",", "").partition(".")
    units = int(whole)
    hundredths = int((fraction + "00")[:2]) if fraction else 0
    parts = []
    if units or not hundredths:
        parts.append(f"{_number(whole)} {one if units == 1 else many}")
    if hundredths and cent:
        parts.append(f"{_number(str(hundredths))} {cent if hundredths == 1 else cents}")
    return " and ".join(parts), ""


def _time(match: re.Match) -> str:
    if match.group(4):  # 24-hour or bare "10:30"
        hour, minute, half = int(match.group(4)), int(match.group(5)), ""
    else:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        half = " A M" if match.group(3).lower() == "a" else " P M"
    if minute == 0:
        said = f"{_number(str(hour))}{half}" if half else f"{_number(str(hour))} o'clock"
        return said
    tail = f"oh {_number(str(minute))}" if minute < 10 else _number(str(minute))
    return f"{_number(str(hour))} {tail}{half}"


def _date(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{_MONTHS[month - 1]} {_ordinal(day)}, {_year(year)}"


def _year(year: int) -> str:
    if 2000 <= year <= 2009:
        return _number(str(year))
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_number(str(high))} hundred"
    return f"{_number(str(high))} {'oh ' if low < 10 else ''}{_number(str(low))}"


def _number(text: str) -> str:
    """'1,200' -> 'one thousand two hundred'; '2.5' -> 'two point five'."""
    whole, _, fraction = text.replace(",", "").partition(".")
    said = _inflect().number_to_words(int(whole), andword="", comma="")
    if fraction:
        said += " point " + " ".join(_inflect().number_to_words(int(d)) for d in fraction)
    return said


def _ordinal(value: int) -> str:
    return _inflect().ordinal(_inflect().number_to_words(value, andword="", comma=""))


def _digits(text: str) -> str:
    return " ".join(_number(d) if d.isdigit() else d for d in text)


def _dotted(text: str) -> str:
    return " dot ".join(part for part in re.split(r"\.", text) if part).replace("-", " dash ").replace("_", " underscore ")


@functools.lru_cache(maxsize=1)
def _inflect():
    import inflect

    return inflect.engine()

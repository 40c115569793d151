"""Put timing on the script's own words, so captions show exactly the approved text."""

from __future__ import annotations

import difflib

from reel.captions.whisper import HeardWord
from reel.models import CaptionWord, Word
from reel.normalize import comparable, spoken_words

MIN_WORD_S = 0.05


def align_to_script(script_words: list[Word], heard: list[HeardWord], use_speech_timing: bool) -> list[CaptionWord]:
    """Match the script's words to the words Whisper heard, letter by letter.

    ``use_speech_timing``: the speech engine timed every phoneme exactly (Piper), so each word starts
    at the engine's time and Whisper serves as the check that the word was spoken. Otherwise (a
    recorded voiceover) heard words take Whisper's time; words Whisper missed keep the engine's
    estimate, shifted by the offset of the last heard word so captions stay in order.
    """
    whisper_starts = _whisper_starts(script_words, heard)
    result: list[CaptionWord] = []
    offset = 0.0
    for word, whisper_start in zip(script_words, whisper_starts):
        if use_speech_timing:
            start = word.start
        elif whisper_start is not None:
            start, offset = whisper_start, whisper_start - word.start
        else:
            start = word.start + offset
        if result:
            start = max(start, result[-1].start + MIN_WORD_S)
        result.append(CaptionWord(text=word.text, start=start, end=start, speech_start=word.start,
                                  whisper_start=whisper_start))
    for index, word in enumerate(result):  # a word shows until the next starts, or for its spoken length
        spoken = script_words[index].end - script_words[index].start
        limit = result[index + 1].start if index + 1 < len(result) else word.start + spoken
        word.end = max(word.start + MIN_WORD_S, min(word.start + spoken + 0.15, limit))
    return result


def _whisper_starts(script_words: list[Word], heard: list[HeardWord]) -> list[float | None]:
    """Whisper's start for each script word, or None when fewer than half its letters were heard.

    Both sides are compared as spoken: the script's "$5" is "five dollars", and so is Whisper's "$5".
    """
    script_spoken = [w.spoken if w.spoken is not None else w.text for w in script_words]
    script_chars, script_owner = _chars(script_spoken)
    heard = rejoin_split_words(heard)
    heard_chars, heard_owner = _chars(spoken_words([h.text for h in heard]))
    matcher = difflib.SequenceMatcher(None, script_chars, heard_chars, autojunk=False)
    first: dict[int, int] = {}
    count: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            word = script_owner[block.a + k]
            first.setdefault(word, block.b + k)
            count[word] = count.get(word, 0) + 1
    starts: list[float | None] = []
    for index, spoken in enumerate(script_spoken):
        if index in first and count[index] * 2 >= max(1, len(comparable(spoken))):
            starts.append(_char_time(first[index], heard_owner, heard))
        else:
            starts.append(None)
    return starts


def rejoin_split_words(heard: list[HeardWord]) -> list[HeardWord]:
    """Whisper's tokens split written forms: "$49" ".99", "1" ",200", "20" "%", "R" "&D". Join them
    back, so the normalizer sees "$49.99" as the script does."""
    joined: list[HeardWord] = []
    for word in heard:
        previous = joined[-1] if joined else None
        if previous and word.text[:1] in ".,%&" and previous.text[-1:] not in ".,;:!?":
            joined[-1] = HeardWord(previous.text + word.text, previous.start, word.end,
                                   min(previous.probability, word.probability))
        else:
            joined.append(word)
    return joined


def _chars(words: list[str]) -> tuple[list[str], list[int]]:
    chars: list[str] = []
    owner: list[int] = []
    for index, word in enumerate(words):
        for ch in comparable(word):
            chars.append(ch)
            owner.append(index)
    return chars, owner


def _char_time(char_index: int, owner: list[int], heard: list[HeardWord]) -> float:
    """Time of a heard letter: its word's start, plus a share of the word for letters inside it."""
    word_index = owner[char_index]
    first = owner.index(word_index)
    word = heard[word_index]
    return word.start + (word.end - word.start) * (char_index - first) / max(1, owner.count(word_index))

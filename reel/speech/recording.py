"""An uploaded voiceover (WAV, MP3, ...) instead of synthesized speech.

Nothing but the audio is known, so Whisper hears it, its words are matched to the script's words,
and the share of script words it did not hear is reported: a wrong or badly cut recording fails
the render instead of producing captions that drift away from the voice.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np

from reel.captions.align import align_to_script
from reel.captions.whisper import HeardWord, transcribe_words
from reel.errors import ScriptError
from reel.fsutil import atomic_path
from reel.hashing import sha256_file
from reel.media.audio import read_audio
from reel.models import CaptionWord, MatchReport, SpeechTrack, SpokenParagraph, Word
from reel.speech.compose import write_wav
from reel.speech.timing import fill_gaps

SAMPLE_RATE = 44100
MAX_UNMATCHED_SHARE = 0.25  # more script words than this unheard: the recording is not this script


def speech_from_recording(paragraphs: list[SpokenParagraph], recording: Path, wav: Path,
                          language: str = "en") -> SpeechTrack:
    """The recording decoded into ``wav``, as a SpeechTrack whose words carry Whisper's timing and whose
    match report says how well it matched the script."""
    if not recording.is_file():
        raise ScriptError(f"voiceover recording not found: {recording} (check 'recording' in the script)")
    audio = read_audio(recording, SAMPLE_RATE)
    if len(audio) < SAMPLE_RATE // 2 or float(np.abs(audio).max(initial=0)) < 1e-3:
        raise ScriptError(f"voiceover recording {recording} is silent or shorter than half a second")
    with atomic_path(wav) as tmp:
        write_wav(tmp, audio, SAMPLE_RATE)

    estimate = [Word(text=w, start=0.0, end=0.0, spoken=s) for p in paragraphs for w, s in zip(p.written, p.spoken)]
    heard = transcribe_words(wav, language)
    aligned = align_to_script(estimate, heard, use_speech_timing=False)
    report = MatchReport.of(aligned)
    if report.unmatched_share > MAX_UNMATCHED_SHARE:
        raise ScriptError(f"voiceover {recording.name} does not match the script: {report.summary()}; "
                          "upload the recording of this script or fix the script's text")
    words = _timed_words(estimate, aligned, heard, len(audio) / SAMPLE_RATE)
    spans, at = [], 0
    for paragraph in paragraphs:
        block = words[at:at + len(paragraph.written)]
        at += len(paragraph.written)
        spans.append((block[0].start, block[-1].end) if block else (0.0, 0.0))
    return SpeechTrack(path=wav, sample_rate=SAMPLE_RATE, duration_s=len(audio) / SAMPLE_RATE, words=words,
                       phones=[], engine=f"recording {recording.name}", voice="recording",
                       sha256=sha256_file(wav), paragraph_spans=spans, match=report)


def _timed_words(estimate: list[Word], aligned: list[CaptionWord], heard: list[HeardWord],
                 duration: float) -> list[Word]:
    """Heard words at Whisper's times (until the end of the heard word they start in); an unheard
    word fills the gap between its heard neighbours."""
    heard_starts = [h.start for h in heard]
    timed: list[Word | None] = []
    for word, caption in zip(estimate, aligned):
        start = caption.whisper_start
        if start is None:
            timed.append(None)
            continue
        index = bisect.bisect_left(heard_starts, start - 1e-3)
        end = heard[index].end if index < len(heard) else start + 0.2
        timed.append(Word(text=word.text, start=start, end=max(start, end)))
    filled = fill_gaps([w.text for w in estimate], timed, duration)
    return [w.model_copy(update={"spoken": e.spoken}) for w, e in zip(filled, estimate)]

"""Round trip: synthesize 20 varied sentences, let Whisper transcribe them, compare.

    .venv/bin/python benchmarks/round_trip.py [--voice joe] [--voice kokoro-nezumi] [--out DIR]

For each voice it reports:
- recovery: the share of the normalized (spoken) script words that Whisper's transcript, normalized
  the same way, contains (a word counts when at least half its letters align, the captions' rule);
- caption timing: every caption event's start against the speech engine's own word start;
- Whisper's independent word starts against the engine's (how far the engine's timing is from
  what a listener-model hears);
- loudness (EBU R128) and pitch (median and 5-95 % range of F0 over voiced 40 ms frames).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "Meet NovaCal, the calendar that plans your week for you.",
    "Plans start at $5 a month, or $49.99 for the whole year.",
    "Teams save 20% of their meeting time in the first 30 days.",
    "Our spring sale starts on March 3rd and ends April 15.",
    "Doors open at 9:30am, and the keynote starts at 10 am sharp.",
    "Over 1,200 companies switched to Qwikly in 2025.",
    "Dr. Maria Chen leads our research team in Boston.",
    "Email hello@nova.example with any question you have.",
    "Visit nova.example/pricing to compare every plan.",
    "Revenue grew 3x, from $1.2 million to $3.6 million.",
    "The 2nd edition ships on 2026-12-01 with 40 new templates.",
    "Zyra answers customers 24/7, even on holidays.",
    "Join 15,000 marketers at the summit on Nov 25.",
    "The update cuts load times by 2.5 seconds, about 60% faster.",
    "Book a demo, e.g. on Tuesday at 2:15, and bring your team.",
    "NovaCal's new AI assistant writes your agenda in 10 seconds.",
    "Pay €20 in Europe or £18 in the United Kingdom.",
    "Rated #1 by 500 reviewers on three continents.",
    "The R&D team shipped version 4.2 on Friday.",
    "Try Qwikly free for 14 days, then decide.",
]
LEXICON = {"NovaCal": "nova cal", "Qwikly": "quick lee", "Zyra": "zeer uh"}


def measure(voice: str, out: Path) -> dict:
    from reel.captions.align import align_to_script
    from reel.captions.ass import caption_events
    from reel.captions.whisper import transcribe_words
    from reel.media.audio import read_audio
    from reel.media.probe import measure_loudness
    from reel.models import Script, Word
    from reel.runner import run_step
    from reel.settings import PROJECT_ROOT
    from reel.steps import SPEECH, speech_input
    from reel.templates import load_caption_style

    script = Script(id="round-trip", title="Round trip", avatar="astronaut", voiceover="\n\n".join(SENTENCES))
    speech = run_step(SPEECH, speech_input(script, voice, LEXICON), out / "cache")
    heard = transcribe_words(speech.path)
    # 1. Recovery of the normalized words.
    spoken = [Word(text=s, start=0, end=0, spoken=s) for w in speech.words for s in (w.spoken or w.text).split()]
    matched = align_to_script(spoken, heard, use_speech_timing=True)
    missed = [w.text for w in matched if w.whisper_start is None]
    # 2. Captions against the engine's timing, and Whisper's timing against the engine's.
    captions = align_to_script(speech.words, heard, use_speech_timing=bool(speech.phones))
    events = caption_events(captions, load_caption_style(PROJECT_ROOT / "templates", "bold-pop"))
    caption_error = [abs(e[0] - w.start) for e, w in zip(events, speech.words)]
    whisper_error = [abs(c.whisper_start - c.speech_start) for c in captions if c.whisper_start is not None]
    # Whisper starts a segment's first word at the end of the silence before it and stretches a
    # segment's last word, so words next to a sentence boundary are also reported apart.
    inside = [abs(c.whisper_start - c.speech_start) for i, c in enumerate(captions)
              if c.whisper_start is not None and 0 < i < len(captions) - 1
              and not captions[i - 1].text.endswith((".", "!", "?")) and not c.text.endswith((".", "!", "?"))]
    return {
        "voice": voice, "engine": speech.engine, "audio_s": round(speech.duration_s, 2),
        "normalized_words": len(spoken), "recovered_share": round(1 - len(missed) / len(spoken), 4),
        "missed": missed,
        "caption_start_error_s": {"max": round(max(caption_error), 3), "over_0.15": sum(e > 0.15 for e in caption_error)},
        "whisper_vs_engine_start_s": {
            "median": round(statistics.median(whisper_error), 3), "p95": round(float(np.percentile(whisper_error, 95)), 3),
            "max": round(max(whisper_error), 3), "over_0.15": sum(e > 0.15 for e in whisper_error),
            "heard_words": len(whisper_error), "caption_words": len(captions),
        },
        "whisper_vs_engine_inside_sentences_s": {
            "median": round(statistics.median(inside), 3), "p95": round(float(np.percentile(inside, 95)), 3),
            "max": round(max(inside), 3), "over_0.15": sum(e > 0.15 for e in inside), "words": len(inside),
        },
        **measure_loudness(speech.path),
        "pitch_hz": pitch_range(read_audio(speech.path, 16000), 16000),
        "wav": str(speech.path),
    }


def pitch_range(samples: np.ndarray, rate: int) -> dict:
    """F0 by autocorrelation over 40 ms frames that are loud and clearly periodic (70-400 Hz)."""
    size, hop = int(0.04 * rate), int(0.01 * rate)
    lags = np.arange(rate // 400, rate // 70)
    peak = np.percentile(np.abs(samples), 99)
    pitches = []
    for start in range(0, len(samples) - size, hop):
        frame = samples[start:start + size] - samples[start:start + size].mean()
        if np.sqrt(np.mean(frame ** 2)) < 0.05 * peak:
            continue
        corr = np.correlate(frame, frame, "full")[size - 1:]
        best = lags[np.argmax(corr[lags])]
        if corr[best] > 0.5 * corr[0]:
            pitches.append(rate / best)
    values = np.array(pitches)
    return {"median": round(float(np.median(values)), 1), "p5": round(float(np.percentile(values, 5)), 1),
            "p95": round(float(np.percentile(values, 95)), 1), "voiced_frames": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", action="append", help="voice id (repeatable); default: joe and kokoro-nezumi")
    parser.add_argument("--out", type=Path, help="keep the audio in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        out = args.out or Path(temp)
        results = [measure(voice, out) for voice in args.voice or ["joe", "kokoro-nezumi"]]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Step 3: Whisper hears the speech; the script's own words become timed ASS captions."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel

from reel.captions.align import align_to_script
from reel.captions.ass import caption_box, caption_events, line_width_limit, render_ass
from reel.captions.whisper import transcribe_words, whisper_version
from reel.fsutil import write_text_atomic
from reel.hashing import sha256_file
from reel.models import Captions, MatchReport, SpeechTrack
from reel.plan import RenderPlan
from reel.settings import ReelSettings
from reel.speech.recording import MAX_UNMATCHED_SHARE
from reel.steps.base import Progress, Step, package_version
from reel.templates import CaptionStyle, PlatformPreset

log = logging.getLogger("reel")


class CaptionsInput(BaseModel):
    speech: SpeechTrack
    language: str
    whisper: str
    style: CaptionStyle  # with the avatar's brand overrides applied
    platform: PlatformPreset
    size: tuple[int, int]
    font: str  # the font package and version: line widths are measured with its glyphs


def _captions_input(plan: RenderPlan, settings: ReelSettings, done: dict) -> CaptionsInput:
    package = plan.style.font.package
    return CaptionsInput(speech=done["speech"], language=plan.script.language,
                         whisper=whisper_version(plan.script.language), style=plan.style, platform=plan.platform,
                         size=(settings.width, settings.height), font=f"{package} {package_version(package)}")


def _caption(inputs: CaptionsInput, files: Path, progress: Progress) -> Captions:
    """Whisper checks (or, for a recording, times) the words; the script's own words are shown."""
    speech, style, path = inputs.speech, inputs.style, files.with_suffix(".ass")
    heard = transcribe_words(speech.path, inputs.language)
    words = align_to_script(speech.words, heard, use_speech_timing=bool(speech.phones))
    # Synthesized speech without timings (a recording has its own report): how much of it Whisper heard.
    match = None if speech.phones or speech.match else MatchReport.of(words)
    if match is not None and match.unmatched_share > MAX_UNMATCHED_SHARE:
        log.warning("Whisper heard little of the script in voice %s: %s; unheard words keep estimated times",
                    speech.voice, match.summary())
    events = caption_events(words, style, line_width_limit(inputs.platform, inputs.size))
    write_text_atomic(path, render_ass(events, style, inputs.platform, inputs.size))
    return Captions(path=path, style=style.id, words=words, events=events,
                    box=caption_box(style, inputs.platform, inputs.size),
                    timing_source="speech-engine" if speech.phones else "whisper", whisper_model=inputs.whisper,
                    fonts_dir=style.font.directory(), font=inputs.font, sha256=sha256_file(path), match=match)


CAPTIONS = Step("captions", "2", Captions, _captions_input, _caption)

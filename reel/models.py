"""Typed artifacts passed between stages. Each stage takes models in and returns a model out."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WrapSerializer, field_validator, model_validator

from reel.normalize import strip_control, strip_emoji
from reel.settings import DEFAULT_LIMITS, Limits

Camera = Literal["static", "push-in", "pull-out", "pan-left", "pan-right"]
CAMERA_MOVES: tuple[str, ...] = Camera.__args__  # type: ignore[attr-defined]
ApprovalStatus = Literal["draft", "submitted", "approved", "rejected"]
# A name that is also a file or folder name (a reel id, an avatar, a platform, a caption style): it
# can never climb out of its folder.
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

# Speaking rate used to estimate a script's length before it is synthesised (about 155 wpm).
WORDS_PER_SECOND = 2.6


def _location(path: Path, handler, info) -> Any:
    """Where a file lies is no part of a cache key: what it holds is (a sha256 beside it)."""
    return None if info.context and info.context.get("cache_key") else handler(path)


# A file an artifact points to: serialized as usual, left out of cache keys.
StoredPath = Annotated[Path, WrapSerializer(_location)]


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ApprovalStatus = "draft"
    reviewer: str | None = None
    at: datetime | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _approved_by_someone(self) -> Approval:
        if self.status == "approved" and not (self.reviewer or "").strip():
            raise ValueError("an approved script names who approved it: add 'reviewer' under 'approval'")
        return self


def limits_of(info: ValidationInfo) -> Limits:
    """The input limits a validation runs under (``context={"limits": ...}``), else the defaults."""
    return (info.context or {}).get("limits", DEFAULT_LIMITS)


_DIRECTIVE = re.compile(r"\[\s*([a-z][a-z-]*)\s*:\s*([^\]]*)\]", re.IGNORECASE)
_DIRECTIVE_START = re.compile(r"\[\s*[a-z][a-z-]*\s*:", re.IGNORECASE)


class Paragraph(BaseModel):
    """One paragraph of the voiceover. ``[punch: a phrase]`` in its text marks a phrase for a quick
    camera punch-in; the phrase is spoken and captioned, the marks are not. ``[visual: smiles and
    nods]`` directs the picture while the paragraph is spoken (image-to-video animators take it into
    their prompt); it is neither spoken nor captioned."""

    model_config = ConfigDict(extra="forbid")

    text: str
    camera: Camera | None = None
    visual: str | None = None
    punches: list[tuple[int, int]] = []  # [first, last] word indices (within the paragraph) of marked phrases

    @model_validator(mode="before")
    @classmethod
    def _read_directives(cls, data: object, info: ValidationInfo) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return data
        text, punches, visual = plain_text(data["text"]), list(data.get("punches", [])), data.get("visual")
        marks, limit = len(_DIRECTIVE_START.findall(text)), limits_of(info).marks
        if marks > limit:
            raise ValueError(f"{marks} [punch: ...]/[visual: ...] marks in one paragraph; at most {limit} "
                             "(REEL_MAX_MARKS)")
        while match := _DIRECTIVE.search(text):
            name, phrase = match.group(1).lower(), " ".join(match.group(2).split())
            if name == "visual":
                if not phrase or visual:
                    raise ValueError("[visual: ...] needs a direction, once per paragraph, "
                                     "e.g. [visual: smiles and nods]")
                visual, text = phrase, " ".join((text[:match.start()] + text[match.end():]).split())
                continue
            if name != "punch":
                raise ValueError(f"unknown directive '[{name}: ...]' in the text; "
                                 "inline marks: [punch: a phrase], [visual: a direction]")
            if not caption_tokens(phrase):
                raise ValueError("[punch: ...] needs the words to punch in on, e.g. [punch: five hours]")
            first = len(caption_tokens(text[:match.start()]))
            punches.append((first, first + len(caption_tokens(phrase)) - 1))
            text = text[:match.start()] + phrase + text[match.end():]
        if unclosed := _DIRECTIVE_START.search(text):
            raise ValueError(f"'{unclosed.group(0)}' is not closed: end the mark with ]")
        if not caption_tokens(text) and (data.get("camera") or visual):
            raise ValueError("a paragraph with a camera move or a [visual: ...] mark has no words to speak: "
                             "add its words, or remove the move")
        return {**data, "text": text, "punches": punches, "visual": visual}


class Script(BaseModel):
    """An approved (or not yet approved) voiceover with its render choices."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=NAME_PATTERN)
    title: str = Field(min_length=1)
    avatar: str = Field(pattern=NAME_PATTERN)
    voice: str | None = None  # None: the avatar's default voice
    caption_style: str | None = Field(default=None, pattern=NAME_PATTERN)  # None: the avatar's default style
    platform: str = Field(default="reels", pattern=NAME_PATTERN)
    camera: Camera = "push-in"  # for paragraphs that name no camera move
    speaking_rate: float = Field(default=1.0, ge=0.5, le=2.0)  # 1.2: 20 % faster than the voice's own pace
    # A recorded voiceover (WAV, MP3, M4A...; relative to the script file) spoken instead of a voice.
    recording: Path | None = None
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")  # the recording's language (Whisper)
    animator: str | None = None  # None: REEL_ANIMATOR (`reel doctor` lists the animators)
    paragraphs: list[Paragraph] = Field(alias="voiceover")
    approval: Approval = Approval()

    @field_validator("paragraphs", mode="before")
    @classmethod
    def _split_paragraphs(cls, value: object) -> object:
        """Accept one string (paragraphs split on blank lines) or a list of strings/dicts."""
        if isinstance(value, str):
            value = [p for p in re.split(r"\n\s*\n", value)]
        if isinstance(value, list):
            value = [{"text": p} if isinstance(p, str) else p for p in value]
            value = [_paragraph_text(p) if isinstance(p, dict) else p for p in value]
            value = [p for p in value if not isinstance(p, dict) or p["text"] or len(p) > 1]
        return value

    @model_validator(mode="after")
    def _has_words(self, info: ValidationInfo) -> Script:
        if not self.words:
            raise ValueError("the voiceover is empty: write the text to be spoken under 'voiceover'")
        if len(self.words) > limits_of(info).words:
            raise ValueError(f"the voiceover has {len(self.words)} words; at most {limits_of(info).words} "
                             "(REEL_MAX_WORDS)")
        if self.language != "en" and self.recording is None:
            raise ValueError(f"language '{self.language}': the voices speak English only; "
                             "add a 'recording' of the voiceover for other languages")
        return self

    @property
    def is_approved(self) -> bool:
        """The one approval rule: only an approved script renders without a review."""
        return self.approval.status == "approved"

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def words(self) -> list[str]:
        """Caption words as written: whitespace tokens, punctuation-only tokens joined to a neighbour."""
        return caption_tokens(self.text)

    @property
    def estimated_seconds(self) -> float:
        return len(self.words) / (WORDS_PER_SECOND * self.speaking_rate)

    def camera_for(self, paragraph_index: int) -> str:
        return self.paragraphs[paragraph_index].camera or self.camera

    @property
    def punch_words(self) -> list[tuple[int, int]]:
        """[first, last] indices into ``words`` of every phrase marked for a punch-in."""
        spans, offset = [], 0
        for paragraph in self.paragraphs:
            spans += [(offset + a, offset + b) for a, b in paragraph.punches]
            offset += len(caption_tokens(paragraph.text))
        return spans


def _paragraph_text(paragraph: dict) -> dict:
    """A paragraph's text on one line; an empty ``text:`` is no text (YAML reads it as null)."""
    text = paragraph.get("text")
    if text is not None and not isinstance(text, (str, int, float)):
        raise ValueError(f"a paragraph's text must be words, not {type(text).__name__}")
    return {**paragraph, "text": " ".join(str(text if text is not None else "").split())}


_LOOSE_PUNCTUATION = re.compile(r" ([.,!?;:…]+)(?= |$)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_|`)(\S.*?)\1(?!\w)")


def plain_text(text: str) -> str:
    """The words of a paragraph without Markdown links or emphasis marks, control codes and emoji, which
    no voice can say and no caption font can draw; punctuation an emoji stood before rejoins its word."""
    text = _EMPHASIS.sub(r"\2", _MARKDOWN_LINK.sub(r"\1", strip_control(text)))
    return _LOOSE_PUNCTUATION.sub(r"\1", " ".join(strip_emoji(text).split()))


def caption_tokens(text: str) -> list[str]:
    """Split text into words as written; a token without letters or digits (a dash) joins the previous word."""
    tokens: list[str] = []
    for raw in text.split():
        if any(ch.isalnum() for ch in raw) or not tokens:
            tokens.append(raw)
        else:
            tokens[-1] = f"{tokens[-1]} {raw}"
    return [t for t in tokens if any(ch.isalnum() for ch in t)]


class BrandKit(BaseModel):
    """An avatar's brand: how its words are said, and how its captions look."""

    model_config = ConfigDict(extra="forbid")

    # written word -> how to say it, in plain words: {"Nova": "noh vah", "SaaS": "sass"}
    lexicon: dict[str, str] = {}
    # overrides of the caption style's fields: {"colors": {"highlight": "#FF7A00"}, "size": 88}
    caption: dict = {}


class Consent(BaseModel):
    """Who is heard in a cloned voice's reference clip, who allowed it to be cloned, and when."""

    model_config = ConfigDict(extra="forbid")

    speaker: str = Field(min_length=1)  # whose voice the clip is
    granted_by: str = Field(min_length=1)  # who gave permission: the speaker, or whoever may give it for them
    at: date  # when permission was given
    scope: str = ""  # what it covers, e.g. "Nova marketing reels, 2027"
    document: str = ""  # where the signed record is kept


def _in_avatar_folder(path: Path) -> Path:
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"'{path}' must be a file in the avatar's folder (a name such as portrait.png)")
    return path


class VoiceClone(BaseModel):
    """The avatar's own voice (``voice: clone``), cloned from a consented reference clip."""

    model_config = ConfigDict(extra="forbid")

    reference: Path  # a recording of the speaker alone (relative to the avatar's folder)
    consent: Consent | None = None

    _reference_in_folder = field_validator("reference")(_in_avatar_folder)


class Avatar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    portrait: Path  # relative to the avatar's folder
    voice: str  # a voice id (`reel voices`), or "clone": the voice of ``clone``
    caption_style: str = Field(pattern=NAME_PATTERN)
    clone: VoiceClone | None = None
    brand: BrandKit = BrandKit()
    source: str = ""
    license: str = ""

    _portrait_in_folder = field_validator("portrait")(_in_avatar_folder)


class Portrait(BaseModel):
    """The avatar's portrait framed to the output size, with its face landmarks in that frame."""

    avatar_id: str
    path: StoredPath  # framed RGB image, width x height
    width: int
    height: int
    landmarks: list[tuple[float, float]]  # 468 MediaPipe face-mesh points, framed pixel coordinates
    depth: list[float] = []  # each point's depth in framed pixels (smaller: nearer the camera)
    face_box: tuple[float, float, float, float]  # x0, y0, x1, y1 in framed pixels
    source_sha256: str
    sha256: str


class Phone(BaseModel):
    phoneme: str
    start: float
    end: float


class Word(BaseModel):
    text: str  # as written in the script
    start: float
    end: float
    spoken: str | None = None  # what was said for it ("$5" -> "five dollars"); None: the text itself


class SpokenParagraph(BaseModel):
    written: list[str]  # caption words as written
    spoken: list[str]  # what is said for each of them

    @property
    def text(self) -> str:
        return " ".join(s for s in self.spoken if s)


class MatchReport(BaseModel):
    """How well speech without its own timings (an uploaded voiceover, XTTS) matches its script."""

    script_words: int
    unmatched: list[str]  # script words Whisper did not hear, in order
    unmatched_share: float

    @classmethod
    def of(cls, aligned: list[CaptionWord]) -> MatchReport:
        missed = [w.text for w in aligned if w.whisper_start is None]
        return cls(script_words=len(aligned), unmatched=missed, unmatched_share=len(missed) / max(1, len(aligned)))

    def summary(self) -> str:
        shown = ", ".join(w.strip(".,;:!?\"'") for w in self.unmatched[:8]) + (" ..." if len(self.unmatched) > 8 else "")
        return f"{self.unmatched_share:.0%} of {self.script_words} script words not heard" + \
            (f" ({shown})" if shown else "")


class SpeechTrack(BaseModel):
    path: StoredPath  # mono 16-bit WAV
    sample_rate: int
    duration_s: float
    words: list[Word]  # the script's caption words, timed by the speech engine
    phones: list[Phone]  # empty when the engine has no phoneme timing
    engine: str
    voice: str
    sha256: str
    # Time spans of the paragraphs, used for per-paragraph camera moves.
    paragraph_spans: list[tuple[float, float]]
    match: MatchReport | None = None  # an uploaded recording: how well Whisper matched it to the script


class CaptionWord(BaseModel):
    text: str  # as written in the script
    start: float
    end: float
    speech_start: float  # the speech engine's timing of this word
    whisper_start: float | None  # when Whisper heard this word; None when it did not


class Captions(BaseModel):
    path: StoredPath  # ASS file
    style: str
    words: list[CaptionWord]
    events: list[tuple[float, float, str]]  # (start, end, text) of each caption shown
    timing_source: str  # "speech-engine" (phoneme-exact) or "whisper"
    box: tuple[int, int, int, int]  # x0, y0, x1, y1: the area captions can cover
    whisper_model: str
    fonts_dir: StoredPath  # where libass finds the style's font
    font: str  # the font package and its version
    sha256: str
    match: MatchReport | None = None  # Whisper-timed speech: how many script words it heard


class CameraPlan(BaseModel):
    """What the camera does over a reel: move i runs from ``starts[i]`` to the next start (the last to
    ``end``); each punch is a (start, end) time span of a marked phrase."""

    model_config = ConfigDict(frozen=True)

    moves: list[str]
    starts: list[float]
    end: float
    focus: tuple[float, float]  # the face centre: zooms close in on it
    punches: list[tuple[float, float]] = []


class Video(BaseModel):
    """The encoded reel: animated frames, burnt-in captions and normalized speech."""

    path: StoredPath  # MP4
    frames: int
    sha256: str
    animator_report: dict[str, Any] = {}  # what the animator says it did (prompts used, frames without a face)

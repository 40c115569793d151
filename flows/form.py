"""The run form of `produce-reel`: what a marketing user fills in the Prefect UI.

Choices are selects built from what this installation has (avatars, voices, caption styles,
platforms, camera moves, animators); the form checks types and bounds in the browser, and the
flow checks the rest (the same checks as `reel render`) before any work, ending the run with one
line when something is wrong. Ids and choices are case-insensitive.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from reel.animate import ANIMATORS
from reel.avatars import list_avatar_ids
from reel.models import CAMERA_MOVES
from reel.settings import load_settings
from reel.speech.registry import VOICES, voice_state
from reel.templates import list_names

DEFAULT = "default"  # voice, caption style and animator: the avatar's (or the server's) own choice
FORM_FIELDS = ("id", "title", "avatar", "voice", "caption_style", "platform", "camera", "speaking_rate", "animator")


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _reel_id(value: object) -> object:
    """'Spring Sale 2027' -> 'spring-sale-2027': what a user types becomes a folder name."""
    return re.sub(r"\s+", "-", value.strip().lower()) if isinstance(value, str) else value


def _choice(options: list[str], first: str | None = None):
    """A select of ``options`` (``first`` on top), typed case-insensitively; one option is still a select."""
    values = ([first] if first else []) + [o for o in options if o != first]

    def as_select(schema: dict) -> None:
        schema.pop("const", None)
        schema["enum"] = values

    return Annotated[Literal[tuple(values)], BeforeValidator(_lower), Field(json_schema_extra=as_select)]


def _voices() -> list[str]:
    """Installed voices that speak (not the test tone)."""
    return [v.id for v in sorted(VOICES.values(), key=lambda v: v.id) if v.engine != "tone" and voice_state(v)[0]]


def _voice_help(voices: list[str]) -> str:
    female = [v for v in voices if "female" in VOICES[v].description]
    male = [v for v in voices if "male" in VOICES[v].description and v not in female]
    other = [f"{v} ({VOICES[v].description})" for v in voices if v not in female + male]
    return (f"'{DEFAULT}' speaks with the avatar's own voice. Female: {', '.join(female) or 'none'}; "
            f"male: {', '.join(male) or 'none'}" + (f"; {'; '.join(other)}" if other else "")
            + ". The README lists each voice's licence.")


def _animator_help() -> str:
    notes = "; ".join(f"{name}: {ANIMATORS.engine_class(name).license_note}" for name in ANIMATORS.names()
                      if ANIMATORS.engine_class(name).license_note)
    return (f"How the portrait moves. '{DEFAULT}' uses the server's choice (REEL_ANIMATOR, portrait-warp unless set). "
            "portrait-warp and still run on any machine; ltx, ltx2, wan and svd need a GPU worker; kling-avatar "
            "and kling-i2v send the portrait (and the speech, or a prompt) to a hosted service that bills per "
            f"second. Licences: {notes}.")


def build_request_model() -> type[BaseModel]:
    settings = load_settings()
    avatars = list_avatar_ids(settings.avatars_dir)
    styles = list_names(settings.templates_dir, "captions")
    platforms = list_names(settings.templates_dir, "platforms")
    voices = _voices()

    class ReelRequest(BaseModel):
        """A reel written in the form; it waits for review before rendering."""

        text: str = Field(min_length=1, title="Voiceover", description=(
            "What the avatar says. Blank lines separate paragraphs. A paragraph may start with "
            "[camera: pan-left]; [punch: a phrase] zooms in while the phrase is spoken; [visual: smiles and "
            "nods] directs the image-to-video animators."))
        id: Annotated[str, BeforeValidator(_reel_id)] = Field(min_length=1, title="Reel id", description=(
            "Names the output folder, e.g. spring-sale: letters, digits, - and _. Upper case and spaces are "
            "turned into lower case and dashes."))
        title: str = Field(min_length=1, description="Shown to the reviewer and in the run's name.")
        avatar: _choice(avatars) = Field(default=avatars[0] if avatars else "", description=(
            "Whose portrait speaks; each avatar brings its own voice and caption look."))
        voice: _choice(voices, DEFAULT) = Field(default=DEFAULT, description=_voice_help(voices))
        caption_style: _choice(styles, DEFAULT) = Field(default=DEFAULT, title="Caption style", description=(
            f"How the words appear on screen. '{DEFAULT}' uses the avatar's style."))
        platform: _choice(platforms, "reels") = Field(default="reels", description=(
            "Where the reel will be posted: sets the longest allowed length and where captions may go."))
        camera: _choice(list(CAMERA_MOVES), "push-in") = Field(default="push-in", description=(
            "The camera move for paragraphs that do not start with their own [camera: ...]."))
        speaking_rate: float = Field(default=1.0, ge=0.5, le=2.0, title="Speaking rate", description=(
            "1.0 is the voice's own pace; 1.2 speaks 20 % faster, 0.9 10 % slower."))
        animator: _choice(ANIMATORS.names(), DEFAULT) = Field(default=DEFAULT, description=_animator_help())

        def script_fields(self) -> dict:
            """The script's front matter (the script checks it, in words rather than patterns)."""
            fields = self.model_dump(include=set(FORM_FIELDS))
            return {name: value for name, value in fields.items() if value != DEFAULT}

    ReelRequest.__module__ = __name__
    return ReelRequest


ReelRequest = build_request_model()

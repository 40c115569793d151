"""A render plan: every choice of a reel checked before any heavy work (a bad input fails here, in
well under a second)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reel import avatars, templates
from reel.animate import ANIMATORS
from reel.engines import EngineOptions
from reel.errors import EngineError, MediaError, ScriptError
from reel.media.audio import audio_seconds
from reel.media.image import check_image
from reel.models import Avatar, Script
from reel.script import load_script, require_approved, require_length
from reel.settings import ReelSettings
from reel.speech import SPEECH_ENGINES, resolve_voice
from reel.speech.cloning import CLONE, ClonedVoice, check_clone
from reel.speech.coqui import require_cloning_model


@dataclass
class RenderPlan:
    script: Script
    script_path: Path
    avatar: Avatar
    voice: str  # the voice that speaks, or "recording" for an uploaded voiceover
    style: templates.CaptionStyle
    platform: templates.PlatformPreset
    animator: str
    animator_options: EngineOptions
    recording: Path | None = None
    clone: ClonedVoice | None = None  # the avatar's cloned voice, when it speaks

    @property
    def lexicon(self) -> dict[str, str]:
        return self.avatar.brand.lexicon


def plan_render(script_path: Path, settings: ReelSettings, allow_unapproved: bool = False) -> RenderPlan:
    return plan_script(load_script(script_path), script_path, settings, allow_unapproved)


def plan_script(script: Script, script_path: Path, settings: ReelSettings,
                allow_unapproved: bool = False) -> RenderPlan:
    """Check a script's approval, length, avatar, voice, caption style, platform and animator."""
    require_approved(script, allow_unapproved)
    platform = templates.load_platform(settings.templates_dir, script.platform)
    require_length(script, platform.name, platform.max_seconds)
    avatar = avatars.load_avatar(settings.avatars_dir, script.avatar)
    check_image(avatar.portrait, settings.limits)
    recording = clone = None
    if script.recording is not None:
        recording = script.recording if script.recording.is_absolute() else script_path.parent / script.recording
        check_recording(script.id, recording, platform, settings)
        voice = "recording"
    else:
        if (script.voice or avatar.voice) == CLONE:
            clone = check_clone(avatar)  # consent and a usable clip before anything else
        voice = resolve_voice(script.voice or avatar.voice)
        if clone is not None:
            require_cloning_model(SPEECH_ENGINES.options("coqui"))
    style = templates.load_caption_style(settings.templates_dir, script.caption_style or avatar.caption_style,
                                         avatar.brand.caption)
    style.font.directory()
    animator = script.animator or settings.animator
    options = ANIMATORS.options(animator)
    engine = ANIMATORS.engine_class(animator)
    if not engine.is_installed():
        raise EngineError(f"the animator '{animator}' is not installed: {engine.install_hint}")
    engine.check(options)
    return RenderPlan(script, script_path, avatar, voice, style, platform, animator, options, recording, clone)


def check_recording(script_id: str, recording: Path, platform: templates.PlatformPreset, settings: ReelSettings) -> None:
    """A recorded voiceover that is there, not too large, and no longer than the platform allows (from
    its header: nothing is decoded yet)."""
    if not recording.is_file():
        raise ScriptError(f"script '{script_id}': voiceover recording not found: {recording}")
    size, limit = recording.stat().st_size, settings.limits.upload_bytes
    if size > limit:
        raise ScriptError(f"script '{script_id}': the recording {recording} is {size / 1e6:.0f} MB; at most "
                          f"{limit / 1e6:.0f} MB (REEL_MAX_UPLOAD_BYTES)")
    try:
        seconds = audio_seconds(recording)
    except MediaError as error:
        raise ScriptError(f"script '{script_id}': the recording {error}: use a WAV, MP3 or M4A file") from None
    if seconds is not None and seconds > platform.max_seconds:
        raise ScriptError(f"script '{script_id}': the recording lasts {seconds:.0f} s but {platform.name} allows at "
                          f"most {platform.max_seconds:.0f} s: trim the recording")

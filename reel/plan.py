"""A render plan: every choice of a reel checked before any heavy work (a bad input fails here, in
well under a second)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reel import avatars, templates
from reel.animate import ANIMATORS
from reel.engines import EngineOptions
from reel.errors import EngineError, ScriptError
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
    recording = clone = None
    if script.recording is not None:
        recording = script.recording if script.recording.is_absolute() else script_path.parent / script.recording
        if not recording.is_file():
            raise ScriptError(f"script '{script.id}': voiceover recording not found: {recording}")
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

"""A cloned voice (``voice: clone``): the avatar's reference clip and consent record, checked before
any work. XTTS v2 conditions on about six seconds of the speaker alone, so a clip with less speech
than that, a clip that is not speech, or a clone nobody recorded permission for is refused."""

from __future__ import annotations

from dataclasses import dataclass

from reel.errors import AvatarError, ReelError
from reel.hashing import sha256_file
from reel.media.audio import audio_seconds
from reel.models import Avatar, Consent

CLONE = "clone"  # the voice id that asks for the avatar's cloned voice
MIN_SPEECH_S = 6.0  # XTTS v2's conditioning length (gpt_cond_len)
MAX_REFERENCE_S = 120.0


@dataclass(frozen=True)
class ClonedVoice:
    reference: str  # the clip's path
    sha256: str
    speech_s: float  # seconds of speech found in it
    consent: Consent


def check_clone(avatar: Avatar) -> ClonedVoice:
    """The avatar's clone, or one line saying what is missing."""
    clone = avatar.clone
    where = f"assets/avatars/{avatar.id}/avatar.yaml"
    if clone is None:
        raise AvatarError(f"avatar '{avatar.id}' asks for a cloned voice but has no 'clone' in {where}: add "
                          "clone.reference (a recording of the speaker) and clone.consent")
    if clone.consent is None:
        raise AvatarError(f"the cloned voice of avatar '{avatar.id}' has no consent record: add clone.consent with "
                          f"speaker, granted_by and at (who is speaking, who gave permission, when) to {where}")
    if not clone.reference.is_file():
        raise AvatarError(f"the reference clip of avatar '{avatar.id}' is not there: {clone.reference}")
    speech_s, length_s = speech_seconds(clone.reference)
    _require_short(avatar, length_s)
    if speech_s < MIN_SPEECH_S:
        found = "no speech" if speech_s < 0.5 else f"only {speech_s:.1f} s of speech"
        raise AvatarError(f"the reference clip of avatar '{avatar.id}' has {found} ({length_s:.1f} s long): the "
                          f"cloned voice needs at least {MIN_SPEECH_S:.0f} s of the speaker talking")
    return ClonedVoice(str(clone.reference), sha256_file(clone.reference), round(speech_s, 2), clone.consent)


def _require_short(avatar: Avatar, length_s: float) -> None:
    if length_s > MAX_REFERENCE_S:
        raise AvatarError(f"the reference clip of avatar '{avatar.id}' lasts {length_s:.0f} s: cut it to at most "
                          f"{MAX_REFERENCE_S:.0f} s of the speaker alone")


def speech_seconds(path) -> tuple[float, float]:
    """(seconds of speech found by Silero VAD, the clip's length) of an audio file."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from reel.media.audio import read_audio

    try:
        header_s = audio_seconds(path) or 0.0
        if header_s > MAX_REFERENCE_S:  # before decoding: an hour-long clip is refused at once
            return 0.0, header_s
        audio = read_audio(path, 16000)
    except ReelError:
        raise AvatarError(f"the reference clip {path} cannot be read as audio: use a WAV, MP3 or M4A recording "
                          "of the speaker") from None
    spans = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300))
    return sum(span["end"] - span["start"] for span in spans) / 16000, len(audio) / 16000

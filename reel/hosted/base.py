"""What a hosted video provider does for an animator: take a job, say how it is going, hand back a
video link. Providers differ only in URLs, field names, authentication and how they word errors."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from reel.hosted.http import HostedHttp


@dataclass
class VideoJob:
    """One clip: a talking head driven by ``audio_wav``, or (without audio) image-to-video from a prompt."""

    image_jpeg: bytes  # the framed portrait
    prompt: str
    seconds: float  # the clip's length as requested (and billed)
    audio_wav: bytes | None = None  # the clip's stretch of our speech
    negative_prompt: str = ""
    used_s: float | None = None  # how much of the clip the reel uses (default: all of it)

    def __post_init__(self) -> None:
        self.used_s = self.seconds if self.used_s is None else self.used_s


@dataclass
class Progress:
    done: bool
    note: str  # "in queue (position 3)", "generating", "done"
    video_url: str | None = None
    video_bytes: int | None = None  # as announced by the provider, checked on download
    billed_s: float | None = None  # the video length the provider bills, where it says


class Provider(Protocol):
    name: str  # "fal" or "kling": the REEL_<ENGINE>_PROVIDER value
    base_url: str

    def headers(self) -> dict[str, str]: ...

    def explain(self, status: int, body: Any) -> str | None:
        """A final error response in the provider's words; None for a transient one worth retrying."""
        ...

    def submit(self, http: HostedHttp, job: VideoJob) -> str:
        """Start the job; returns the provider's task id."""
        ...

    def poll(self, http: HostedHttp, task_id: str) -> Progress: ...


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def message_of(body: Any) -> str:
    """The human part of an error body, on one line and short."""
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "msg", "task_status_msg"):
            value = body.get(key)
            if isinstance(value, list) and value:
                value = value[0].get("msg", value[0]) if isinstance(value[0], dict) else value[0]
            if value:
                return " ".join(str(value).split())[:200]
    return " ".join(str(body).split())[:200] or "no details"

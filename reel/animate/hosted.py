"""What the hosted animators share: a provider (fal.ai's queue API with ``REEL_FAL_KEY``, or Kling's
own API with ``REEL_KLING_ACCESS_KEY`` and ``REEL_KLING_SECRET_KEY``), a cost estimate refused above
the budget before anything is sent, and a reel made of clips: cut at sentence ends, each generated
from the portrait again (so a long reel does not drift), joined with a short cross-fade.
"""

from __future__ import annotations

import io
import tempfile
import time
import wave
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urlsplit

import cv2
import numpy as np
from pydantic import Field

from reel.animate.base import AUDIO_RATE, AnimationJob
from reel.animate.framing import cover, resampled
from reel.engines import Engine, EngineOptions, env_prefix
from reel.errors import EngineError
from reel.hosted.base import Provider, VideoJob
from reel.hosted.http import HostedHttp, ProviderError
from reel.hosted.secrets import credentials
from reel.models import Word

SEAM_FRAMES = 6  # cross-fade from one clip's last frame into the next clip


class HostedOptions(EngineOptions):
    provider: Literal["fal", "kling"] = "fal"
    tier: Literal["standard", "pro"] = "standard"
    prompt: str = ""  # a direction for expression and motion; a paragraph's [visual: ...] replaces it
    price_per_s: float | None = Field(default=None, ge=0)  # USD per second of video; default: PRICES
    budget_usd: float = Field(default=5.0, gt=0)  # per reel: refused before any request when the estimate is above
    deadline_s: float = Field(default=1800.0, gt=0)  # the whole reel, queue included
    poll_s: float = Field(default=5.0, gt=0)  # first wait between status checks (grows to 30 s)
    retries: int = Field(default=5, ge=0, le=20)  # per request, for timeouts, 429 and 5xx only
    backoff_s: float = Field(default=1.0, ge=0)  # first retry wait (doubles, with jitter)
    max_download_mb: int = Field(default=500, ge=1)
    fal_url: str = "https://queue.fal.run"
    kling_url: str = "https://api-singapore.klingai.com"

    UNKEYED = frozenset({"price_per_s", "budget_usd", "deadline_s", "poll_s", "retries", "backoff_s",
                         "max_download_mb"})


class HostedAnimator(Engine):
    """A reel made of provider clips. An engine says what each clip's job is, how long the provider bills
    for it, its prices, and whether reel's face pass gives the frames their mouth."""

    takes_directions = True
    reports_progress = True
    prices: ClassVar[dict[tuple[str, str], float]]  # USD per second by (provider, tier)
    mouth_pass: ClassVar[bool]

    def clip_job(self, job: AnimationJob, image: bytes, start_s: float, end_s: float) -> VideoJob:
        raise NotImplementedError

    def spans(self, job: AnimationJob) -> list[tuple[float, float]]:
        """(start, end) of the clips the reel is made of."""
        raise NotImplementedError

    def billed_s(self, start_s: float, end_s: float) -> float:
        """Seconds the provider bills for the clip of this span."""
        return end_s - start_s

    @classmethod
    def version(cls) -> str:
        return "1"

    @classmethod
    def check(cls, options: HostedOptions) -> None:
        credentials(options.provider, cls.name)
        url = options.fal_url if options.provider == "fal" else options.kling_url
        parts = urlsplit(url)
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))):
            raise EngineError(f"the animator '{cls.name}': {url!r} must be an https:// URL (plain http only on "
                              f"this machine, for a local proxy)")

    def provider(self) -> Provider:
        from reel.hosted.fal import FalProvider
        from reel.hosted.kling import KlingProvider

        options, keys = self.options, credentials(self.options.provider, self.name)
        if options.provider == "fal":
            return FalProvider(keys[0], options.fal_url, options.tier)
        return KlingProvider(keys[0], keys[1], options.kling_url, options.tier)

    def price_per_s(self) -> float:
        options = self.options
        return options.price_per_s if options.price_per_s is not None else self.prices[(options.provider, options.tier)]

    def frames(self, job: AnimationJob) -> Iterator[np.ndarray]:
        spans = self.spans(job)
        billed = sum(self.billed_s(*span) for span in spans)
        estimate = billed * self.price_per_s()
        job.report.update({"provider": self.options.provider, "tier": self.options.tier, "mouth_pass": self.mouth_pass,
                           "estimated_cost_usd": round(estimate, 4), "clips": []})
        if self.mouth_pass:
            job.report["frames_without_face"] = 0
        if estimate > self.options.budget_usd:  # before any request: nothing is spent
            raise EngineError(f"the animator '{self.name}' would cost about ${estimate:.2f} for this reel "
                              f"({billed:.1f} s at ${self.price_per_s():.4f}/s), over its budget of "
                              f"${self.options.budget_usd:.2f}; raise {env_prefix(self.name)}BUDGET_USD or shorten "
                              f"the script")
        return self._frames(job, spans)

    def _frames(self, job: AnimationJob, spans: list[tuple[float, float]]) -> Iterator[np.ndarray]:
        provider = self.provider()
        http = HostedHttp(deadline=time.monotonic() + self.options.deadline_s, explain=provider.explain,
                          retries=self.options.retries, backoff_s=self.options.backoff_s,
                          deadline_hint=f" of {self.options.deadline_s:g} s ({env_prefix(self.name)}DEADLINE_S)")
        image = cv2.imencode(".jpg", cv2.cvtColor(job.base, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])[1]
        last = None
        try:
            with tempfile.TemporaryDirectory(prefix="reel-hosted-") as folder:
                for number, (start_s, end_s) in enumerate(spans):
                    end_frame = job.frames if number == len(spans) - 1 else round(end_s * job.fps)
                    count = end_frame - round(start_s * job.fps)
                    clip = self.clip_job(job, image.tobytes(), start_s, end_s)
                    video = self._generate(provider, http, clip, job, number, len(spans), Path(folder))
                    first = round(start_s * job.fps)
                    for index, frame in enumerate(clip_frames(video, job, count)):
                        if self.mouth_pass and not job.face.apply_tracked(first + index, frame):
                            job.report["frames_without_face"] += 1
                        if last is not None and index < SEAM_FRAMES:  # cross-fade out of the previous clip
                            weight = (index + 1) / (SEAM_FRAMES + 1)
                            frame = (frame * weight + last * (1 - weight)).round().astype(np.uint8)
                        yield frame
                        if index == count - 1:
                            last = frame.astype(np.float32)
        except ProviderError as error:
            billed = sum(clip["billed_s"] for clip in job.report["clips"])
            spent = f" ({billed:.1f} s submitted, about ${billed * self.price_per_s():.2f})" if billed else ""
            failure = EngineError(f"the animator '{self.name}' via {provider.name}: {error}; nothing was "
                                  f"published{spent}")
            failure.spent_usd = billed * self.price_per_s()  # a batch counts it against its budget
            raise failure from None
        finally:
            job.report["retries"] = http.retried
            job.report["cost_usd"] = round(sum(c["billed_s"] for c in job.report["clips"]) * self.price_per_s(), 4)

    def _generate(self, provider: Provider, http: HostedHttp, clip: VideoJob, job: AnimationJob, number: int,
                  clips: int, folder: Path) -> Path:
        """Submit one clip, wait for it, download it; the task is noted in the report as soon as it exists."""
        which = f"clip {number + 1} of {clips}"
        http.activity = f"submitting {which}"
        task = provider.submit(http, clip)
        record = {"task_id": task, "seconds": round(clip.used_s, 3), "billed_s": round(clip.seconds, 3)}
        job.report["clips"].append(record)  # billed from submission on, even if we stop waiting
        http.activity = f"waiting for {which}"
        wait = self.options.poll_s
        while True:
            state = provider.poll(http, task)
            job.progress(number + (1 if state.done else 0), clips, f"clips done ({state.note})")
            if state.done:
                break
            http.activity = f"waiting for {which} ({state.note})"
            http.pause(wait)
            wait = min(wait * 1.5, 30.0)
        if state.billed_s:
            record["billed_s"] = round(state.billed_s, 3)
        http.activity = f"downloading {which}"
        path = folder / f"clip-{number}.mp4"
        max_bytes = self.options.max_download_mb * 1024 * 1024
        record["video_sha256"] = http.download(state.video_url, path, max_bytes, state.video_bytes)
        return path


def clip_spans(words: list[Word], duration: float, max_clip_s: float) -> list[tuple[float, float]]:
    """(start, end) of clips no longer than ``max_clip_s`` covering ``duration``, cut in the pause after a
    sentence where one is in reach, else after a word, else at the limit."""
    sentence_ends = [(a.end + b.start) / 2 for a, b in pairwise(words) if a.text.rstrip("\"')").endswith((".", "!", "?"))]
    word_ends = [(a.end + b.start) / 2 for a, b in pairwise(words)]
    spans, start = [], 0.0
    while duration - start > max_clip_s:
        limit = start + max_clip_s
        cuts = ([t for t in sentence_ends if start + 1.0 < t <= limit] or [t for t in word_ends if start + 1.0 < t <= limit]
                or [limit])
        spans.append((start, cuts[-1]))
        start = cuts[-1]
    spans.append((start, duration))
    return spans


def wav_bytes(audio: np.ndarray, start_s: float, end_s: float) -> bytes:
    """The stretch of ``audio`` (mono floats at AUDIO_RATE) as a 16-bit WAV file."""
    samples = np.clip(audio[round(start_s * AUDIO_RATE):round(end_s * AUDIO_RATE)], -1, 1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(AUDIO_RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def clip_frames(video: Path, job: AnimationJob, count: int) -> Iterator[np.ndarray]:
    """``count`` frames of the downloaded clip at the reel's rate and size (its last frame held if the
    clip is a little short)."""
    import av

    try:
        container = av.open(str(video))
    except av.error.FFmpegError as error:
        raise ProviderError(f"the downloaded video cannot be read ({error})") from None
    with container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or job.fps)
        decoded = (frame.to_ndarray(format="rgb24") for frame in container.decode(stream))
        size = (job.portrait.width, job.portrait.height)
        last = None
        for frame in resampled(decoded, rate, job.fps, count):
            if frame is None and last is None:
                raise ProviderError("the downloaded video has no frames")
            last = cover(frame, size) if frame is not None else last
            yield last

"""A careful HTTP client for hosted engines: bounded retries of transient failures only, a deadline
over the whole job, one-line errors that never carry a credential, and checked downloads.

Transient: timeouts, connection errors, 408, 425, 429 and 5xx. They are retried with exponential
backoff and full jitter (or the server's Retry-After), at most ``retries`` times per request and
never past the deadline. Anything else is final and explained by the provider's ``explain``.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reel.errors import EngineError
from reel.fsutil import atomic_path
from reel.hosted.base import message_of

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
MAX_WAIT_S = 30.0  # one backoff sleep at most


class ProviderError(EngineError):
    """A hosted provider refused or failed the job; the message is one line without credentials (the
    engine adds its name in front)."""


@dataclass
class HostedHttp:
    """One job's connection to a provider. ``explain(status, body)`` turns an error response into the
    provider's own words (auth, quota, refused content, bad input), or None where it is transient."""

    deadline: float  # time.monotonic() after which the job stops
    explain: Callable[[int, Any], str | None]
    deadline_hint: str = ""  # e.g. " of 1800 s (REEL_KLING_AVATAR_DEADLINE_S)"
    activity: str = "starting"  # what the job is doing, for the deadline message; the caller keeps it current
    retries: int = 5
    backoff_s: float = 1.0
    timeout_s: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    retried: int = 0  # transient failures retried so far in this job (kept in the manifest)

    def json(self, method: str, url: str, headers: dict[str, str], body: dict | None = None) -> Any:
        """The JSON answer to one request, after retrying transient failures."""
        import httpx

        for attempt in range(self.retries + 1):
            self.check_deadline()
            try:
                response = httpx.request(method, url, headers=headers, json=body, timeout=self.timeout_s)
            except httpx.TimeoutException:
                reason, retry_after = "timed out", None
            except httpx.TransportError as error:
                reason, retry_after = f"connection failed ({type(error).__name__})", None
            else:
                if response.status_code < 400:
                    return _decoded(response)
                error = _body(response)
                final = self.explain(response.status_code, error)  # e.g. a 429 that means "out of credit"
                if final is not None or response.status_code not in TRANSIENT_STATUS:
                    raise ProviderError(final or f"HTTP {response.status_code}: {message_of(error)}")
                reason = f"HTTP {response.status_code}"
                retry_after = _number(response.headers.get("retry-after"))
            if attempt == self.retries:
                raise ProviderError(f"gave up after {attempt + 1} attempts ({reason}) at "
                                    f"{_where(url)}; try again later")
            self.retried += 1
            self.pause(min(retry_after, MAX_WAIT_S) if retry_after is not None else self.backoff(attempt))
        raise AssertionError("unreachable")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt + 1``: exponential, with full jitter, capped."""
        return min(self.rng.uniform(0, self.backoff_s * 2 ** attempt), MAX_WAIT_S)

    def pause(self, seconds: float) -> None:
        """Sleep, unless that would end past the deadline."""
        self.check_deadline(time.monotonic() + seconds)
        time.sleep(seconds)

    def check_deadline(self, at: float | None = None) -> None:
        if (at if at is not None else time.monotonic()) > self.deadline:
            raise ProviderError(f"ran past its deadline{self.deadline_hint} while {self.activity}")

    def download(self, url: str, path: Path, max_bytes: int, expected_bytes: int | None = None) -> str:
        """Stream ``url`` (no credentials sent) into ``path``; refuses more than ``max_bytes`` and a body
        shorter than announced (Content-Length or ``expected_bytes``). Returns the file's sha256."""
        import httpx

        for attempt in range(self.retries + 1):
            self.check_deadline()
            digest, received = hashlib.sha256(), 0
            try:
                with httpx.stream("GET", url, timeout=self.timeout_s, follow_redirects=True) as response:
                    if response.status_code in TRANSIENT_STATUS and attempt < self.retries:
                        self.retried += 1
                        self.pause(self.backoff(attempt))
                        continue
                    if response.status_code >= 400:
                        raise ProviderError(f"the video download failed with HTTP "
                                            f"{response.status_code} at {_where(url)}")
                    announced = _number(response.headers.get("content-length"))
                    expected = expected_bytes or (int(announced) if announced is not None else None)
                    if expected is not None and expected > max_bytes:
                        raise ProviderError(f"the video is {expected} bytes, more than the "
                                            f"{max_bytes} allowed (MAX_DOWNLOAD_MB)")
                    with atomic_path(path) as tmp, tmp.open("wb") as out:
                        for chunk in response.iter_bytes():
                            received += len(chunk)
                            if received > max_bytes:
                                raise ProviderError(f"the video is more than the {max_bytes} bytes "
                                                    f"allowed (MAX_DOWNLOAD_MB)")
                            digest.update(chunk)
                            out.write(chunk)
                        out.flush()
                        if expected is not None and received != expected:
                            raise ProviderError(f"the video download was cut short ({received} of "
                                                f"{expected} bytes)")
                return digest.hexdigest()
            except (httpx.TimeoutException, httpx.TransportError) as error:
                if isinstance(error, httpx.RemoteProtocolError):  # the body ended early
                    raise ProviderError(f"the video download was cut short ({received} bytes "
                                        f"received)") from None
                if attempt == self.retries:
                    raise ProviderError(f"the video download failed ({type(error).__name__})") from None
                self.retried += 1
                self.pause(self.backoff(attempt))
        raise ProviderError(f"the video download kept failing at {_where(url)}")


def same_origin(url: str, base: str) -> str:
    """``url`` if it is on ``base``'s scheme and host, so that credentials only go where they belong."""
    first, second = urlsplit(url), urlsplit(base)
    if (first.scheme, first.netloc) != (second.scheme, second.netloc):
        raise ProviderError(f"the provider answered with a link to {first.netloc or url!r}, not to "
                            f"{second.netloc}; refusing to send credentials there")
    return url


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"  # never the query, which may carry a signature


def _decoded(response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ProviderError(f"the provider answered with something that is not JSON "
                            f"(HTTP {response.status_code}, {response.headers.get('content-type', 'no type')})") from None


def _body(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:200]


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

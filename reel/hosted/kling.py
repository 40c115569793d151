"""Kling's own API, for AI Avatar (``/v1/videos/avatar/image2video``) and image-to-video
(``/v1/videos/image2video``, model ``kling-v2-1``).

Documented fields used (Kling AI API docs: authentication, the avatar image-to-video task, task
query, error codes):
- auth: a JWT (HS256, signed with the secret key) with ``iss`` = access key, ``exp`` = now + 30 min,
  ``nbf`` = now - 5 s, sent as ``Authorization: Bearer <token>``.
- submit: ``POST {base}/v1/videos/avatar/image2video`` with ``{"image", "sound_file", "prompt", "mode"}``
  (image and sound as Base64, mode ``std`` or ``pro``); image-to-video ``POST {base}/v1/videos/image2video``
  with ``{"model_name", "image", "prompt", "negative_prompt", "duration": "5" | "10", "mode"}``; answer
  ``{"code": 0, "data": {"task_id", "task_status"}}``.
- query: ``GET {base}/v1/videos/avatar/image2video/{task_id}`` (or ``.../image2video/{task_id}``) -> ``data.task_status`` ``submitted`` |
  ``processing`` | ``succeed`` | ``failed`` (with ``task_status_msg``); on success
  ``data.task_result.videos[0].{url, duration}``.
- errors: a non-zero ``code``: 1000-1004 authentication, 1100-1103 account (arrears, no resource
  pack: out of credit, HTTP 429 but not worth retrying), 1200-1201 bad request, 1300-1301 refused
  content, 1302-1303 rate and concurrency limits (retried), 5000-5002 server side (retried).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from reel.hosted.base import Progress, VideoJob, message_of
from reel.hosted.http import HostedHttp, ProviderError

PATH = "/v1/videos/avatar/image2video"
I2V_PATH = "/v1/videos/image2video"
I2V_MODEL = "kling-v2-1"
MODES = {"standard": "std", "pro": "pro"}


def jwt_token(access_key: str, secret_key: str, now: float | None = None) -> str:
    """Kling's bearer token: a 30-minute HS256 JWT issued by the access key."""
    now = int(time.time() if now is None else now)

    def part(value: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=")

    signed = part({"alg": "HS256", "typ": "JWT"}) + b"." + part({"iss": access_key, "exp": now + 1800, "nbf": now - 5})
    signature = base64.urlsafe_b64encode(hmac.new(secret_key.encode(), signed, hashlib.sha256).digest()).rstrip(b"=")
    return (signed + b"." + signature).decode("ascii")


@dataclass
class KlingProvider:
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    base_url: str
    tier: str
    name: str = "kling"
    _paths: dict[str, str] = field(default_factory=dict, repr=False)  # task -> the API path that made it

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {jwt_token(self.access_key, self.secret_key)}"}

    def explain(self, status: int, body: Any) -> str | None:
        code = body.get("code") if isinstance(body, dict) else None
        text = message_of(body)
        if status == 401 or (isinstance(code, int) and 1000 <= code < 1100):
            return (f"Kling refused the credentials (REEL_KLING_ACCESS_KEY / REEL_KLING_SECRET_KEY): {text}; "
                    f"check them in the Kling developer console")
        if isinstance(code, int) and 1100 <= code < 1200:
            return f"the Kling account cannot pay for this ({text}); top it up or buy a resource pack"
        if isinstance(code, int) and code in (1300, 1301):
            return f"Kling refused the content: {text}"
        if status in (429,) or (isinstance(code, int) and (code in (1302, 1303) or code >= 5000)) or status >= 500:
            return None  # rate limits and server trouble: retried
        return f"Kling rejected the request (HTTP {status}, code {code}): {text}"

    def _data(self, answer: Any, doing: str) -> dict:
        if not isinstance(answer, dict) or answer.get("code") != 0 or not isinstance(answer.get("data"), dict):
            final = self.explain(200, answer) or f"Kling could not {doing}: {message_of(answer)}"
            raise ProviderError(final)
        return answer["data"]

    def submit(self, http: HostedHttp, job: VideoJob) -> str:
        body = {"image": base64.b64encode(job.image_jpeg).decode("ascii"), "prompt": job.prompt, "mode": MODES[self.tier]}
        if job.audio_wav is not None:
            path, body["sound_file"] = PATH, base64.b64encode(job.audio_wav).decode("ascii")
        else:
            path = I2V_PATH
            body.update(model_name=I2V_MODEL, negative_prompt=job.negative_prompt, duration=str(round(job.seconds)))
        answer = http.json("POST", self.base_url.rstrip("/") + path, self.headers(), body)
        task = self._data(answer, "start the task").get("task_id")
        if not task:
            raise ProviderError(f"Kling answered the submission without a task id: {message_of(answer)}")
        self._paths[str(task)] = path
        return str(task)

    def poll(self, http: HostedHttp, task_id: str) -> Progress:
        data = self._data(http.json("GET", f"{self.base_url.rstrip('/')}{self._paths[task_id]}/{task_id}",
                                    self.headers()), "report the task")
        state = data.get("task_status")
        if state in ("submitted", "processing"):
            return Progress(False, "in queue" if state == "submitted" else "generating")
        if state == "failed":
            text = data.get("task_status_msg") or "no reason given"
            refused = any(word in text.lower() for word in ("risk", "policy", "content", "sensitive"))
            raise ProviderError(f"Kling {'refused the content' if refused else 'failed the task'} {task_id}: {text}")
        if state != "succeed":
            raise ProviderError(f"Kling reported an unknown status for task {task_id}: {state!r}")
        videos = (data.get("task_result") or {}).get("videos") or []
        if not videos or not videos[0].get("url"):
            raise ProviderError(f"Kling finished task {task_id} without a video")
        duration = videos[0].get("duration")
        return Progress(True, "done", videos[0]["url"], None, float(duration) if duration else None)

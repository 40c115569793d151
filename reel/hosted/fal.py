"""fal.ai's queue API, for Kling AI Avatar v2 (``fal-ai/kling-video/ai-avatar/v2/standard|pro``) and
Kling 2.1 image-to-video (``fal-ai/kling-video/v2.1/standard|pro/image-to-video``).

Documented fields used (fal.ai docs: "Asynchronous Inference" / the queue OpenAPI, and the model's
API page):
- submit: ``POST {queue}/{endpoint}`` with ``Authorization: Key <key>`` and the model input: avatar
  ``{"image_url", "audio_url", "prompt"}``, image-to-video ``{"image_url", "prompt", "negative_prompt",
  "duration": "5" | "10"}`` (file inputs may be data URIs); answer
  ``{"request_id", "status_url", "response_url"}``.
- status: ``GET status_url`` -> ``{"status": "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED", "queue_position"}``;
  a failed request completes with ``"error"`` and ``"error_type"``.
- result: ``GET response_url`` -> ``{"video": {"url", "file_size", "content_type"}, "duration"}``.
- errors: 401/403 bad key, 403 "Exhausted balance" (the account is out of credit), 422 with
  ``detail[].type == "content_policy_violation"`` for refused content, other 4xx for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reel.hosted.base import Progress, VideoJob, data_uri, message_of
from reel.hosted.http import HostedHttp, ProviderError, same_origin

ENDPOINTS = {"standard": "fal-ai/kling-video/ai-avatar/v2/standard", "pro": "fal-ai/kling-video/ai-avatar/v2/pro"}
I2V_ENDPOINTS = {"standard": "fal-ai/kling-video/v2.1/standard/image-to-video",
                 "pro": "fal-ai/kling-video/v2.1/pro/image-to-video"}


@dataclass
class FalProvider:
    key: str = field(repr=False)
    base_url: str
    tier: str
    name: str = "fal"
    _results: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # task -> (status, result URL)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.key}"}

    def explain(self, status: int, body: Any) -> str | None:
        text = message_of(body)
        if status == 401 or (status == 403 and "balance" not in text.lower()):
            return "fal.ai refused the API key (REEL_FAL_KEY); check it at https://fal.ai/dashboard/keys"
        if status in (402, 403):
            return f"the fal.ai account is out of credit ({text}); top it up at https://fal.ai/dashboard/billing"
        if status == 422 and "content_policy" in str(body):
            return f"fal.ai refused the content: {text}"
        if 400 <= status < 500 and status != 429:
            return f"fal.ai rejected the request (HTTP {status}): {text}"
        return None

    def submit(self, http: HostedHttp, job: VideoJob) -> str:
        image = data_uri(job.image_jpeg, "image/jpeg")
        if job.audio_wav is not None:
            endpoint, body = ENDPOINTS[self.tier], {"image_url": image, "audio_url": data_uri(job.audio_wav, "audio/wav"),
                                                    "prompt": job.prompt or "."}
        else:
            endpoint, body = I2V_ENDPOINTS[self.tier], {"image_url": image, "prompt": job.prompt,
                                                        "negative_prompt": job.negative_prompt,
                                                        "duration": str(round(job.seconds))}
        answer = http.json("POST", f"{self.base_url.rstrip('/')}/{endpoint}", self.headers(), body)
        try:
            task = str(answer["request_id"])
            self._results[task] = (same_origin(answer["status_url"], self.base_url),
                                   same_origin(answer["response_url"], self.base_url))
        except (KeyError, TypeError):
            raise ProviderError(f"fal.ai answered the submission without a request id: {message_of(answer)}") from None
        return task

    def poll(self, http: HostedHttp, task_id: str) -> Progress:
        status_url, response_url = self._results[task_id]
        status = http.json("GET", status_url, self.headers())
        state = status.get("status") if isinstance(status, dict) else None
        if state == "IN_QUEUE":
            return Progress(False, f"in queue, position {status.get('queue_position', '?')}")
        if state == "IN_PROGRESS":
            return Progress(False, "generating")
        if state != "COMPLETED":
            raise ProviderError(f"fal.ai reported an unknown status for request {task_id}: {message_of(status)}")
        if status.get("error"):  # a failed request completes with its error
            refused = "content_policy" in str(status.get("error_type", "")) + str(status["error"])
            raise ProviderError(f"fal.ai {'refused the content' if refused else 'failed the request'}: "
                                f"{message_of({'error': status['error']})}")
        result = http.json("GET", response_url, self.headers())
        video = result.get("video") if isinstance(result, dict) else None
        if not isinstance(video, dict) or not video.get("url"):
            raise ProviderError(f"fal.ai finished request {task_id} without a video: {message_of(result)}")
        return Progress(True, "done", video["url"], video.get("file_size"), result.get("duration"))

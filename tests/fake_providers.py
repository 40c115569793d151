"""A fake hosted video provider on loopback for contract tests: fal.ai's queue API and Kling's API
(avatar and image-to-video), built from their documented request and response shapes (see reel/hosted/fal.py and kling.py).

It checks credentials the way the real services do (fal: ``Authorization: Key``; Kling: an HS256
JWT issued by the access key), and answers a submitted portrait + speech with a real MP4 as long as
the speech: the portrait with a bar sweeping across it, so frames visibly change. ``scenario``
picks a failure: bad-key, quota, refused, never (a task that never finishes), burst (429s, then
fine), burst-forever, truncated (the download ends early).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import subprocess
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

FAL_KEY = "fal-test-key-0123456789abcdef"
KLING_ACCESS, KLING_SECRET = "kling-test-access-0123456789", "kling-test-secret-abcdef98765"
FPS, SIZE = 25, (540, 960)


class FakeProvider:
    def __init__(self, scenario: str = "ok", bursts: int = 3):
        self.scenario, self.bursts = scenario, bursts
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.bodies: list[dict] = []  # every JSON body submitted
        self.videos: dict[str, bytes] = {}
        self.durations: dict[str, float] = {}
        self.polls: dict[str, int] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the two APIs -------------------------------------------------------------------------

    def fal(self, method: str, path: str, headers, body: dict | None):
        if headers.get("Authorization") != f"Key {FAL_KEY}" or self.scenario == "bad-key":
            return 401, {"detail": "Invalid API key"}
        if self.scenario == "quota":
            return 403, {"detail": "User is locked. Reason: Exhausted balance. Top up your balance."}
        if method == "POST":
            if self.scenario == "refused":
                return 422, {"detail": [{"loc": ["body", "image_url"], "msg": "The image was flagged by the "
                                         "content checker", "type": "content_policy_violation"}]}
            image = base64.b64decode(body["image_url"].split(",", 1)[1])
            if path.endswith("/image-to-video"):  # Kling 2.1 image-to-video: a clip of 5 or 10 s
                assert body["duration"] in ("5", "10") and body["prompt"]
                task = self._task(image, seconds=float(body["duration"]))
            else:
                task = self._task(image, seconds=wav_seconds(base64.b64decode(body["audio_url"].split(",", 1)[1])))
            app = "/fal-ai/kling-video"
            return 200, {"request_id": task, "status_url": f"{self.url}{app}/requests/{task}/status",
                         "response_url": f"{self.url}{app}/requests/{task}", "cancel_url": f"{self.url}{app}/x"}
        task = path.split("/requests/")[1].split("/")[0]
        if path.endswith("/status"):
            state = self._state(task)
            return 200, {"status": {"queued": "IN_QUEUE", "running": "IN_PROGRESS", "done": "COMPLETED"}[state],
                         "queue_position": 0, "response_url": f"{self.url}/fal-ai/kling-video/requests/{task}"}
        return 200, {"video": {"url": f"{self.url}/files/{task}.mp4", "content_type": "video/mp4",
                               "file_size": len(self.videos[task])}, "duration": self.durations[task]}

    def kling(self, method: str, path: str, headers, body: dict | None):
        if not self._valid_jwt(headers.get("Authorization", "")) or self.scenario == "bad-key":
            return 401, {"code": 1004, "message": "Authorization is not valid", "request_id": "r"}
        if self.scenario == "quota":
            return 429, {"code": 1102, "message": "Account balance not enough", "request_id": "r"}
        if method == "POST":
            assert body["mode"] in ("std", "pro")
            if path == "/v1/videos/image2video":
                assert body["model_name"] and body["duration"] in ("5", "10") and body["prompt"]
                task = self._task(base64.b64decode(body["image"]), seconds=float(body["duration"]))
            else:
                task = self._task(base64.b64decode(body["image"]), wav_seconds(base64.b64decode(body["sound_file"])))
            return 200, {"code": 0, "message": "SUCCEED", "request_id": "r",
                         "data": {"task_id": task, "task_status": "submitted"}}
        task = path.rsplit("/", 1)[1]
        state = self._state(task)
        data = {"task_id": task, "task_status": {"queued": "submitted", "running": "processing",
                                                   "done": "succeed"}[state]}
        if self.scenario == "refused" and state == "done":
            data.update(task_status="failed", task_status_msg="Failure to pass the risk control system")
        elif state == "done":
            data["task_result"] = {"videos": [{"id": "v", "url": f"{self.url}/files/{task}.mp4",
                                               "duration": f"{self.durations[task]:.1f}"}]}
        return 200, {"code": 0, "message": "SUCCEED", "request_id": "r", "data": data}

    # --- helpers ------------------------------------------------------------------------------

    def _valid_jwt(self, header: str) -> bool:
        try:
            signed, signature = header.removeprefix("Bearer ").rsplit(".", 1)
            expected = base64.urlsafe_b64encode(hmac.new(KLING_SECRET.encode(), signed.encode(),
                                                         hashlib.sha256).digest()).rstrip(b"=").decode()
            claims = json.loads(base64.urlsafe_b64decode(signed.split(".")[1] + "=="))
            return hmac.compare_digest(signature, expected) and claims["iss"] == KLING_ACCESS
        except (ValueError, KeyError, IndexError):
            return False

    def _state(self, task: str) -> str:
        self.polls[task] = self.polls.get(task, 0) + 1
        if self.scenario == "never":
            return "queued"
        return ["queued", "running", "done"][min(self.polls[task] - 1, 2)]

    def _task(self, image_jpeg: bytes, seconds: float) -> str:
        task = f"task-{len(self.videos) + 1}"
        portrait = cv2.imdecode(np.frombuffer(image_jpeg, np.uint8), cv2.IMREAD_COLOR)
        self.durations[task] = seconds
        self.videos[task] = talking_video(cv2.resize(portrait, SIZE), seconds)
        return task


def wav_seconds(audio_wav: bytes) -> float:
    with wave.open(io.BytesIO(audio_wav)) as audio:
        return audio.getnframes() / audio.getframerate()


def talking_video(portrait_bgr: np.ndarray, seconds: float) -> bytes:
    """An H.264 MP4 at 25 fps, ``seconds`` long: the portrait with a light bar sweeping down it,
    darkening by 30 % over the clip (as a real clip drifts away from the portrait it started from)."""
    from reel.media.ffmpeg import ffmpeg_exe

    frames = max(1, round(seconds * FPS))
    raw = bytearray()
    for index in range(frames):
        frame = (portrait_bgr * (1 - 0.3 * index / frames)).astype(np.uint8)
        row = int(index / frames * SIZE[1])
        frame[row:row + 24] = (frame[row:row + 24] * 0.4 + 150).astype(np.uint8)
        raw += frame.tobytes()
    argv = [ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{SIZE[0]}x{SIZE[1]}", "-r",
            str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags",
            "frag_keyframe+empty_moov", "-f", "mp4", "-"]
    return subprocess.run(argv, input=bytes(raw), capture_output=True, check=True).stdout


def _handler_class(fake: FakeProvider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, method: str) -> None:
            fake.requests.append((method, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            if body is not None:
                fake.bodies.append(body)
            if self.path.startswith("/files/"):
                return self._file(self.path[len("/files/"):].removesuffix(".mp4"))
            if fake.scenario.startswith("burst") and method == "POST" and (
                    fake.scenario == "burst-forever" or sum(m == "POST" for m, _ in fake.requests) <= fake.bursts):
                return self._json(429, {"detail": "Too many requests", "code": 1302}, {"Retry-After": "0"})
            api = fake.kling if self.path.startswith("/v1/") else fake.fal
            status, answer = api(method, self.path, self.headers, body)
            self._json(status, answer)

        def _json(self, status: int, answer: dict, extra: dict | None = None) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _file(self, task: str) -> None:
            data = fake.videos[task]
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2] if fake.scenario == "truncated" else data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    return Handler

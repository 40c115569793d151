"""A small read-only HTTP server for the output folder, so reviewers can play reels from the Prefect UI:

    .venv/bin/python -m flows.files --root out --host 0.0.0.0 --port 4300

then set REEL_PUBLIC_BASE_URL=http://<this machine>:4300 where the flows run. It serves files only
(no listings, nothing outside the root, no hidden files), with byte ranges so a browser can seek.
`python -m flows.serve` starts one on its own.
"""

from __future__ import annotations

import argparse
import mimetypes
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

TYPES = {".mp4": "video/mp4", ".json": "application/json", ".ass": "text/plain; charset=utf-8",
         ".png": "image/png", ".md": "text/markdown; charset=utf-8"}


class OutputFiles(BaseHTTPRequestHandler):
    root: Path  # set by serve_files
    server_version = "reel-files"

    def do_HEAD(self) -> None:  # the names http.server calls
        self._send(body=False)

    def do_GET(self) -> None:
        self._send(body=True)

    def log_message(self, format: str, *args) -> None:  # quiet: the UI's requests are not news
        pass

    def _file(self) -> Path | None:
        parts = unquote(urlsplit(self.path).path).split("/")
        if any(part.startswith(".") for part in parts if part):
            return None
        path = (self.root / "/".join(p for p in parts if p)).resolve()
        return path if path.is_file() and path.is_relative_to(self.root) else None

    def _send(self, body: bool) -> None:
        path = self._file()
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND, "no such file")
            return
        size = path.stat().st_size
        start, end = 0, size - 1
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if match and (match[1] or match[2]):
            if match[1]:
                start, end = int(match[1]), min(int(match[2] or size - 1), size - 1)
            else:  # the last N bytes
                start = max(size - int(match[2]), 0)
            if start > end:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.end_headers()
                return
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(HTTPStatus.OK)
        kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")  # a re-rendered reel keeps its address
        self.end_headers()
        if body:
            with path.open("rb") as handle:
                handle.seek(start)
                try:
                    _copy(handle, self.wfile, end - start + 1)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the browser stopped reading (it seeks with a new request)


def _copy(source, target, length: int) -> None:
    while length > 0:
        chunk = source.read(min(length, 1 << 16))
        if not chunk:
            return
        target.write(chunk)
        length -= len(chunk)


def serve_files(root: Path, host: str = "127.0.0.1", port: int = 4300) -> ThreadingHTTPServer:
    """Start serving ``root`` in a background thread; returns the server (``.shutdown()`` stops it)."""
    root.mkdir(parents=True, exist_ok=True)
    handler = type("Handler", (OutputFiles,), {"root": root.resolve()})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise SystemExit(f"error: cannot serve reels at {host}:{port}: {error.strerror}; choose another port") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="reel-files", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the output folder read-only over HTTP.")
    parser.add_argument("--root", default="out", help="the folder to serve (the flows' out_root)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    parser.add_argument("--port", type=int, default=4300)
    args = parser.parse_args()
    server = serve_files(Path(args.root), args.host, args.port)
    print(f"serving {Path(args.root).resolve()} at http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()

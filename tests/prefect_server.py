"""A real Prefect server, workers and served deployments as separate processes on loopback, for the
end-to-end tests (marked `e2e`). Each process writes its output to a log file under the test's folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Processes:
    """Starts commands in their own sessions (so a whole worker, children included, can be killed) and
    stops them all at the end."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env, self.started = folder, env, []

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, cwd=PROJECT, env=self.env | env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.started.append(process)
        return process

    def run(self, argv: list[str], timeout: float = 180, **env: str) -> str:
        result = subprocess.run(argv, cwd=PROJECT, env=self.env | env, capture_output=True, text=True, timeout=timeout,
                                check=False)
        assert result.returncode == 0, f"{' '.join(argv)} failed: {result.stdout[-2000:]} {result.stderr[-2000:]}"
        return result.stdout

    def stop_all(self) -> None:
        for process in self.started:
            kill_group(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_group(process.pid, signal.SIGKILL)


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def start_server(processes: Processes, home: Path) -> str:
    """`prefect server start` on a free loopback port with its own SQLite database; returns the API URL."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    processes.env |= {"PREFECT_HOME": str(home), "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                      "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port),
                      "PREFECT_UI_API_URL": api}
    processes.start("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)])

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(healthy, 120, "the Prefect server")
    return api


def base_env(tmp: Path) -> dict[str, str]:
    """The environment of every process: this interpreter's tools first, a cache of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "REEL_CACHE_DIR": str(tmp / "cache"),
                  "PWD": str(PROJECT), "PYTHONUNBUFFERED": "1"}

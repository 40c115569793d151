"""The reel file server: what a reviewer's browser may fetch from the output folder, and how."""

import http.client

import pytest

from flows.files import serve_files


@pytest.fixture
def served(tmp_path):
    (tmp_path / "out" / "spring").mkdir(parents=True)
    (tmp_path / "out" / "spring" / "reel.mp4").write_bytes(bytes(range(256)) * 40)  # 10240 bytes
    (tmp_path / "out" / ".spring-x1").mkdir()
    (tmp_path / "out" / ".spring-x1" / "reel.mp4").write_bytes(b"partial")
    (tmp_path / "secret.txt").write_text("outside the root")
    server = serve_files(tmp_path / "out", port=0)
    yield server.server_address[1], tmp_path / "out" / "spring" / "reel.mp4"
    server.shutdown()


def fetch(port: int, path: str, method: str = "GET", **headers) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_a_reel_is_served_whole_with_its_type(served):
    port, reel = served
    status, headers, body = fetch(port, "/spring/reel.mp4")
    assert (status, headers["Content-Type"], headers["Accept-Ranges"]) == (200, "video/mp4", "bytes")
    assert body == reel.read_bytes() and headers["Content-Length"] == "10240"
    status, headers, body = fetch(port, "/spring/reel.mp4", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, "10240", b"")


@pytest.mark.parametrize(("asked", "first", "last"), [("bytes=100-199", 100, 199), ("bytes=10000-", 10000, 10239),
                                                       ("bytes=-40", 10200, 10239), ("bytes=10200-99999", 10200, 10239)])
def test_byte_ranges_let_a_browser_seek(served, asked, first, last):
    port, reel = served
    status, headers, body = fetch(port, "/spring/reel.mp4", Range=asked)
    assert status == 206 and headers["Content-Range"] == f"bytes {first}-{last}/10240"
    assert body == reel.read_bytes()[first:last + 1]


def test_a_range_past_the_end_is_refused(served):
    status, headers, _ = fetch(served[0], "/spring/reel.mp4", Range="bytes=20000-")
    assert status == 416 and headers["Content-Range"] == "bytes */10240"


@pytest.mark.parametrize("path", ["/", "/spring", "/spring/", "/../secret.txt", "/spring/../../secret.txt",
                                  "/%2e%2e/secret.txt", "/.spring-x1/reel.mp4", "/spring/missing.mp4"])
def test_nothing_but_published_files_is_served(served, path):
    status, _, body = fetch(served[0], path)
    assert status == 404 and b"outside the root" not in body and b"partial" not in body

"""Bad input loses nothing: 413 before the body is read whole, bombs refused, memory bounded."""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import socket
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from livepeer_reference_gateway import GatewaySettings, running_gateway
from livepeer_reference_gateway.server import gateway_process
from PIL import Image

MakeImage = Callable[..., bytes]
LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def small_limit_url() -> Iterator[str]:
    """A gateway whose upload limit is 256 KiB."""
    with running_gateway(GatewaySettings(max_upload_bytes=LIMIT)) as url:
        yield url


def _with_size(png: bytes, width: int, height: int) -> bytes:
    """`png` with its IHDR claiming `width` x `height` (CRC fixed): a header-only bomb."""
    ihdr_data = struct.pack(">II", width, height) + png[24:29]
    chunk = b"IHDR" + ihdr_data
    return png[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + png[33:]


def test_body_over_the_limit_gets_413_from_content_length(small_limit_url: str) -> None:
    """Only the declared length can refuse this: not one byte of the body is ever sent."""
    url = urlsplit(small_limit_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.putrequest("POST", "/upscale")
        connection.putheader("Content-Type", "multipart/form-data; boundary=b")
        connection.putheader("Content-Length", str(LIMIT + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read()) == {
            "detail": {"msg": f"the body is over the limit of {LIMIT} bytes"}
        }
    finally:
        connection.close()


def test_streamed_body_without_length_gets_413_by_counting(small_limit_url: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\n\r\n'
        for _ in range(64):  # 4 MiB of file part, sixteen times the limit
            yield b"\x00" * 65536

    headers = {"content-type": "multipart/form-data; boundary=b"}
    response = httpx.post(f"{small_limit_url}/upscale", content=chunks(), headers=headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_endless_chunked_body_is_cut_off_after_its_413(small_limit_url: str) -> None:
    """After refusing a body the gateway closes the connection: an endless chunked upload is
    stopped within a few socket buffers of the limit, not read until the body deadline."""
    url = urlsplit(small_limit_url)
    chunk = _chunk(b"\x00" * 65536)
    sent = 0
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=10) as sock:
        sock.sendall(
            b"POST /upscale HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
            + _chunk(
                b'--b\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\n\r\n'
            )
        )
        with pytest.raises((BrokenPipeError, ConnectionResetError, TimeoutError)):
            while sent < 4096 * LIMIT:  # 1 GiB: far past anything a closed connection takes
                sock.sendall(chunk)
                sent += len(chunk)
    assert sent < 64 * LIMIT, f"{sent} bytes were taken before the connection closed"


def test_json_body_over_the_limit_gets_413(small_limit_url: str) -> None:
    body = {"prompt": "p" * (LIMIT + 10)}
    assert httpx.post(f"{small_limit_url}/text-to-image", json=body).status_code == 413


def test_client_leaving_mid_body_is_no_error(
    small_limit_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that gives up while sending (a timeout) is routine, not a logged server error."""
    parts = urlsplit(small_limit_url)
    with (
        caplog.at_level(logging.WARNING),
        socket.create_connection((parts.hostname, parts.port)) as sock,
    ):
        sock.sendall(
            b"POST /image-to-image HTTP/1.1\r\nHost: gateway\r\n"
            b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 500\r\n\r\n"
            b'--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nhi\r\n'
        )
        time.sleep(0.3)  # let the gateway start reading the body before the client leaves
    time.sleep(0.5)  # and notice that it left
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_decompression_bomb_is_refused_without_decoding(
    client: httpx.Client, make_image: MakeImage
) -> None:
    bomb = _with_size(make_image(1, 1), 8_000, 8_000)  # 64 Mpx claimed by a 70-byte file
    assert Image.open(io.BytesIO(bomb)).size == (8_000, 8_000)
    for path in ("/image-to-image", "/upscale"):
        response = client.post(
            path, files={"image": ("bomb.png", bomb, "image/png")}, data={"prompt": "p"}
        )
        assert response.status_code == 400
        assert "over the limit" in response.json()["detail"]["msg"]


def test_real_image_just_over_the_pixel_limit_is_400(client: httpx.Client) -> None:
    buffer = io.BytesIO()
    Image.new("1", (2049, 2048)).save(buffer, format="PNG")  # 4.2 Mpx, a few hundred bytes
    files = {"image": ("wide.png", buffer.getvalue(), "image/png")}
    assert client.post("/image-to-image", files=files, data={"prompt": "p"}).status_code == 400


def test_upscale_input_is_capped_so_its_output_stays_bounded(
    client: httpx.Client, make_image: MakeImage
) -> None:
    cap = GatewaySettings().max_upscale_input_pixels
    files = {"image": ("in.png", make_image(cap // 256 + 1, 256), "image/png")}
    response = client.post("/upscale", files=files, data={"prompt": "p"})
    assert response.status_code == 400
    assert "over the limit" in response.json()["detail"]["msg"]


def test_bomb_beyond_pillows_own_limit_is_400(client: httpx.Client, make_image: MakeImage) -> None:
    bomb = _with_size(make_image(1, 1), 100_000, 100_000)
    files = {"image": ("bomb.png", bomb, "image/png")}
    assert client.post("/upscale", files=files, data={"prompt": "p"}).status_code == 400


def _peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_memory_stays_bounded_under_a_20_mb_upload(make_image: MakeImage) -> None:
    """Peak RSS of a gateway subprocess grows less than 64 MiB while it takes a 20 MB upload."""
    with gateway_process("--log-level", "warning") as (url, process):
        with httpx.Client(base_url=url, timeout=60) as http:
            warm = {"image": ("w.png", make_image(64, 64), "image/png")}
            assert http.post("/upscale", files=warm, data={"prompt": "p"}).status_code == 200
            before = _peak_rss_kib(process.pid)
            padded = make_image(64, 64) + os.urandom(20_000_000)
            files = {"image": ("big.png", padded, "image/png")}
            response = http.post("/upscale", files=files, data={"prompt": "p"})
            assert response.status_code == 200
            assert len(response.json()["images"]) == 1
            after = _peak_rss_kib(process.pid)
        growth = f"peak RSS grew {(after - before) / 1024:.1f} MiB ({before / 1024:.0f} MiB before)"
        print(growth)
        assert after - before < 64 * 1024, growth

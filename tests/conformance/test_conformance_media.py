"""Media a gateway returns that do not decode are departures, never a crash of the run."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Callable
from typing import Any

import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.config import RunConfig
from livepeer_conformance.exchanges import MAX_MEDIA_PIXELS, Exchange, MediaError, fetcher
from livepeer_gateway_spec import spec_path
from livepeer_reference_gateway.server import serving

#: The spec core's view of each operation, by path.
OPS = spec.served_operations(spec.load_spec(spec.spec_path()))


def _chunk(kind: bytes, data: bytes, length: int | None = None) -> bytes:
    size = len(data) if length is None else length
    return struct.pack(">I", size) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, ihdr_length: int | None = None) -> bytes:
    """A PNG of `width`x`height` with no pixel data; `ihdr_length` misstates its header's size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header, ihdr_length)
        + _chunk(b"IDAT", zlib.compress(b""))
        + _chunk(b"IEND", b"")
    )


#: Pillow raises ValueError ("Truncated IHDR chunk") on it, not OSError.
TRUNCATED_HEADER_PNG = _png(16, 16, ihdr_length=4)


def _answering_media(url: str) -> Callable[..., Any]:
    """An ASGI app answering every request with 200 and one media at `url`."""
    body = json.dumps({"images": [{"url": url, "seed": 1, "nsfw": False}]}).encode()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64," + base64.b64encode(TRUNCATED_HEADER_PNG).decode(),
        "http://\x00/image.png",  # httpx raises InvalidURL, which is not an HTTPError
    ],
    ids=["png-raising-value-error", "invalid-http-url"],
)
def test_undecodable_media_is_a_departure(
    url: str, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gateway returning such a media fails `urls_fetch_and_decode`; the run ends normally."""
    monkeypatch.delenv("LIVEPEER_GATEWAY_TOKEN", raising=False)
    with serving(_answering_media(url)) as base_url:
        result = run_cli(
            *("--base-url", base_url, "--operation", "textToImage"),
            *("--max-requests", "40", "--max-examples", "2", "--seed", "7"),
        )
    assert result.code == 1, result.stderr
    assert "urls_fetch_and_decode" in result.failed_checks()
    assert "Traceback" not in result.stdout + result.stderr


def test_huge_media_is_refused_before_decoding() -> None:
    """An image whose header claims more than MAX_MEDIA_PIXELS is a failure, not a decode."""
    side = 5000
    assert side * side > MAX_MEDIA_PIXELS
    media = {"url": "data:,x", "seed": 1, "nsfw": False}
    exchange = Exchange(
        OPS["/text-to-image"],
        {},
        None,
        200,
        {"images": [media]},
        fetch=lambda url: _png(side, side),
    )
    [outcome] = exchange.decoded()
    assert isinstance(outcome, MediaError) and f"{side}x{side}" in str(outcome)


class _Stop(Exception):
    """What the test's budget raises when it is spent."""


_CONFIG = RunConfig(spec_path=spec_path(), request_timeout=1.0)


def _spent() -> None:
    raise _Stop


def test_budget_spent_during_a_fetch_stops_the_phase() -> None:
    """`spend` raising before an http fetch propagates, rather than becoming a media failure."""
    media = {"url": "http://127.0.0.1:9/image.png", "seed": 1, "nsfw": False}
    exchange = Exchange(
        OPS["/text-to-image"], {}, None, 200, {"images": [media]}, fetch=fetcher(_CONFIG, _spent)
    )
    with pytest.raises(_Stop):
        exchange.decoded()

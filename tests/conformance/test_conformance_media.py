"""Media a gateway returns that do not decode are departures, never a crash of the run."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, get_args

import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.bounded import MAX_MEDIA_BYTES, MAX_MEDIA_REDIRECTS
from livepeer_conformance.config import EmbeddedMediaUrls, RunConfig, Transport
from livepeer_conformance.exchanges import MAX_MEDIA_PIXELS, Exchange, MediaError
from livepeer_conformance.media import MediaFetcher
from livepeer_gateway_spec import spec_path
from livepeer_reference_gateway.server import serving
from livepeer_reference_gateway.settings import MediaUrls

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
        fetch=lambda url, operation: _png(side, side),
    )
    [outcome] = exchange.decoded()
    assert isinstance(outcome, MediaError) and f"{side}x{side}" in str(outcome)


def _media_host(mode: str) -> Callable[..., Any]:
    """A stdlib handler class serving every GET as `mode` says: `endless` bytes, or bytes `slow`ly.

    A plain `http.server`: a write to a connection the suite closed raises, which ends the answer.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk, pause = (b"\0" * 2**16, 0.0) if mode == "endless" else (b"\0", 0.2)
            stop = time.monotonic() + 30  # the test's own bound, far past the suite's
            with contextlib.suppress(OSError):
                while time.monotonic() < stop:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    time.sleep(pause)

    return Handler


@pytest.mark.parametrize(
    ("mode", "options", "per_image", "bound"),
    [
        (
            "slow",
            ("--timeout", "1", "--max-media-seconds", "2.5"),
            "no complete answer within 1 s",
            "the media time bound (2.5 s) was reached",
        ),
        (
            "endless",
            ("--max-media-bytes", str(MAX_MEDIA_BYTES)),
            f"larger than {MAX_MEDIA_BYTES} bytes",
            f"the media byte bound ({MAX_MEDIA_BYTES}) was reached",
        ),
    ],
)
def test_a_hostile_media_host_meets_the_media_bounds(
    mode: str,
    options: tuple[str, ...],
    per_image: str,
    bound: str,
    run_cli: Callable[..., Any],
    serve_in_thread: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An image that never ends is the gateway's departure; then the run's media bound stops
    the fetches, and the checks left unjudged are not covered; the run ends on its own."""
    monkeypatch.delenv("LIVEPEER_GATEWAY_TOKEN", raising=False)
    media_host = ThreadingHTTPServer(("127.0.0.1", 0), _media_host(mode))
    with (
        serve_in_thread(media_host) as media_base,
        serving(_answering_media(media_base + "/image.png")) as base_url,
    ):
        result = run_cli(
            *("--base-url", base_url, "--operation", "textToImage", *options),
            *("--max-requests", "30", "--max-examples", "2", "--seed", "7"),
        )
    report = result.report()
    fetch_failures = [
        c
        for d in report["departures"]
        for c in d["checks"]
        if c["check"] == "urls_fetch_and_decode"
    ]
    assert fetch_failures and per_image in fetch_failures[0]["reason"], fetch_failures
    assert report["media"]["bound_reached"] == bound
    assert report["requests_sent"] <= 30
    unjudged = [n for n in report["not_covered"] if "not judged" in n["why"]]
    assert unjudged and all(bound in n["why"] for n in unjudged)
    assert bound in result.stdout


def test_the_media_fetch_bound_leaves_checks_not_covered(run_cli: Callable[..., Any]) -> None:
    """A conforming gateway with http URLs, past `--max-media-fetches`: incomplete, never a
    silent pass; the fetches never came out of the request budget."""
    result = run_cli(
        *("--media-urls", "http", "--max-media-fetches", "3", "--operation", "textToImage"),
        *("--max-requests", "40", "--max-examples", "2", "--seed", "7"),
    )
    assert result.code == 3, result.stdout
    report = result.report()
    assert report["outcome"] == "incomplete"
    assert report["media"]["fetches"] == 3
    assert report["media"]["fetched"] == {"POST /text-to-image": 3}
    not_judged = {n["check"] for n in report["not_covered"] if "not judged" in n["why"]}
    assert "urls_fetch_and_decode" in not_judged
    reached = "the media fetch bound (3) was reached"
    assert all(reached in n["why"] for n in report["not_covered"] if "not judged" in n["why"])
    spent = sum(row["spent"] for row in report["schedule"])
    assert report["requests_sent"] == spent


def test_the_dry_run_plans_the_media_fetches(run_cli: Callable[..., Any]) -> None:
    """`--dry-run` counts the most media URLs the planned answers may point to, per phase."""
    livepeer = run_cli("--dry-run", "--max-requests", "60", "--max-media-fetches", "7")
    core = run_cli("--dry-run", "--max-requests", "60", "--profile", "core")
    assert livepeer.code == core.code == 0
    [line] = [x for x in livepeer.stdout.splitlines() if x.startswith("media fetches, at most")]
    assert int(line.split()[4]) > 0 and "bounds: 7 fetches" in line
    assert "media fetches, at most: 0 " in core.stdout


class _Routes(ThreadingHTTPServer):
    """A loopback host answering GET paths from `routes` (a redirect target or PNG bytes),
    recording the headers of each request."""

    def __init__(self, routes: dict[str, str | bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _RoutesHandler)
        self.routes = routes
        self.seen: list[tuple[str, dict[str, str]]] = []


class _RoutesHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Routes

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append((self.path, dict(self.headers.items())))
        target = self.server.routes[self.path]
        redirect = isinstance(target, str)
        self.send_response(302 if redirect else 200)
        if isinstance(target, str):
            self.send_header("Location", target)
        self.send_header("Content-Length", "0" if redirect else str(len(target)))
        self.end_headers()
        if not redirect:
            self.wfile.write(bytes(target))


def test_media_redirects_are_followed_with_each_hosts_own_headers(
    serve_in_thread: Callable[..., Any],
) -> None:
    """A media URL on the gateway's host gets the `-H` headers; the host it redirects to gets
    none of them; a redirect loop ends after `MAX_MEDIA_REDIRECTS` as the gateway's departure."""
    storage = _Routes({"/final.png": _png(8, 8)})
    with serve_in_thread(storage) as storage_url:
        gateway = _Routes({"/image.png": storage_url + "/final.png", "/loop.png": "/loop.png"})
        with serve_in_thread(gateway) as gateway_url:
            headers = (("X-Gateway-Key", "gateway-only-value"),)
            config = RunConfig(
                spec_path=spec_path(),
                base_url=gateway_url,
                request_timeout=5.0,
                transport=Transport(headers=headers),
            )
            fetch = MediaFetcher(config)
            assert fetch(gateway_url + "/image.png", "POST /text-to-image") == _png(8, 8)
            with pytest.raises(MediaError, match=f"more than {MAX_MEDIA_REDIRECTS} redirects"):
                fetch(gateway_url + "/loop.png", "POST /upscale")
    [(_, on_gateway)] = [s for s in gateway.seen if s[0] == "/image.png"]
    [(_, on_storage)] = storage.seen
    assert on_gateway.get("X-Gateway-Key") == "gateway-only-value"
    assert "X-Gateway-Key" not in on_storage
    assert len([s for s in gateway.seen if s[0] == "/loop.png"]) == MAX_MEDIA_REDIRECTS + 1
    assert fetch.fetched == {"POST /text-to-image": 1, "POST /upscale": 1}


def test_the_embedded_media_url_forms_are_the_reference_gateways() -> None:
    """`run --media-urls` offers exactly the forms the reference gateway serves."""
    assert get_args(EmbeddedMediaUrls) == get_args(MediaUrls)

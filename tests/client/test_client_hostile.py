"""The generated client against servers that flood, lie, trickle, stall, nest, redirect or crash.

Each test gives the client small bounds (a 1 MiB answer, a 1 s deadline) and checks that the call
ends in the documented error; a bound of a few seconds on the elapsed time only proves the call
ended rather than hung.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostile import Connection, head, hostile_server
from livepeer_gateway_client import AuthenticatedClient, Retries, errors
from livepeer_gateway_client.api.generate import text_to_image
from livepeer_gateway_client.models import ImageResponse, TextToImageParams

BODY = TextToImageParams(prompt="a lighthouse", width=64, height=64)
CAP = 2**20
DEADLINE = 1.0
#: Far above every bound used here: a call still running after it has hung.
HUNG = 10.0
#: The scripted servers check no token; the client still sends one.
TOKEN = "hostile-test-token"
VALID = json.dumps({"images": [{"url": "data:,", "seed": 7, "nsfw": False}]}).encode()


def bounded_client(url: str, **options: Any) -> AuthenticatedClient:
    settings: dict[str, Any] = {"max_answer_bytes": CAP, "timeout": DEADLINE, **options}
    return AuthenticatedClient(base_url=url, token=TOKEN, **settings)


def call(url: str, **options: Any) -> Any:
    with bounded_client(url, **options) as client:
        return text_to_image.sync(client=client, body=BODY)


def answer(status: int, body: bytes, *headers: str) -> bytes:
    return head(status, f"Content-Length: {len(body)}", *headers) + body


def endless(conn: Connection) -> None:
    if conn.read_request() and conn.send(head(200, "Content-Type: application/json")):
        while conn.send(b"x" * 65536):
            pass


def lying_length(conn: Connection) -> None:
    if conn.read_request() and conn.send(head(200, f"Content-Length: {2**40}")):
        while conn.send(b"x" * 65536):
            pass


def gzip_bomb_bytes() -> bytes:
    """64 MiB of zeros, gzip-compressed to some 64 KiB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(2**20)
    return b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip_bomb_bytes()


def trickle(conn: Connection) -> None:
    if conn.read_request() and conn.send(head(200, "Content-Length: 100000")):
        while conn.send(b" ") and conn.wait(0.05):
            pass


def stall(conn: Connection) -> None:
    if conn.read_request():
        conn.wait(HUNG)


def test_endless_body_stops_at_the_size_cap() -> None:
    with hostile_server(endless) as server, pytest.raises(errors.AnswerTooLarge) as caught:
        call(server.url)
    assert f"over max_answer_bytes ({CAP})" in str(caught.value)
    assert len(caught.value.content) <= errors.QUOTED_BODY_LENGTH


def test_lying_content_length_is_refused_before_reading() -> None:
    with hostile_server(lying_length) as server, pytest.raises(errors.AnswerTooLarge) as caught:
        call(server.url)
    assert f"Content-Length {2**40} is over max_answer_bytes" in str(caught.value)


def test_gzip_bomb_stops_at_the_decompressed_cap(gzip_bomb: bytes) -> None:
    def bomb(conn: Connection) -> None:
        if conn.read_request():
            conn.send(answer(200, gzip_bomb, "Content-Encoding: gzip"))

    assert len(gzip_bomb) < CAP
    with hostile_server(bomb) as server, pytest.raises(errors.AnswerTooLarge) as caught:
        call(server.url)
    assert "the decompressed body" in str(caught.value)


@pytest.mark.parametrize("script", [trickle, stall], ids=["trickle", "stall"])
def test_slow_answers_end_at_the_deadline(script: Any) -> None:
    with hostile_server(script) as server:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceeded) as caught:
            call(server.url)
        elapsed = time.monotonic() - started
    assert f"within the {DEADLINE:g} s deadline" in str(caught.value)
    assert isinstance(caught.value, httpx.TimeoutException)
    assert DEADLINE <= elapsed < HUNG


def test_trickle_ends_at_the_deadline_in_async_code() -> None:
    async def run(url: str) -> None:
        async with bounded_client(url) as client:
            await text_to_image.asyncio(client=client, body=BODY)

    with hostile_server(trickle) as server, pytest.raises(errors.DeadlineExceeded):
        asyncio.run(run(server.url))


def test_per_call_timeout_replaces_the_clients() -> None:
    with hostile_server(stall) as server, bounded_client(server.url, timeout=HUNG) as client:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceeded) as caught:
            text_to_image.sync(client=client, body=BODY, timeout=0.3)
        assert time.monotonic() - started < HUNG
    assert "within the 0.3 s deadline" in str(caught.value)


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_json_raises_answer_too_deep(depth: int) -> None:
    """40 levels parse but pass the cap; 100 000 would exhaust the parser's recursion."""
    deep = b"[" * depth + b"]" * depth

    def nested(conn: Connection) -> None:
        if conn.read_request():
            conn.send(answer(200, deep, "Content-Type: application/json"))

    with hostile_server(nested) as server, pytest.raises(errors.AnswerTooDeep) as caught:
        call(server.url)
    assert "deeper than max_json_depth (32)" in str(caught.value)


@pytest.fixture
def other_host() -> Iterator[Any]:
    """A second server, another origin, answering a valid image to whoever comes."""

    def valid(conn: Connection) -> None:
        while conn.read_request():
            conn.send(answer(200, VALID, "Content-Type: application/json"))

    with hostile_server(valid) as server:
        yield server


def test_redirect_to_another_host_is_not_followed(other_host: Any) -> None:
    def redirect(conn: Connection) -> None:
        if conn.read_request():
            conn.send(answer(302, b"", f"Location: {other_host.url}/text-to-image"))

    with hostile_server(redirect) as server, pytest.raises(errors.UnexpectedStatus) as caught:
        call(server.url)
    assert caught.value.status_code == 302
    assert other_host.requests == []


def test_followed_redirect_never_carries_the_token(other_host: Any) -> None:
    def redirect(conn: Connection) -> None:
        if conn.read_request():
            conn.send(answer(307, b"", f"Location: {other_host.url}/text-to-image"))

    with hostile_server(redirect) as server:
        result = call(server.url, follow_redirects=True)
    assert isinstance(result, ImageResponse)
    (received,) = other_host.requests
    assert b"authorization" not in {name.lower() for name, _ in received.headers}


def crash_then_drop(conn: Connection) -> None:
    """A 500 that leaves the connection open, then the next request dropped unanswered."""
    if conn.read_request():
        conn.send(answer(500, b"Internal Server Error", "Content-Type: text/plain"))
        conn.read_request()


def serve_valid(conn: Connection) -> None:
    while conn.read_request():
        conn.send(answer(200, VALID, "Content-Type: application/json"))


def test_request_after_a_crash_is_resent_on_a_new_connection() -> None:
    with (
        hostile_server(crash_then_drop, serve_valid) as server,
        bounded_client(server.url) as client,
    ):
        with pytest.raises(errors.ServerError):
            text_to_image.sync(client=client, body=BODY)
        result = text_to_image.sync(client=client, body=BODY)
    assert isinstance(result, ImageResponse)
    assert (len(server.requests), server.connections) == (3, 2)


def test_stale_connection_resend_can_be_turned_off() -> None:
    options = {"resend_on_stale_connection": False}
    with hostile_server(crash_then_drop, serve_valid) as server:
        with bounded_client(server.url, **options) as client:
            with pytest.raises(errors.ServerError):
                text_to_image.sync(client=client, body=BODY)
            with pytest.raises(httpx.RemoteProtocolError):
                text_to_image.sync(client=client, body=BODY)
    assert (len(server.requests), server.connections) == (2, 1)


def test_a_new_connection_dropped_after_sending_is_not_resent() -> None:
    """The gateway may have run it: only a reused connection's failure is resent."""

    def drop(conn: Connection) -> None:
        conn.read_request()

    with hostile_server(drop) as server, pytest.raises(httpx.RemoteProtocolError):
        call(server.url)
    assert len(server.requests) == 1


def busy_then(*answers: bytes) -> Any:
    """A script answering `answers` in turn to successive requests, then valid images."""
    queue = list(answers)

    def script(conn: Connection) -> None:
        while conn.read_request():
            conn.send(queue.pop(0) if queue else answer(200, VALID))

    return script


BUSY = answer(503, b'{"detail": {"msg": "no capacity"}}', "Retry-After: 0")


def test_retries_turn_503_into_success_when_asked() -> None:
    with hostile_server(busy_then(BUSY, BUSY)) as server:
        result = call(server.url, retries=Retries(attempts=2, backoff=0.01))
    assert isinstance(result, ImageResponse)
    assert len(server.requests) == 3


def test_without_retries_503_raises_retry_later_at_once() -> None:
    with hostile_server(busy_then(BUSY)) as server, pytest.raises(errors.RetryLater) as caught:
        call(server.url)
    assert (caught.value.retry_after, len(server.requests)) == (0.0, 1)


def test_retries_stop_at_their_count_and_waiting_budget() -> None:
    later = answer(429, b"slow down", "Retry-After: 3600")
    with hostile_server(busy_then(BUSY, BUSY, BUSY, BUSY)) as server:
        with pytest.raises(errors.RetryLater):
            call(server.url, retries=Retries(attempts=2, backoff=0.01))
    assert len(server.requests) == 3
    with hostile_server(busy_then(later)) as server, pytest.raises(errors.RetryLater) as caught:
        call(server.url, retries=Retries(max_wait=5.0))
    assert (caught.value.retry_after, len(server.requests)) == (3600.0, 1)


def test_a_500_is_retried_only_when_asked() -> None:
    failed = answer(500, b"boom")
    with hostile_server(busy_then(failed)) as server, pytest.raises(errors.ServerError):
        call(server.url, retries=Retries(backoff=0.01))
    assert len(server.requests) == 1
    with hostile_server(busy_then(failed)) as server:
        result = call(server.url, retries=Retries(backoff=0.01, after_sending=True))
    assert isinstance(result, ImageResponse) and len(server.requests) == 2


def test_connect_errors_are_retried_within_the_count() -> None:
    with hostile_server(serve_valid) as server:
        closed_url = server.url
    started = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        call(closed_url, retries=Retries(attempts=2, backoff=0.2))
    # Two waits of at least 0.1 s each (the backoff with jitter) prove the two retries happened.
    assert time.monotonic() - started >= 0.2

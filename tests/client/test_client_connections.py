"""How the client reaches the gateway: the URL of each operation and the reuse of connections.

The client joins an operation's path to its httpx client's base URL once and sends the absolute
URL after that (httpx would parse and join it again on every request); these tests hold the URL
it sends to the one httpx itself builds, whatever the base. The stale-connection resend learns
from httpcore's trace whether a request went out on a kept-alive connection; the asynchronous path
and a transport that traces nothing are checked here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from conftest import TEST_TOKEN, Recorder
from hostile import hostile_server
from livepeer_gateway_client import AuthenticatedClient, errors
from livepeer_gateway_client.api.generate import text_to_image, upscale
from livepeer_gateway_client.models import ImageResponse, TextToImageParams, UpscaleParams
from livepeer_gateway_client.types import File
from test_client_hostile import BODY, crash_then_drop, serve_valid


def sent_urls(client: AuthenticatedClient) -> list[httpx.URL]:
    """Every URL the client's httpx client sends to, recorded by an httpx event hook."""
    urls: list[httpx.URL] = []
    client.get_httpx_client().event_hooks["request"].append(
        lambda request: urls.append(request.url)
    )
    return urls


@pytest.mark.parametrize("prefix", ["", "/gw", "/gw/", "/a%20b/c"])
def test_operation_url_is_the_one_httpx_joins(
    recording_url: str, recorder: Recorder, prefix: str, png_bytes: bytes
) -> None:
    options: dict[str, Any] = {"httpx_args": {"params": {"tenant": "t1"}}}
    with AuthenticatedClient(
        base_url=recording_url + prefix, token=TEST_TOKEN, **options
    ) as client:
        urls = sent_urls(client)
        http = client.get_httpx_client()
        expected = [
            http.build_request("POST", "/text-to-image").url,
            http.build_request("POST", "/upscale").url,
        ]
        for _ in range(2):  # the second time from what was joined the first time
            text_to_image.sync(client=client, body=BODY)
            upscale.sync(
                client=client,
                body=UpscaleParams(image=File(payload=png_bytes, file_name="a.png"), prompt="x"),
            )
    assert urls == expected * 2
    assert str(urls[0]).count("tenant=t1") == 1
    assert [r.path for r in recorder.requests[:2]] == [httpx.URL(str(u)).path for u in expected]


def test_a_new_base_url_on_the_httpx_client_is_followed(
    recorder: Recorder, recording_url: str
) -> None:
    with AuthenticatedClient(base_url=recording_url + "/one", token=TEST_TOKEN) as client:
        text_to_image.sync(client=client, body=BODY)
        client.get_httpx_client().base_url = recording_url + "/two"
        text_to_image.sync(client=client, body=BODY)
    assert [r.path for r in recorder.requests] == ["/one/text-to-image", "/two/text-to-image"]


def test_async_calls_join_the_same_url(recorder: Recorder, recording_url: str) -> None:
    async def run() -> None:
        async with AuthenticatedClient(base_url=recording_url + "/gw", token=TEST_TOKEN) as client:
            for _ in range(2):
                assert isinstance(
                    await text_to_image.asyncio(client=client, body=BODY), ImageResponse
                )

    asyncio.run(run())
    assert [r.path for r in recorder.requests] == ["/gw/text-to-image"] * 2


def test_an_httpx_client_without_base_url_fails_as_httpx_does() -> None:
    client = AuthenticatedClient(base_url="http://127.0.0.1:9", token=TEST_TOKEN)
    client.set_httpx_client(httpx.Client())
    with pytest.raises(httpx.UnsupportedProtocol):
        text_to_image.sync(client=client, body=BODY)


def test_request_after_a_crash_is_resent_in_async_code() -> None:
    async def run(url: str) -> Any:
        async with AuthenticatedClient(base_url=url, token=TEST_TOKEN, timeout=10.0) as client:
            with pytest.raises(errors.ServerError):
                await text_to_image.asyncio(client=client, body=BODY)
            return await text_to_image.asyncio(client=client, body=BODY)

    with hostile_server(crash_then_drop, serve_valid) as server:
        result = asyncio.run(run(server.url))
    assert isinstance(result, ImageResponse)
    assert (len(server.requests), server.connections) == (3, 2)


def test_many_requests_on_one_connection_stay_on_it() -> None:
    """Reuse is read from the first traced event only: the rest of each exchange is untraced."""
    with hostile_server(serve_valid) as server:
        with AuthenticatedClient(base_url=server.url, token=TEST_TOKEN, timeout=10.0) as client:
            for _ in range(20):
                assert isinstance(text_to_image.sync(client=client, body=BODY), ImageResponse)
    assert (len(server.requests), server.connections) == (20, 1)


def test_a_transport_that_traces_nothing_is_never_resent() -> None:
    """Without httpcore's trace nothing says the connection was reused: the gateway may have
    run the request, so a lost connection is raised, not resent (httpx.MockTransport stands in
    for any transport that does not trace)."""
    sent: list[httpx.Request] = []

    def lose(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    client = AuthenticatedClient(base_url="http://gateway.invalid", token=TEST_TOKEN)
    client.set_httpx_client(
        httpx.Client(base_url="http://gateway.invalid", transport=httpx.MockTransport(lose))
    )
    with pytest.raises(httpx.RemoteProtocolError):
        text_to_image.sync(client=client, body=TextToImageParams(prompt="p"))
    assert len(sent) == 1


def test_the_answer_after_many_calls_still_parses(recording_client: AuthenticatedClient) -> None:
    """A valid answer read through the untraced path is the same typed result every time."""
    results = [text_to_image.sync(client=recording_client, body=BODY) for _ in range(3)]
    assert all(isinstance(r, ImageResponse) for r in results)
    assert len({r.images[0].url for r in results}) == 1


@pytest.mark.parametrize(
    ("first_event", "reused"),
    [
        ("connection.connect_tcp.started", False),
        ("connection.connect_unix_socket.started", False),
        ("socks.connect_tcp.started", False),  # a new connection through a SOCKS proxy
        ("http11.send_request_headers.started", True),
        ("http2.send_request_headers.started", True),
    ],
)
def test_reuse_is_read_from_the_first_traced_event(first_event: str, reused: bool) -> None:
    """The rule applied to httpcore's event names (the loopback tests above meet the first,
    fourth and a lost connection; proxies and HTTP/2 name their events this way too)."""
    from livepeer_gateway_client.client import _Attempt

    attempt = _Attempt(10.0, 1.0)
    request = attempt.build_request(
        httpx.Client(base_url="http://gw.invalid"), {"method": "POST", "url": "/x"}, False
    )
    attempt.trace(first_event, {})
    attempt.trace("connection.connect_tcp.complete", {})  # later events change nothing
    assert attempt.reused_connection() is reused
    assert "trace" not in request.extensions


def test_joined_urls_never_mix_bases_across_threads() -> None:
    """Calls on two bases racing each other (a client swapped mid-flight) each get their own
    base's URL: a wrong host here would send the token elsewhere."""
    import sys
    import threading

    from livepeer_gateway_client.client import _JoinedUrls

    joined = _JoinedUrls()
    bases = [httpx.URL(f"http://h{i}.example/") for i in range(2)]
    wrong: list[str] = []
    calls = 0
    stop = threading.Event()

    def worker(offset: int) -> None:
        nonlocal calls
        n = 0
        while not stop.is_set():
            base = bases[(n // 50 + offset) % 2]
            n += 1
            url = joined(base, f"/p{n % 3}")
            if url.host != base.host:
                wrong.append(str(url))
        calls += n

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows
    try:
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        stop.wait(1.5)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert calls > 1000
    assert wrong == []


def test_a_json_body_keeps_its_content_type_over_a_client_wide_one(
    recording_url: str, recorder: Recorder
) -> None:
    """A client-wide `Content-Type` (for some other use of the httpx client) never labels the
    JSON body of an operation."""
    headers = {"Content-Type": "text/plain"}
    with AuthenticatedClient(base_url=recording_url, token=TEST_TOKEN, headers=headers) as client:
        text_to_image.sync(client=client, body=BODY)
    assert recorder.last.headers["content-type"] == "application/json"
    assert recorder.last.json()["prompt"] == BODY.prompt

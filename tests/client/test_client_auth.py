"""The bearer token reaches the server however the client is built, and never its repr."""

from __future__ import annotations

import asyncio

import httpx
from livepeer_gateway_client import AuthenticatedClient
from livepeer_gateway_client.api.generate import text_to_image
from livepeer_gateway_client.models import ImageResponse, TextToImageParams

BODY = TextToImageParams(prompt="a lighthouse", width=64, height=64)


def test_token_sent_by_default_client(recording_url: str, recorder, token: str) -> None:
    """The client builds its own httpx.Client and sends Authorization: Bearer <token>."""
    with AuthenticatedClient(base_url=recording_url, token=token) as client:
        text_to_image.sync(client=client, body=BODY)
    assert recorder.last.headers["authorization"] == f"Bearer {token}"


def test_token_sent_through_a_user_supplied_httpx_client(
    recording_url: str, recorder, token: str
) -> None:
    """set_httpx_client used to drop the token silently; it is now added to every request."""
    with httpx.Client(base_url=recording_url, headers={"X-Trace": "abc"}) as own:
        client = AuthenticatedClient(base_url="http://unused.invalid", token=token)
        client.set_httpx_client(own)
        result = text_to_image.sync(client=client, body=BODY)

        assert isinstance(result, ImageResponse)
        assert recorder.last.headers["authorization"] == f"Bearer {token}"
        assert recorder.last.headers["x-trace"] == "abc"
        # The caller's client is not changed: the token goes only with the gateway's operations.
        assert "authorization" not in own.headers


def test_token_sent_through_a_user_supplied_async_httpx_client(
    recording_url: str, recorder, token: str
) -> None:
    """set_async_httpx_client keeps the token too."""

    async def call() -> None:
        async with httpx.AsyncClient(base_url=recording_url) as own:
            client = AuthenticatedClient(base_url="http://unused.invalid", token=token)
            client.set_async_httpx_client(own)
            await text_to_image.asyncio(client=client, body=BODY)

    asyncio.run(call())
    assert recorder.last.headers["authorization"] == f"Bearer {token}"


def test_custom_prefix_and_header_name(recording_url: str, recorder) -> None:
    """prefix and auth_header_name shape the header; an empty prefix sends the bare token."""
    client = AuthenticatedClient(
        base_url=recording_url, token="raw-key", prefix="", auth_header_name="X-Api-Key"
    )
    with client:
        text_to_image.sync(client=client, body=BODY)
    assert recorder.last.headers["x-api-key"] == "raw-key"
    assert "authorization" not in recorder.last.headers


def test_token_not_in_repr(token: str) -> None:
    """repr() of a client, which ends up in logs and tracebacks, never shows the token."""
    client = AuthenticatedClient(base_url="http://127.0.0.1:1", token=token)
    client.get_httpx_client()  # built, as after a first call
    assert token not in repr(client)
    assert token not in repr(client.with_headers({"X-Extra": "1"}))


def test_stored_httpx_clients_do_not_carry_the_token(
    recording_url: str, recorder, token: str
) -> None:
    """Another URL fetched through get_httpx_client() (a media URL elsewhere) gets no token."""
    client = AuthenticatedClient(base_url=recording_url, token=token, headers={"X-Trace": "abc"})
    with client:
        assert "authorization" not in client.get_httpx_client().headers
        assert "authorization" not in client.get_async_httpx_client().headers
        assert client.get_httpx_client().headers["x-trace"] == "abc"

        client.get_httpx_client().post("/media/elsewhere")
        assert recorder.last.path == "/media/elsewhere"
        assert "authorization" not in recorder.last.headers

        text_to_image.sync(client=client, body=BODY)
        assert recorder.last.headers["authorization"] == f"Bearer {token}"


def test_async_operation_sends_the_token_its_stored_client_lacks(
    recording_url: str, recorder, token: str
) -> None:
    """The async httpx client is built without the token; the operation still adds it."""

    async def call() -> None:
        async with AuthenticatedClient(base_url=recording_url, token=token) as client:
            await client.get_async_httpx_client().post("/media/elsewhere")
            assert "authorization" not in recorder.last.headers
            await text_to_image.asyncio(client=client, body=BODY)

    asyncio.run(call())
    assert recorder.last.headers["authorization"] == f"Bearer {token}"

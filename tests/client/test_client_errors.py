"""How the generated client reports answers it cannot use, served by a real loopback server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from livepeer_gateway_client import AuthenticatedClient, errors
from livepeer_gateway_client.api.generate import image_to_image, text_to_image
from livepeer_gateway_client.models import (
    HTTPError,
    HTTPValidationError,
    ImageToImageParams,
    TextToImageParams,
)
from livepeer_gateway_client.types import File

BODY = TextToImageParams(prompt="a lighthouse", width=64, height=64)


@pytest.mark.parametrize(
    ("body", "reason_part"),
    [
        ({"images": [{"url": "data:,", "seed": 1}]}, "'nsfw' is missing"),
        ({}, "'images' is missing"),
        (
            {"images": [{"url": "data:,", "seed": "1", "nsfw": False}]},
            "Media.seed must be an integer",
        ),
        ({"images": [{"url": 5, "seed": 1, "nsfw": False}]}, "Media.url must be a string"),
        ({"images": [{"url": "data:,", "seed": 1, "nsfw": "no"}]}, "Media.nsfw must be a boolean"),
        ({"images": "data:,"}, "ImageResponse.images must be an array"),
        ({"images": ["data:,"]}, "Media must be an object"),
    ],
)
def test_200_body_breaking_the_schema_raises_a_typed_error(
    recording_client: AuthenticatedClient, recorder, body: dict[str, Any], reason_part: str
) -> None:
    """The default client raised a bare KeyError (or accepted wrong types silently)."""
    recorder.reply(200, body)
    with pytest.raises(errors.UnexpectedResponseBody) as caught:
        text_to_image.sync(client=recording_client, body=BODY)

    assert caught.value.status_code == 200
    assert caught.value.content == recorder.body
    assert reason_part in str(caught.value)


def test_200_body_that_is_not_json_raises_a_typed_error(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """An HTML page from a proxy is reported with its status and body, not as a JSONDecodeError."""
    recorder.reply(200, "<html>bad gateway</html>", "text/html")
    with pytest.raises(errors.UnexpectedResponseBody) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert caught.value.content == b"<html>bad gateway</html>"
    assert "<html>bad gateway</html>" in str(caught.value)


def test_undeclared_status_raises_with_status_and_body(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """The default client returned None for a status the spec does not declare; now it raises."""
    recorder.reply(418, {"detail": "teapot"})
    with pytest.raises(errors.UnexpectedStatus) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert caught.value.status_code == 418
    assert caught.value.content == b'{"detail": "teapot"}'
    assert "418" in str(caught.value) and "teapot" in str(caught.value)


def test_undeclared_status_returns_none_when_asked(recording_url: str, recorder, token) -> None:
    """raise_on_unexpected_status=False keeps the raw response reachable through sync_detailed."""
    recorder.reply(418, "short and stout", "text/plain")
    client = AuthenticatedClient(
        base_url=recording_url, token=token, raise_on_unexpected_status=False
    )
    with client:
        detailed = text_to_image.sync_detailed(client=client, body=BODY)
    assert detailed.parsed is None
    assert (detailed.status_code, detailed.content) == (418, b"short and stout")


def test_status_outside_http_status_raises_with_status_and_body(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """A 522 (not an HTTPStatus member) used to raise a bare ValueError before parsing."""
    recorder.reply(522, "origin timed out", "text/plain")
    with pytest.raises(errors.UnexpectedStatus) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert (caught.value.status_code, caught.value.content) == (522, b"origin timed out")


def test_status_outside_http_status_is_returned_when_asked(
    recording_url: str, recorder, token: str
) -> None:
    """With raise_on_unexpected_status=False a 522 comes back as the int, nothing parsed."""
    recorder.reply(522, "origin timed out", "text/plain")
    client = AuthenticatedClient(
        base_url=recording_url, token=token, raise_on_unexpected_status=False
    )
    with client:
        detailed = text_to_image.sync_detailed(client=client, body=BODY)
    assert (detailed.status_code, detailed.parsed) == (522, None)
    assert detailed.content == b"origin timed out"


@pytest.mark.parametrize("status", [400, 401, 413, 500, 503])
def test_declared_error_statuses_parse_into_http_error(
    recording_client: AuthenticatedClient, recorder, status: int
) -> None:
    """Every declared HTTPError status comes back as the typed model, its message readable."""
    recorder.reply(status, {"detail": {"msg": f"failure {status}"}})
    result = text_to_image.sync(client=recording_client, body=BODY)
    assert isinstance(result, HTTPError)
    assert result.detail.msg == f"failure {status}"


def test_declared_422_parses_into_http_validation_error(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes
) -> None:
    """A 422 comes back as HTTPValidationError with its loc, msg and type."""
    recorder.reply(
        422,
        {"detail": [{"loc": ["body", "strength"], "msg": "too strong", "type": "less_than_equal"}]},
    )
    body = ImageToImageParams(prompt="p", image=File(payload=png_bytes), strength=0.5)
    result = image_to_image.sync(client=recording_client, body=body)
    assert isinstance(result, HTTPValidationError)
    assert [(e.loc, e.msg, e.type_) for e in result.detail] == [
        (["body", "strength"], "too strong", "less_than_equal")
    ]


def test_declared_error_with_a_broken_body_raises_a_typed_error(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """A 503 whose body is not an HTTPError is reported, not half-parsed."""
    recorder.reply(503, {"error": "no orchestrators"})
    with pytest.raises(errors.UnexpectedResponseBody) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert caught.value.status_code == 503


def test_async_variant_raises_the_same_errors(recording_url: str, recorder, token: str) -> None:
    """asyncio() applies the same parsing rules."""
    recorder.reply(200, {"images": [{"url": "data:,"}]})

    async def call() -> object:
        async with AuthenticatedClient(base_url=recording_url, token=token) as client:
            return await text_to_image.asyncio(client=client, body=BODY)

    with pytest.raises(errors.UnexpectedResponseBody):
        asyncio.run(call())

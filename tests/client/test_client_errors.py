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


def _models_client(url: str, token: str, **options: Any) -> AuthenticatedClient:
    """A client that returns declared error bodies as models instead of raising."""
    return AuthenticatedClient(base_url=url, token=token, raise_on_error_status=False, **options)


def test_undeclared_error_status_raises_by_its_class(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """A 418 the spec does not declare is still a refusal, with its status and message."""
    recorder.reply(418, {"detail": "teapot"})
    with pytest.raises(errors.RequestRefused) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert (caught.value.status_code, caught.value.detail) == (418, "teapot")
    assert caught.value.content == b'{"detail": "teapot"}'
    assert str(caught.value) == "gateway answered 418: teapot"


def test_undeclared_status_raises_unexpected_status(recording_url: str, recorder, token) -> None:
    """With error bodies returned as models, a status the spec does not declare still raises."""
    recorder.reply(418, {"detail": "teapot"})
    with (
        _models_client(recording_url, token) as client,
        pytest.raises(errors.UnexpectedStatus) as caught,
    ):
        text_to_image.sync(client=client, body=BODY)
    assert (caught.value.status_code, caught.value.content) == (418, b'{"detail": "teapot"}')
    assert "418" in str(caught.value) and "teapot" in str(caught.value)


def test_undeclared_status_returns_none_when_asked(recording_url: str, recorder, token) -> None:
    """raise_on_unexpected_status=False keeps the raw response reachable through sync_detailed."""
    recorder.reply(418, "short and stout", "text/plain")
    with _models_client(recording_url, token, raise_on_unexpected_status=False) as client:
        detailed = text_to_image.sync_detailed(client=client, body=BODY)
    assert detailed.parsed is None
    assert (detailed.status_code, detailed.content) == (418, b"short and stout")


def test_status_outside_http_status_raises_with_status_and_body(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """A 522 (not an HTTPStatus member) is a server error like any other 5xx."""
    recorder.reply(522, "origin timed out", "text/plain")
    with pytest.raises(errors.ServerError) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert (caught.value.status_code, caught.value.content) == (522, b"origin timed out")
    assert caught.value.detail == "origin timed out"
    assert caught.value.response.status_code == 522


def test_status_outside_http_status_is_returned_when_asked(
    recording_url: str, recorder, token: str
) -> None:
    """With both raising options off a 522 comes back as the int, nothing parsed."""
    recorder.reply(522, "origin timed out", "text/plain")
    with _models_client(recording_url, token, raise_on_unexpected_status=False) as client:
        detailed = text_to_image.sync_detailed(client=client, body=BODY)
    assert (detailed.status_code, detailed.parsed) == (522, None)
    assert detailed.content == b"origin timed out"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, errors.RequestRefused),
        (401, errors.Unauthorized),
        (413, errors.RequestRefused),
        (500, errors.ServerError),
        (503, errors.RetryLater),
    ],
)
def test_declared_error_statuses_raise_by_cause(
    recording_client: AuthenticatedClient, recorder, status: int, kind: type
) -> None:
    """Each declared HTTPError status raises its class, carrying status, message and model."""
    recorder.reply(status, {"detail": {"msg": f"failure {status}"}})
    with pytest.raises(errors.GatewayError) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert type(caught.value) is kind
    assert (caught.value.status_code, caught.value.detail) == (status, f"failure {status}")
    assert isinstance(caught.value.response.parsed, HTTPError)
    assert caught.value.response.parsed.detail.msg == f"failure {status}"


@pytest.mark.parametrize("status", [400, 401, 413, 500, 503])
def test_declared_error_statuses_parse_into_http_error_when_asked(
    recording_url: str, recorder, token: str, status: int
) -> None:
    """raise_on_error_status=False returns every declared HTTPError status as the typed model."""
    recorder.reply(status, {"detail": {"msg": f"failure {status}"}})
    with _models_client(recording_url, token) as client:
        result = text_to_image.sync(client=client, body=BODY)
    assert isinstance(result, HTTPError)
    assert result.detail.msg == f"failure {status}"


def test_server_errors_with_text_and_json_bodies_reach_the_user_alike(
    recording_client: AuthenticatedClient, recorder
) -> None:
    """A 500 with a JSON body and one with a text body raise the same class, status and message."""
    recorder.reply(500, {"detail": {"msg": "CUDA out of memory"}})
    with pytest.raises(errors.ServerError) as from_json:
        text_to_image.sync(client=recording_client, body=BODY)
    recorder.reply(500, "CUDA out of memory", "text/plain")
    with pytest.raises(errors.ServerError) as from_text:
        text_to_image.sync(client=recording_client, body=BODY)
    assert (
        str(from_json.value) == str(from_text.value) == "gateway answered 500: CUDA out of memory"
    )
    assert from_json.value.status_code == from_text.value.status_code == 500


def test_retry_later_carries_retry_after(recording_client: AuthenticatedClient, recorder) -> None:
    recorder.reply(429, {"detail": {"msg": "slow down"}})
    recorder.headers = {"Retry-After": "7"}
    with pytest.raises(errors.RetryLater) as caught:
        text_to_image.sync(client=recording_client, body=BODY)
    assert (caught.value.status_code, caught.value.retry_after) == (429, 7.0)


def test_declared_422_raises_invalid_request_listing_the_problems(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes
) -> None:
    """A 422 raises InvalidRequest whose detail names the field, with the model on .response."""
    recorder.reply(
        422,
        {"detail": [{"loc": ["body", "strength"], "msg": "too strong", "type": "less_than_equal"}]},
    )
    body = ImageToImageParams(prompt="p", image=File(payload=png_bytes), strength=0.5)
    with pytest.raises(errors.InvalidRequest) as caught:
        image_to_image.sync(client=recording_client, body=body)
    assert caught.value.detail == "strength: too strong"
    parsed = caught.value.response.parsed
    assert isinstance(parsed, HTTPValidationError)
    assert [(e.loc, e.msg, e.type_) for e in parsed.detail] == [
        (["body", "strength"], "too strong", "less_than_equal")
    ]


def test_declared_error_with_a_broken_body_raises_a_typed_error(
    recording_url: str, recorder, token: str
) -> None:
    """A 503 whose body is not an HTTPError is still a RetryLater; as a model it is reported."""
    recorder.reply(503, {"error": "no orchestrators"})
    with AuthenticatedClient(base_url=recording_url, token=token) as client:
        with pytest.raises(errors.RetryLater) as caught:
            text_to_image.sync(client=client, body=BODY)
    assert caught.value.response.parsed is None
    assert "no orchestrators" in caught.value.detail
    with _models_client(recording_url, token) as client:
        with pytest.raises(errors.UnexpectedResponseBody) as unparsed:
            text_to_image.sync(client=client, body=BODY)
    assert unparsed.value.status_code == 503


def test_async_variant_raises_the_same_errors(recording_url: str, recorder, token: str) -> None:
    """asyncio() applies the same parsing rules."""
    recorder.reply(200, {"images": [{"url": "data:,"}]})

    async def call() -> object:
        async with AuthenticatedClient(base_url=recording_url, token=token) as client:
            return await text_to_image.asyncio(client=client, body=BODY)

    with pytest.raises(errors.UnexpectedResponseBody):
        asyncio.run(call())

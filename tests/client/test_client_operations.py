"""All three operations, sync and async, against the reference gateway on loopback."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable

import pytest
from livepeer_gateway_client import AuthenticatedClient, errors
from livepeer_gateway_client.api.generate import image_to_image, text_to_image, upscale
from livepeer_gateway_client.models import (
    HTTPError,
    HTTPValidationError,
    ImageResponse,
    ImageToImageParams,
    Media,
    TextToImageParams,
    UpscaleParams,
)
from livepeer_gateway_client.types import File
from PIL import Image


def image_size(media: Media) -> tuple[int, int]:
    """Width and height of the PNG a `data:` URL carries, decoded with Pillow."""
    header, _, payload = media.url.partition(",")
    assert header == "data:image/png;base64"
    with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        return image.size


def test_text_to_image_sync(gateway_client: AuthenticatedClient) -> None:
    """Typed ImageResponse with the requested count, size and consecutive seeds."""
    body = TextToImageParams(
        prompt="a lighthouse", width=96, height=64, num_images_per_prompt=2, seed=41
    )
    result = text_to_image.sync(client=gateway_client, body=body)

    assert isinstance(result, ImageResponse)
    assert all(isinstance(media, Media) for media in result.images)
    assert [media.seed for media in result.images] == [41, 42]
    assert [image_size(media) for media in result.images] == [(96, 64), (96, 64)]
    assert [media.nsfw for media in result.images] == [False, False]


def test_image_to_image_sync_keeps_the_input_size(
    gateway_client: AuthenticatedClient, make_image: Callable[..., bytes]
) -> None:
    """The output has the input's width and height; the sent seed comes back."""
    body = ImageToImageParams(
        prompt="watercolour", image=File(payload=make_image(40, 24)), seed=9, strength=0.5
    )
    result = image_to_image.sync(client=gateway_client, body=body)

    assert isinstance(result, ImageResponse)
    assert [(image_size(m), m.seed) for m in result.images] == [((40, 24), 9)]


def test_upscale_sync_quadruples_a_jpeg(
    gateway_client: AuthenticatedClient, make_image: Callable[..., bytes]
) -> None:
    """A JPEG input is accepted (sniffed content type) and comes back four times larger."""
    body = UpscaleParams(prompt="sharper", image=File(payload=make_image(16, 12, "JPEG")))
    result = upscale.sync(client=gateway_client, body=body)

    assert isinstance(result, ImageResponse)
    assert [image_size(m) for m in result.images] == [(64, 48)]


def test_all_three_operations_async(
    gateway_url: str, token: str, make_image: Callable[..., bytes]
) -> None:
    """The asyncio variants parse the same typed models, concurrently on one client."""

    async def run() -> tuple[object, object, object]:
        async with AuthenticatedClient(base_url=gateway_url, token=token) as client:
            return await asyncio.gather(
                text_to_image.asyncio(
                    client=client, body=TextToImageParams(prompt="p", width=64, height=72)
                ),
                image_to_image.asyncio(
                    client=client,
                    body=ImageToImageParams(prompt="p", image=File(payload=make_image(20, 30))),
                ),
                upscale.asyncio(
                    client=client,
                    body=UpscaleParams(prompt="p", image=File(payload=make_image(8, 8))),
                ),
            )

    generated, transformed, upscaled = asyncio.run(run())
    assert isinstance(generated, ImageResponse) and image_size(generated.images[0]) == (64, 72)
    assert isinstance(transformed, ImageResponse) and image_size(transformed.images[0]) == (20, 30)
    assert isinstance(upscaled, ImageResponse) and image_size(upscaled.images[0]) == (32, 32)


def test_safety_check_flag_reaches_the_gateway_as_a_boolean(
    gateway_client: AuthenticatedClient, png_bytes: bytes
) -> None:
    """The gateway flags `[nsfw]` prompts only when safety_check is true: both values parse."""
    flagged = [
        image_to_image.sync(
            client=gateway_client,
            body=ImageToImageParams(
                prompt="[nsfw] scene", image=File(payload=png_bytes), safety_check=flag
            ),
        )
        for flag in (True, False)
    ]
    assert all(isinstance(result, ImageResponse) for result in flagged)
    assert [result.images[0].nsfw for result in flagged] == [True, False]


def test_gateway_errors_raise_by_cause(
    gateway_url: str, gateway_client: AuthenticatedClient
) -> None:
    """401 (wrong token), 400 (empty prompt) and 422 (too wide) raise their classes, models kept."""
    with AuthenticatedClient(base_url=gateway_url, token="wrong") as intruder:
        with pytest.raises(errors.Unauthorized) as denied:
            text_to_image.sync(client=intruder, body=TextToImageParams(prompt="p"))
    with pytest.raises(errors.RequestRefused) as empty:
        text_to_image.sync(client=gateway_client, body=TextToImageParams(prompt=""))
    with pytest.raises(errors.InvalidRequest) as too_wide:
        text_to_image.sync(
            client=gateway_client, body=TextToImageParams(prompt="p", width=4096, height=64)
        )

    assert denied.value.status_code == 401 and denied.value.detail
    assert isinstance(denied.value.response.parsed, HTTPError)
    assert empty.value.status_code == 400 and type(empty.value) is errors.RequestRefused
    assert isinstance(too_wide.value.response.parsed, HTTPValidationError)
    assert "width" in too_wide.value.detail

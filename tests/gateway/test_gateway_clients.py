"""The official Livepeer Python SDK and the generated client both drive the reference gateway."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator

import livepeer_ai
import pytest
from livepeer_ai.models import components, errors
from livepeer_reference_gateway import GatewaySettings, running_gateway
from PIL import Image

MakeImage = Callable[..., bytes]
TOKEN = "client-token-52b0"


@pytest.fixture(scope="module")
def secured_url() -> Iterator[str]:
    with running_gateway(GatewaySettings(token=TOKEN)) as url:
        yield url


def _decoded_size(url: str) -> tuple[int, int]:
    header, _, payload = url.partition(",")
    assert header == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    return image.size


def test_official_sdk_drives_all_three_operations(secured_url: str, make_image: MakeImage) -> None:
    sdk = livepeer_ai.Livepeer(http_bearer=TOKEN, server_url=secured_url)

    t2i = sdk.generate.text_to_image(
        request=components.TextToImageParams(
            prompt="a lighthouse", width=64, height=72, seed=9, num_images_per_prompt=2
        )
    )
    assert t2i.image_response is not None
    assert [_decoded_size(m.url) for m in t2i.image_response.images] == [(64, 72)] * 2
    assert [m.seed for m in t2i.image_response.images] == [9, 10]

    i2i = sdk.generate.image_to_image(
        request=components.BodyGenImageToImage(
            prompt="watercolour",
            image=components.Image(file_name="in.png", content=make_image(40, 24)),
            seed=3,
        )
    )
    assert i2i.image_response is not None
    assert [_decoded_size(m.url) for m in i2i.image_response.images] == [(40, 24)]

    up = sdk.generate.upscale(
        request=components.BodyGenUpscale(
            prompt="sharper",
            image=components.BodyGenUpscaleImage(
                file_name="in.jpg", content=make_image(20, 12, "JPEG")
            ),
        )
    )
    assert up.image_response is not None
    assert [_decoded_size(m.url) for m in up.image_response.images] == [(80, 48)]


def test_official_sdk_sees_401_with_a_wrong_token(secured_url: str) -> None:
    sdk = livepeer_ai.Livepeer(http_bearer="wrong", server_url=secured_url)
    with pytest.raises(errors.HTTPError) as raised:
        sdk.generate.text_to_image(
            request=components.TextToImageParams(prompt="p", width=64, height=64)
        )
    assert isinstance(raised.value.data.detail.msg, str)


def test_generated_client_drives_all_three_operations(
    secured_url: str, make_image: MakeImage
) -> None:
    from livepeer_gateway_client import AuthenticatedClient
    from livepeer_gateway_client.api.generate import image_to_image, text_to_image, upscale
    from livepeer_gateway_client.models import (
        ImageResponse,
        ImageToImageParams,
        TextToImageParams,
        UpscaleParams,
    )
    from livepeer_gateway_client.types import File

    with AuthenticatedClient(base_url=secured_url, token=TOKEN) as client:
        t2i = text_to_image.sync(
            client=client,
            body=TextToImageParams(
                prompt="p", width=128, height=64, num_images_per_prompt=3, seed=1
            ),
        )
        assert isinstance(t2i, ImageResponse)
        assert [_decoded_size(m.url) for m in t2i.images] == [(128, 64)] * 3
        assert [m.seed for m in t2i.images] == [1, 2, 3]

        png = File(payload=make_image(33, 21), file_name="in.png", mime_type="image/png")
        i2i = image_to_image.sync(
            client=client, body=ImageToImageParams(prompt="p", image=png, num_images_per_prompt=2)
        )
        assert isinstance(i2i, ImageResponse)
        assert [_decoded_size(m.url) for m in i2i.images] == [(33, 21)] * 2

        jpeg = File(payload=make_image(16, 10, "JPEG"), file_name="in.jpg", mime_type="image/jpeg")
        up = upscale.sync(
            client=client, body=UpscaleParams(prompt="p", image=jpeg, safety_check=False)
        )
        assert isinstance(up, ImageResponse)
        assert [_decoded_size(m.url) for m in up.images] == [(64, 40)]

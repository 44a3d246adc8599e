"""What the generated client puts on the wire for multipart operations, read by a real server."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from livepeer_gateway_client import AuthenticatedClient
from livepeer_gateway_client.api.generate import image_to_image, upscale
from livepeer_gateway_client.models import ImageResponse, ImageToImageParams, UpscaleParams
from livepeer_gateway_client.types import File


def test_image_part_from_bytes_is_a_file_part_with_name_and_type(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes
) -> None:
    """Without a filename Starlette would parse the image as a plain text field."""
    body = ImageToImageParams(prompt="watercolour", image=File(payload=png_bytes))
    result = image_to_image.sync(client=recording_client, body=body)

    assert isinstance(result, ImageResponse)
    part = recorder.last.parts["image"]
    assert part.is_file
    assert part.filename == "upload.png"
    assert part.content_type == "image/png"
    assert part.value == png_bytes


def test_image_part_from_file_object_keeps_its_bytes_and_sniffs_jpeg(
    recording_client: AuthenticatedClient, recorder, make_image: Callable[..., bytes]
) -> None:
    """A BytesIO holding a JPEG goes out as image/jpeg with a .jpg name, unread by the sniffing."""
    jpeg = make_image(24, 16, "JPEG")
    stream = io.BytesIO(jpeg)
    body = UpscaleParams(prompt="sharper", image=File(payload=stream))
    upscale.sync(client=recording_client, body=body)

    part = recorder.last.parts["image"]
    assert (part.filename, part.content_type) == ("upload.jpg", "image/jpeg")
    assert part.value == jpeg


def test_image_part_from_path_opened_file_is_named_after_it(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes, tmp_path: Path
) -> None:
    """A file opened from a path is sent under its own file name."""
    path = tmp_path / "lighthouse.png"
    path.write_bytes(png_bytes)
    with path.open("rb") as stream:
        body = ImageToImageParams(prompt="at night", image=File(payload=stream))
        image_to_image.sync(client=recording_client, body=body)

    part = recorder.last.parts["image"]
    assert (part.filename, part.content_type, part.value) == (
        "lighthouse.png",
        "image/png",
        png_bytes,
    )


def test_file_from_path_and_explicit_name_and_type_win(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes, tmp_path: Path
) -> None:
    """File.from_path reads the file; an explicit file_name and mime_type are sent as given."""
    path = tmp_path / "input.png"
    path.write_bytes(png_bytes)
    upscale.sync(
        client=recording_client, body=UpscaleParams(prompt="x", image=File.from_path(path))
    )
    assert recorder.last.parts["image"].filename == "input.png"

    named = File(payload=png_bytes, file_name="photo.bin", mime_type="image/webp")
    upscale.sync(client=recording_client, body=UpscaleParams(prompt="x", image=named))
    part = recorder.last.parts["image"]
    assert (part.filename, part.content_type) == ("photo.bin", "image/webp")


def test_booleans_are_sent_as_json_literals(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes
) -> None:
    """The default template sends str(True) == "True"; the spec's booleans are true/false."""
    for flag, expected in ((True, b"true"), (False, b"false")):
        body = ImageToImageParams(prompt="p", image=File(payload=png_bytes), safety_check=flag)
        image_to_image.sync(client=recording_client, body=body)
        assert recorder.last.parts["safety_check"].value == expected


def test_text_fields_carry_their_values(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes
) -> None:
    """Every set field arrives as a form field with its value; unset ones with their defaults."""
    body = ImageToImageParams(
        prompt="the same scene in watercolour",
        image=File(payload=png_bytes),
        strength=0.25,
        seed=123,
        num_inference_steps=2,
    )
    image_to_image.sync(client=recording_client, body=body)

    parts = recorder.last.parts
    assert parts["prompt"].value == b"the same scene in watercolour"
    assert (parts["strength"].value, parts["seed"].value) == (b"0.25", b"123")
    assert parts["num_inference_steps"].value == b"2"
    assert not parts["prompt"].is_file
    # Fields left out take the spec's defaults and are sent, so the gateway sees one request shape.
    assert (parts["negative_prompt"].value, parts["image_guidance_scale"].value) == (b"", b"1.5")
    assert parts["model_id"].value == b""


def test_every_multipart_request_has_its_own_random_boundary(
    recording_client: AuthenticatedClient, recorder, png_bytes: bytes
) -> None:
    """The default template pins boundary=+++ for every request; httpx's random one is used."""
    body = UpscaleParams(prompt="p", image=File(payload=png_bytes))
    for _ in range(3):
        upscale.sync(client=recording_client, body=body)
    boundaries = [request.boundary for request in recorder.requests]

    assert all(boundaries) and "+++" not in boundaries
    assert len(set(boundaries)) == 3
    assert all(len(boundary) >= 16 for boundary in boundaries)


def test_async_multipart_sends_the_same_parts(
    recording_url: str, recorder, png_bytes: bytes, token: str
) -> None:
    """The async variant sends the image as a file part too, with a random boundary."""

    async def call() -> object:
        async with AuthenticatedClient(base_url=recording_url, token=token) as client:
            body = ImageToImageParams(prompt="p", image=File(payload=png_bytes))
            return await image_to_image.asyncio(client=client, body=body)

    assert isinstance(asyncio.run(call()), ImageResponse)
    part = recorder.last.parts["image"]
    assert (part.filename, part.content_type, part.value) == ("upload.png", "image/png", png_bytes)
    assert recorder.last.boundary not in (None, "+++")


@pytest.mark.parametrize(
    ("payload", "expected_type"),
    [
        (b"GIF89a\x01\x00", "application/octet-stream"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
)
def test_content_type_falls_back_sensibly(
    recording_client: AuthenticatedClient, recorder, payload: bytes, expected_type: str
) -> None:
    """Unknown bytes without a telling name go out as application/octet-stream; WebP is sniffed."""
    upscale.sync(client=recording_client, body=UpscaleParams(prompt="p", image=File(payload)))
    assert recorder.last.parts["image"].content_type == expected_type

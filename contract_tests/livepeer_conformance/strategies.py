"""Real PNG and JPEG bytes for the `image` part, registered with schemathesis for its format."""

from __future__ import annotations

import io
from typing import Literal

import schemathesis
from hypothesis import strategies as st
from PIL import Image
from schemathesis.transport.serialization import Binary

from livepeer_conformance.cheap import CHEAP

ImageFormat = Literal["PNG", "JPEG"]

#: Media type of each format the strategies produce; the spec's `image` encoding lists both.
MEDIA_TYPES: dict[ImageFormat, str] = {"PNG": "image/png", "JPEG": "image/jpeg"}


def encode_image(width: int, height: int, colour: tuple[int, int, int], fmt: str) -> bytes:
    """Bytes of a `width` x `height` image filled with `colour`, encoded as Pillow format `fmt`."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def images(
    fmt: ImageFormat,
    min_side: int = CHEAP.min_upload_side,
    max_side: int = CHEAP.max_upload_side,
) -> st.SearchStrategy[bytes]:
    """Encoded images of format `fmt` with sides between `min_side` and `max_side`."""
    side = st.integers(min_side, max_side)
    channel = st.integers(0, 255)
    return st.builds(encode_image, side, side, st.tuples(channel, channel, channel), st.just(fmt))


def any_image(
    min_side: int = CHEAP.min_upload_side, max_side: int = CHEAP.max_upload_side
) -> st.SearchStrategy[tuple[str, bytes]]:
    """(media type, bytes) of a PNG or JPEG image."""
    return st.one_of(
        *(
            images(fmt, min_side, max_side).map(lambda data, t=media: (t, data))
            for fmt, media in MEDIA_TYPES.items()
        )
    )


_registered = False


def register_image_strategies() -> None:
    """Make schemathesis fill every `format: binary` value with a real PNG or JPEG, in every phase.

    Registered for the format, not through `schema.given` (which turns the coverage phase off)
    nor for the part's media types (for which the coverage phase sends one custom-encoded body
    and skips probing the other fields of a multipart form).
    """
    global _registered
    if _registered:
        return
    png_or_jpeg = st.one_of(images("PNG"), images("JPEG")).map(Binary)
    schemathesis.openapi.format("binary", png_or_jpeg)
    _registered = True

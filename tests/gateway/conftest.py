"""Fixtures of the reference gateway's tests: a gateway on loopback and real image bytes."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator

import httpx
import pytest
from livepeer_conformance.strategies import encode_image
from livepeer_reference_gateway import GatewaySettings, running_gateway
from PIL import Image

TOKEN = "test-token-3f9a"


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    """A conformant gateway without a token, shared by one module's tests."""
    with running_gateway(GatewaySettings()) as url:
        yield url


@pytest.fixture(scope="module")
def client(gateway_url: str) -> Iterator[httpx.Client]:
    """An httpx client pointed at `gateway_url`."""
    with httpx.Client(base_url=gateway_url, timeout=30) as http:
        yield http


def decode_url(url: str, http: httpx.Client | None = None) -> Image.Image:
    """The image behind a Media `url`: a data URL, or an http URL fetched with `http`."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        assert header == "data:image/png;base64"
        raw = base64.b64decode(payload, validate=True)
    else:
        assert http is not None
        response = http.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        raw = response.content
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


@pytest.fixture
def make_image() -> Callable[..., bytes]:
    """`make_image(width, height, fmt="PNG", color=...)`: a real encoded image."""

    def make(
        width: int, height: int, fmt: str = "PNG", color: tuple[int, int, int] = (200, 40, 90)
    ) -> bytes:
        return encode_image(width, height, color, fmt)

    return make


@pytest.fixture
def decode() -> Callable[..., Image.Image]:
    return decode_url

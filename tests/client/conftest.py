"""Fixtures for the client tests: a recording loopback server, the reference gateway, images."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from livepeer_conformance.strategies import encode_image
from livepeer_gateway_client import AuthenticatedClient
from livepeer_reference_gateway.server import running_gateway, serving
from livepeer_reference_gateway.settings import GatewaySettings
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: The token the test gateways require; fake, and never printed by the client.
TEST_TOKEN = "test-token-5f1c"

VALID_IMAGE_RESPONSE = {"images": [{"url": "data:image/png;base64,AAAA", "seed": 7, "nsfw": False}]}


@dataclass(frozen=True)
class RecordedPart:
    """One multipart part as Starlette parsed it: a file (with filename and type) or a field."""

    name: str
    value: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def is_file(self) -> bool:
        return self.filename is not None


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received: method, path, headers (lower-case names) and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    parts: dict[str, RecordedPart]

    @property
    def boundary(self) -> str | None:
        content_type = self.headers.get("content-type", "")
        for parameter in content_type.split(";")[1:]:
            key, _, value = parameter.strip().partition("=")
            if key == "boundary":
                return value.strip('"')
        return None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Recorder:
    """Records every request and answers the canned reply, a valid ImageResponse by default."""

    requests: list[RecordedRequest] = field(default_factory=list)
    status: int = 200
    body: bytes = json.dumps(VALID_IMAGE_RESPONSE).encode()
    content_type: str = "application/json"
    #: Extra headers of the canned reply (such as Retry-After).
    headers: dict[str, str] = field(default_factory=dict)

    def reply(
        self, status: int, body: bytes | str | dict[str, Any], content_type: str = ""
    ) -> None:
        """Answer every following request with `status` and `body` (a dict is sent as JSON)."""
        if isinstance(body, dict):
            body, content_type = json.dumps(body).encode(), content_type or "application/json"
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.content_type = content_type or "application/json"

    def reset(self) -> None:
        self.requests.clear()
        self.headers = {}
        self.reply(200, VALID_IMAGE_RESPONSE)

    @property
    def last(self) -> RecordedRequest:
        assert self.requests, "the server received no request"
        return self.requests[-1]


def recording_app(recorder: Recorder) -> Starlette:
    """A Starlette app that records each request, multipart parts parsed by python-multipart."""

    async def record(request: Request) -> Response:
        body = await request.body()
        parts: dict[str, RecordedPart] = {}
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form() as form:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        parts[name] = RecordedPart(
                            name, await value.read(), value.filename, value.content_type
                        )
                    else:
                        parts[name] = RecordedPart(name, value.encode())
        recorder.requests.append(
            RecordedRequest(
                request.method,
                request.url.path,
                {k.lower(): v for k, v in request.headers.items()},
                body,
                parts,
            )
        )
        return Response(
            recorder.body, recorder.status, recorder.headers, media_type=recorder.content_type
        )

    return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])


@pytest.fixture(scope="session")
def _recording_server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    with serving(recording_app(recorder)) as base_url:
        yield base_url, recorder


@pytest.fixture
def recorder(_recording_server: tuple[str, Recorder]) -> Recorder:
    """The recording server's log and canned reply, reset for each test."""
    _recording_server[1].reset()
    return _recording_server[1]


@pytest.fixture
def recording_url(_recording_server: tuple[str, Recorder]) -> str:
    """Base URL of the recording server."""
    return _recording_server[0]


@pytest.fixture
def recording_client(recording_url: str, recorder: Recorder) -> Iterator[AuthenticatedClient]:
    """An AuthenticatedClient pointed at the recording server."""
    with AuthenticatedClient(base_url=recording_url, token=TEST_TOKEN) as client:
        yield client


@pytest.fixture(scope="session")
def gateway_url() -> Iterator[str]:
    """Base URL of a reference gateway requiring TEST_TOKEN."""
    with running_gateway(GatewaySettings(token=TEST_TOKEN)) as base_url:
        yield base_url


@pytest.fixture
def gateway_client(gateway_url: str) -> Iterator[AuthenticatedClient]:
    """An AuthenticatedClient pointed at the reference gateway."""
    with AuthenticatedClient(base_url=gateway_url, token=TEST_TOKEN) as client:
        yield client


COLOUR = (40, 120, 200)


@pytest.fixture(scope="session")
def make_image() -> Callable[..., bytes]:
    """`make_image(width, height, image_format="PNG")`: real image bytes made with Pillow."""

    def make(width: int, height: int, image_format: str = "PNG") -> bytes:
        return encode_image(width, height, COLOUR, image_format)

    return make


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    """A 32x32 PNG."""
    return encode_image(32, 32, COLOUR, "PNG")


@pytest.fixture(scope="session")
def token() -> str:
    """The bearer token the test servers expect."""
    return TEST_TOKEN

"""One request the suite sent, its answer, and the images the answer points at."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
from livepeer_gateway_spec import Operation
from PIL import Image

from livepeer_conformance.bounded import MAX_MEDIA_BYTES
from livepeer_conformance.errors import AnswerError
from livepeer_conformance.evidence import Evidence, body_excerpt, status_line
from livepeer_conformance.redaction import redact
from livepeer_conformance.token_echo import sent_token

#: Most pixels a returned image may have before the suite declines to decode it: four times
#: the largest text-to-image answer the spec allows (2048x2048), far above any answer to the
#: suite's small requests, and small enough that decoding it cannot exhaust memory.
MAX_MEDIA_PIXELS = 4096 * 4096


class MediaError(AnswerError):
    """A media URL that does not fetch or does not decode as an image; the message says which."""


@dataclass(frozen=True)
class SentRequest:
    """A request as it went out: what a reproducer sends again, byte for byte."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, request: Any) -> SentRequest:
        """From an httpx or a requests request (schemathesis sends with the latter)."""
        body = request.content if hasattr(request, "content") else request.body
        if isinstance(body, str):
            body = body.encode()
        raw = getattr(request.headers, "raw", None)  # httpx keeps each name's own case there
        pairs = (
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
            if raw is not None
            else request.headers.items()
        )
        headers = tuple((str(k), str(v)) for k, v in pairs)
        return cls(str(request.method or "POST"), str(request.url), headers, body or b"")


@dataclass
class Exchange:
    """A request the suite sent, with the raw answer; media are fetched and decoded on first use."""

    operation: Operation
    params: Mapping[str, Any]
    input_image: tuple[str, bytes] | None
    status: int
    body: Any
    #: Fetches a media URL for the named operation (`media.MediaFetcher`).
    fetch: Callable[[str, str], bytes] = field(repr=False)
    request: SentRequest | None = field(default=None, repr=False)
    repeat: Exchange | None = None
    content: bytes = b""
    status_text: str = ""
    content_type: str = ""
    #: The answer's headers, as sent (a name may repeat).
    headers: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _decoded: list[Image.Image | MediaError] | None = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return self.operation.path

    @property
    def sent_token(self) -> str | None:
        """The bearer token the request carried, if any (never printed)."""
        if self.request is None:
            return None
        return sent_token(httpx.Headers(list(self.request.headers)))

    @property
    def media(self) -> list[Any]:
        """The `images` list of a successful answer, or an empty list."""
        if (
            self.status == 200
            and isinstance(self.body, dict)
            and isinstance(self.body.get("images"), list)
        ):
            return self.body["images"]
        return []

    def seeds(self) -> list[Any]:
        """The `seed` of every returned media, None where absent."""
        return [m.get("seed") if isinstance(m, dict) else None for m in self.media]

    def decoded(self) -> list[Image.Image | MediaError]:
        """Each returned media decoded as an image, or the reason it could not be;
        `MediaBoundReached` when the run's media bound left one unfetched."""
        if self._decoded is None:
            label = self.operation.label
            self._decoded = [_decode(lambda url: self.fetch(url, label), m) for m in self.media]
        return self._decoded

    def input_size(self) -> tuple[int, int] | None:
        """Width and height of the uploaded image, if any."""
        if self.input_image is None:
            return None
        try:
            with Image.open(io.BytesIO(self.input_image[1])) as image:
                return image.size
        except Exception:  # the suite's own undecodable upload: there is no input size
            return None

    def evidence(self, secrets: Iterable[str]) -> Evidence:
        """The request and the answer, redacted, for a finding's report."""
        hidden = tuple(secrets)
        method, url = (self.request.method, self.request.url) if self.request else ("POST", "")
        return Evidence(
            request=redact(f"{method} {url or self.operation.path}", hidden),
            status_line=redact(self.status_text or status_line(self.status), hidden),
            content_type=redact(self.content_type, hidden),
            body=body_excerpt(self.content, hidden),
        )


def data_url_bytes(url: str) -> bytes:
    """The bytes a data: URL carries, within `MAX_MEDIA_BYTES`."""
    header, separator, payload = url[len("data:") :].partition(",")
    if not separator:
        raise MediaError("data: URL without a comma")
    if len(payload) > MAX_MEDIA_BYTES * 4 // 3 + 4:
        raise MediaError(f"data: URL larger than {MAX_MEDIA_BYTES} bytes")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=True)
        except binascii.Error:
            raise MediaError("data: URL is not valid base64") from None
    return unquote_to_bytes(payload)


def _decode(fetch: Callable[[str], bytes], media: Any) -> Image.Image | MediaError:
    url = media.get("url") if isinstance(media, dict) else None
    if not isinstance(url, str):
        return MediaError("media has no string `url`")
    try:
        data = fetch(url)
    except MediaError as exc:
        return exc
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_MEDIA_PIXELS:
            return MediaError(f"{url[:40]}... is {image.width}x{image.height}, too large to decode")
        image.load()
        return image
    # Pillow's decoders raise ValueError, SyntaxError, struct.error and more on corrupt input:
    # whatever they raise, the gateway sent something that is not an image.
    except Exception as exc:
        return MediaError(f"{url[:40]}... does not decode as an image ({type(exc).__name__})")

"""One request sent through the generated client, its answer, and the images it points at."""

from __future__ import annotations

import base64
import binascii
import importlib
import io
import json
import re
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_client import AuthenticatedClient, Client
from livepeer_gateway_client.types import File
from PIL import Image

from livepeer_conformance.bounded import AnswerLimits, parse_json, read_bounded
from livepeer_conformance.config import RunConfig, client_options
from livepeer_conformance.errors import AnswerError
from livepeer_conformance.evidence import Evidence, body_excerpt, save_input, status_line
from livepeer_conformance.redaction import REDACTED, redact
from livepeer_conformance.token_echo import sent_token

#: Largest image a media URL may carry before the suite refuses to fetch the rest.
MAX_MEDIA_BYTES = 32 * 2**20
#: Most pixels a returned image may have before the suite declines to decode it: four times
#: the largest text-to-image answer the spec allows (2048x2048), far above any answer to the
#: suite's small requests, and small enough that decoding it cannot exhaust memory.
MAX_MEDIA_PIXELS = 4096 * 4096

#: Where the generated client keeps an operation's module and a request body's model.
CLIENT_PACKAGE = "livepeer_gateway_client"


class MediaError(AnswerError):
    """A media URL that does not fetch or does not decode as an image; the message says which."""


@dataclass
class Exchange:
    """A request the suite sent, with the raw answer; media are fetched and decoded on first use."""

    path: str
    params: dict[str, Any]
    input_image: tuple[str, bytes] | None
    status: int
    body: Any
    fetch: Callable[[str], bytes] = field(repr=False)
    repeat: Exchange | None = None
    content: bytes = b""
    status_text: str = ""
    content_type: str = ""
    #: The answer's headers, as sent (a name may repeat).
    headers: list[tuple[str, str]] = field(default_factory=list, repr=False)
    #: The bearer token the request carried, if any (never printed).
    sent_token: str | None = field(default=None, repr=False)
    _decoded: list[Image.Image | MediaError] | None = field(default=None, repr=False)

    @property
    def operation(self) -> str:
        return f"POST {self.path}"

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
        """Each returned media decoded as an image, or the reason it could not be."""
        if self._decoded is None:
            self._decoded = [_decode(self.fetch, m) for m in self.media]
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

    def evidence(self, base_url: str, secrets: Iterable[str]) -> Evidence:
        """The request and the answer, redacted, for a departure's report."""
        hidden = tuple(secrets)
        return Evidence(
            request=f"POST {base_url.rstrip('/')}{self.path}",
            status_line=redact(self.status_text or status_line(self.status), hidden),
            content_type=redact(self.content_type, hidden),
            body=body_excerpt(self.content, hidden),
        )

    def curl(self, base_url: str, inputs_dir: Path | None) -> str:
        """A curl command that sends this request again, with the token shown as `[redacted]`."""
        parts = ["curl", "-sS", "-X", "POST", base_url.rstrip("/") + self.path]
        parts += ["-H", f"Authorization: Bearer {REDACTED}"]
        if self.input_image is None:
            parts += ["-H", "Content-Type: application/json"]
            data = json.dumps(self.params).encode()
            if inputs_dir is None:
                return shlex.join([*parts, "-d", data.decode()])
            parts += ["--data-binary", f"@{save_input(inputs_dir, data, 'json')}"]
            return shlex.join(parts)
        media_type, data = self.input_image
        image_file = _save_input(inputs_dir, media_type, data)
        for name, value in self.params.items():
            # `-F` would read a value starting with @ or < as a file and parse `;type=`.
            parts += ["--form-string", f"{name}={_form_text(value)}"]
        parts += ["-F", f"image=@{image_file};type={media_type}"]
        return shlex.join(parts)


def make_client(
    base_url: str, token: str | None, config: RunConfig
) -> AuthenticatedClient | Client:
    """The generated client for `base_url`, authenticated when a token is given."""
    httpx_args = client_options(config, base_url)
    options: dict[str, Any] = {
        "timeout": httpx_args.pop("timeout"),
        "verify_ssl": httpx_args.pop("verify"),
        "headers": httpx_args.pop("headers"),
        "httpx_args": httpx_args,
    }
    if token:
        return AuthenticatedClient(base_url=base_url, token=token, **options)
    return Client(base_url=base_url, **options)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@lru_cache(maxsize=32)
def _sender(spec_file: str, path: str) -> tuple[ModuleType, type]:
    """The generated client's module for the operation at `path` and its request body's model.

    The generator names them after the spec: `api/<tag>/<operationId>` and the body's schema.
    """
    document = spec.load_spec(spec_file)
    op = document["paths"][path]["post"]
    tag = (op.get("tags") or ["default"])[0]
    module = importlib.import_module(
        f"{CLIENT_PACKAGE}.api.{_snake(tag)}.{_snake(op['operationId'])}"
    )
    content = op["requestBody"]["content"]
    schema_ref = next(iter(content.values()))["schema"]["$ref"]
    models = importlib.import_module(f"{CLIENT_PACKAGE}.models")
    return module, getattr(models, schema_ref.rsplit("/", 1)[-1])


def send(
    client: AuthenticatedClient | Client,
    spec_file: str,
    path: str,
    params: dict[str, Any],
    input_image: tuple[str, bytes] | None,
    fetch: Callable[[str], bytes],
    limits: AnswerLimits,
) -> Exchange:
    """Send `params` (and the image) to `path` as the generated client builds it.

    The answer is read within `limits` (raising `AnswerOutOfBounds`); transport errors
    propagate; an answer the client could not parse is still returned raw, since judging it is
    the suite's job.
    """
    module, model = _sender(spec_file, path)
    fields = dict(params)
    if input_image is not None:
        media_type, data = input_image
        suffix = "png" if media_type == "image/png" else "jpg"
        image = File(payload=io.BytesIO(data), file_name=f"input.{suffix}", mime_type=media_type)
        fields["image"] = image
    request = module._get_kwargs(body=model(**fields))
    request["headers"].update(client.auth_headers)
    started = time.monotonic()
    with client.get_httpx_client().stream(**request) as response:
        content = read_bounded(response, limits, started)
        status_text = status_line(
            response.status_code, response.reason_phrase, response.http_version.split("/")[-1]
        )
        content_type = response.headers.get("content-type", "")
        headers = list(response.headers.multi_items())
    body = parse_json(content)
    return Exchange(
        path,
        params,
        input_image,
        response.status_code,
        body,
        fetch,
        content=content,
        status_text=status_text,
        content_type=content_type,
        headers=headers,
        sent_token=sent_token(httpx.Headers(request["headers"])),
    )


def fetcher(config: RunConfig, spend: Callable[[], object]) -> Callable[[str], bytes]:
    """A function fetching a media URL's bytes (data: or http(s):), bounded in size and time."""

    def fetch(url: str) -> bytes:
        if url.startswith("data:"):
            return _data_url_bytes(url)
        if not url.startswith(("http://", "https://")):
            raise MediaError(f"not an http(s) or data: URL: {url[:60]!r}")
        spend()  # takes one request from the run's budget, or raises to stop the run
        try:
            options = client_options(config, url, gateway_headers=False)
            with httpx.stream("GET", url, follow_redirects=True, **options) as response:
                if response.status_code != 200:
                    raise MediaError(f"GET {url[:80]} answered {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        raise MediaError(f"{url[:80]} is larger than {MAX_MEDIA_BYTES} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.InvalidURL:
            raise MediaError(f"not a valid URL: {url[:60]!r}") from None
        except httpx.HTTPError as exc:
            raise MediaError(f"GET {url[:80]} failed: {type(exc).__name__}") from None

    return fetch


def _data_url_bytes(url: str) -> bytes:
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


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _save_input(inputs_dir: Path | None, media_type: str, data: bytes) -> str:
    suffix = "png" if media_type == "image/png" else "jpg"
    if inputs_dir is None:
        return f"input.{suffix}"
    return str(save_input(inputs_dir, data, suffix))

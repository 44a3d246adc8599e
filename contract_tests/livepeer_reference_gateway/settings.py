"""The reference gateway's configuration: what it answers (`GatewaySettings`) and how it
serves connections (`ServerSettings`). The command line takes its defaults from here."""

from __future__ import annotations

import resource
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit

from .errors import SettingsError

MediaUrls = Literal["data", "http"]

#: File descriptors kept back from the connection cap for listening sockets, logs, spooled
#: uploads and worker threads, so the cap is reached before the process runs out of them.
FD_RESERVE = 64


@dataclass(frozen=True)
class GatewaySettings:
    """How one reference gateway behaves: auth, media URLs, limits and switched-on faults."""

    #: Bearer token every request must carry; None serves openly.
    token: str | None = None
    #: `data`: images inline as `data:image/png;base64,...`; `http`: served at /media/{id}.png.
    media_urls: MediaUrls = "data"
    #: Base of http media URLs (`https://gateway.example/ai`); None: the address the request
    #: arrived on. Never taken from the request's `Host` header.
    public_url: str | None = None
    #: Seconds an http media URL stays fetchable.
    media_ttl_seconds: float = 300.0
    #: At most this many images are kept for http media URLs (oldest dropped first).
    media_max_items: int = 512
    #: At most this many PNG bytes are kept for http media URLs (oldest dropped first).
    media_max_bytes: int = 256 * 2**20
    #: Request bodies larger than this get 413 before they are read whole.
    max_upload_bytes: int = 20 * 2**20
    #: JSON bodies larger than this get 413: the JSON request schemas hold only scalars, so a
    #: body this size is already far past any valid request, and is never parsed.
    max_json_bytes: int = 2**20
    #: The bodies of all requests being received at once, together: past it a request gets 503.
    max_inflight_body_bytes: int = 128 * 2**20
    #: Uploaded files larger than this are spooled to a temporary file instead of memory.
    spool_bytes: int = 2**20
    #: Input images with more pixels than this get 400 without being decoded.
    max_image_pixels: int = 2048 * 2048
    #: Upscale inputs with more pixels than this get 400 (the output is factor² times larger).
    max_upscale_input_pixels: int = 512 * 512
    #: Largest non-file multipart field, in bytes.
    max_field_bytes: int = 2**20
    #: Most multipart fields and files accepted in one request.
    max_form_fields: int = 64
    max_form_files: int = 4
    #: Named departures from the spec (see `faults.FAULTS`); empty for a conformant gateway.
    faults: frozenset[str] = frozenset()
    #: How long the `slow_response` fault sleeps before answering.
    fault_delay_seconds: float = 3.0
    #: The spec to serve; None means `livepeer_gateway_spec.spec_path()`.
    spec_path: Path | None = None

    def __post_init__(self) -> None:
        if self.media_urls not in get_args(MediaUrls):
            raise SettingsError(f"media_urls must be 'data' or 'http', not {self.media_urls!r}")
        _require_positive(self, _POSITIVE_GATEWAY)
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(f"public URL must be an http(s) URL, not {self.public_url!r}")
        # A plain set is accepted and frozen, so settings stay hashable and immutable.
        object.__setattr__(self, "faults", frozenset(self.faults))


@dataclass(frozen=True)
class ServerSettings:
    """How the gateway's server treats connections: where it listens and every deadline."""

    host: str = "127.0.0.1"
    #: 0 picks a free port.
    port: int = 8000
    #: Processes serving the same socket, each with the same settings and faults.
    workers: int = 1
    #: Seconds a connection may take to send a request line and headers (from when it
    #: opens, or from the end of its previous answer); past it, it is closed.
    header_timeout: float = 10.0
    #: Seconds a request's whole body may take to arrive once its headers have; past it, the
    #: connection is closed.
    body_timeout: float = 60.0
    #: Seconds an idle keep-alive connection stays open after an answer.
    keepalive_timeout: float = 5.0
    #: Open connections per worker; past it a new connection gets 503 and is closed at once.
    #: None: the process's open-file limit less `FD_RESERVE`.
    max_connections: int | None = None
    #: Largest request line plus headers, in bytes.
    max_header_bytes: int = 16 * 1024
    #: Seconds between two log lines about the same kind of refused or closed connection.
    log_interval: float = 10.0
    log_level: str = "info"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be 0 to 65535, got {self.port}")
        _require_positive(self, _POSITIVE_SERVER)
        if self.max_connections is not None and self.max_connections <= 0:
            raise SettingsError("max_connections must be positive")

    def connection_cap(self) -> int:
        """`max_connections`, or what the open-file limit leaves for connections."""
        if self.max_connections is not None:
            return self.max_connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return 10_000
        return max(1, soft - FD_RESERVE)


_POSITIVE_GATEWAY = (
    "media_ttl_seconds",
    "max_upload_bytes",
    "max_json_bytes",
    "max_inflight_body_bytes",
    "spool_bytes",
    "max_image_pixels",
    "max_upscale_input_pixels",
    "max_field_bytes",
)
_POSITIVE_SERVER = (
    "workers",
    "header_timeout",
    "body_timeout",
    "keepalive_timeout",
    "max_header_bytes",
    "log_interval",
)


def _require_positive(settings: object, names: tuple[str, ...]) -> None:
    for name in names:
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{name} must be positive")


def default(cls: type, name: str) -> object:
    """The declared default of the field `name` of the settings class `cls`."""
    for field in fields(cls):
        if field.name == name:
            return field.default
    raise KeyError(name)

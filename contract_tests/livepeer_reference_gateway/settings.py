"""The reference gateway's configuration: one frozen value passed to `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MediaUrls = Literal["data", "http"]


@dataclass(frozen=True)
class GatewaySettings:
    """How one reference gateway behaves: auth, media URLs, limits and switched-on faults."""

    #: Bearer token every request must carry; None serves openly.
    token: str | None = None
    #: `data`: images inline as `data:image/png;base64,...`; `http`: served at /media/{id}.png.
    media_urls: MediaUrls = "data"
    #: Seconds an http media URL stays fetchable.
    media_ttl_seconds: float = 300.0
    #: At most this many images are kept for http media URLs (oldest dropped first).
    media_max_items: int = 512
    #: At most this many PNG bytes are kept for http media URLs (oldest dropped first).
    media_max_bytes: int = 256 * 2**20
    #: Request bodies larger than this get 413 before they are read whole.
    max_upload_bytes: int = 20 * 2**20
    #: Input images with more pixels than this get 400 without being decoded.
    max_image_pixels: int = 2048 * 2048
    #: Upscale inputs with more pixels than this get 400 (the output is 16 times larger).
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
        if self.media_urls not in ("data", "http"):
            raise ValueError(f"media_urls must be 'data' or 'http', not {self.media_urls!r}")
        limits = (
            "max_upload_bytes",
            "max_image_pixels",
            "max_upscale_input_pixels",
            "max_field_bytes",
        )
        for name in limits:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        # A plain set is accepted and frozen, so settings stay hashable and immutable.
        object.__setattr__(self, "faults", frozenset(self.faults))

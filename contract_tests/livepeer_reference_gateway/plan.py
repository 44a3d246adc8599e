"""The gateway's core values: which pipeline an operation runs, what it generates, what it answers.

The pipelines, the app and the fault catalogue all speak in these types; none of them owns them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livepeer_gateway_spec import Pipeline

from .errors import GatewayError


@dataclass(frozen=True)
class RequestInfo:
    """What the `before` and `delay` hooks know about a request."""

    operation_id: str
    sequence: int  # 1-based count of requests to the image operations since start
    delay_seconds: float  # the settings' `fault_delay_seconds`
    authorization: str = ""  # the request's Authorization header, for faults that leak it


@dataclass(frozen=True)
class GenerationPlan:
    """What the gateway is about to generate for a valid request."""

    operation_id: str
    prompt: str
    seeds: tuple[int, ...]
    size: tuple[int, int] | None = None  # text-to-image output size
    #: image-to-image: output size from the input's size (None keeps the input's size)
    resize: Callable[[tuple[int, int]], tuple[int, int]] | None = None
    strength: float = 1.0  # image-to-image: the request's strength, its spec default filled in
    #: upscale: the operation's `x-upscale-factor`, read from the spec (None elsewhere)
    upscale_factor: int | None = None
    pipeline: Pipeline = "text-to-image"
    #: The validated request's fields, defaults filled in, for faults that read one.
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Answer:
    """The answer about to be sent: status, JSON body, headers, media type and any refusal."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = "application/json"
    error: GatewayError | None = None
    #: The request answered, for faults whose change depends on it.
    request: RequestInfo | None = None

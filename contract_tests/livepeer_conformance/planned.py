"""A planned request as data, and the one way every phase's request is built from it.

Planners (the credentials check, the edge probes, the property phase) are pure functions of the
spec and the run's options that return `Planned` requests; the dry run prints them and the
engine sends them. Nothing here sends anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from livepeer_gateway_spec import Operation, Source

from livepeer_conformance.config import RunConfig
from livepeer_conformance.gpu_work import upload_side, work
from livepeer_conformance.results import VALID as VALID_TRIGGER
from livepeer_conformance.strategies import encode_image

Expect = Literal["accept", "refuse", "either"]
#: The credentials a request carries: the run's, none, or `WRONG_TOKEN`.
Credentials = Literal["run", "none", "wrong"]

#: The token a wrong-credentials request sends: not a secret, and the same in every run.
WRONG_TOKEN = "conformance-suite-wrong-token"
#: Side of the cheapest uploaded image: a multiple of 8, so no pipeline needs to round it.
UPLOAD_SIDE = 16
#: The prompt of every request the suite writes itself.
PROMPT = "a lighthouse on a cliff"

MISSING_REQUIRED = "missing required field"
WRONG_TYPE = "wrong type"
OUT_OF_RANGE = "out of range"
NOT_AN_IMAGE = "not an image"
NO_CREDENTIALS = "no credentials"
WRONG_CREDENTIALS = "wrong credentials"
#: The families of requests that are not edge probes (the property phase's and the
#: credentials check's).
NOT_PROBES = frozenset({"credentials", "example", "drawn"})
#: The refusal classes whose first probe each operation gets before any phase explores.
REFUSAL_CLASSES = (
    MISSING_REQUIRED,
    NO_CREDENTIALS,
    WRONG_TYPE,
    OUT_OF_RANGE,
    NOT_AN_IMAGE,
    WRONG_CREDENTIALS,
)


@dataclass(frozen=True)
class Planned:
    """One request a phase plans: what it sends, what the spec says of it, and why."""

    operation: Operation
    #: The planner's family (`credentials`, `seed`, `example`, ...): probes go out by family.
    family: str
    #: What the request tries, quoted in each finding's reason (e.g. `seed=0`).
    purpose: str
    params: Mapping[str, Any]
    #: (media type, bytes) of the file part; None sends no file part (or a JSON body).
    image: tuple[str, bytes] | None = None
    expect: Expect = "either"
    #: The rule deciding `expect` (e.g. `num_inference_steps.maximum`), with its source.
    rule: str = ""
    source: Source | None = None
    #: Send the multipart body without the boundary parameter in its Content-Type.
    drop_boundary: bool = False
    credentials: Credentials = "run"
    #: Send the request a second time when the first is served (the same-seed properties).
    repeat: bool = False
    #: Judged by the semantic properties when served (requests the suite typed itself).
    judged_by_properties: bool = True

    @property
    def described(self) -> str:
        """How a finding's reason names the request: `edge probe seed=0`, `drawn request`."""
        return self.purpose if self.family in NOT_PROBES else f"edge probe {self.purpose}"

    @property
    def trigger(self) -> str:
        """The input a server error on this request is blamed on: the field or family it puts
        at its edge (`loras`, `seed`), or "a valid request"."""
        if self.family in NOT_PROBES:
            return VALID_TRIGGER
        return re.split(r"[. ]", self.rule, maxsplit=1)[0] if self.rule else self.family

    @property
    def refusal(self) -> str:
        """The refusal class the request stands for, or "" (see `REFUSAL_CLASSES`)."""
        if self.credentials != "run":
            return NO_CREDENTIALS if self.credentials == "none" else WRONG_CREDENTIALS
        if self.expect != "refuse":
            return ""
        keyword = self.rule.rsplit(".", 1)[-1]
        if keyword in ("minimum", "maximum"):
            return OUT_OF_RANGE
        if keyword == "required":
            return MISSING_REQUIRED
        if keyword == "type":
            return WRONG_TYPE
        if self.rule == "image decodes":
            return NOT_AN_IMAGE
        return ""

    @property
    def cost(self) -> int:
        """GPU work if a gateway serves it: output pixels × inference steps × images."""
        upload = upload_side(self.image[1]) if self.image is not None else None
        return work(self.operation, dict(self.params), upload)


def pin_model(params: dict[str, Any], operation: Operation, config: RunConfig) -> dict[str, Any]:
    """`params` with the model the operator pinned for `operation`, or without a model id.

    Any string is a valid model id for the schema, but only a pinned one names a model the
    gateway serves: no request the suite writes carries an invented one.
    """
    name = operation.model_field
    if name is None:
        return params
    pinned = config.model_id_for(operation.path)
    if pinned is None:
        params.pop(name, None)
    else:
        params[name] = pinned
    return params


def cheapest_params(operation: Operation, config: RunConfig) -> dict[str, Any]:
    """The cheapest valid request: smallest size, steps and batch, the pinned model."""
    params: dict[str, Any] = {"prompt": PROMPT}
    for name in ("width", "height", "num_inference_steps", "num_images_per_prompt"):
        if name in operation.properties:
            params[name] = operation.properties[name].get("minimum", 1)
    return pin_model(params, operation, config)


def upload_png(side: int = UPLOAD_SIDE, colour: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    return encode_image(side, side, colour, "PNG")


def cheapest_image(operation: Operation) -> tuple[str, bytes] | None:
    """The file part of the cheapest request: a small PNG, or None for a JSON body."""
    return ("image/png", upload_png()) if operation.multipart else None


def form_text(value: Any) -> str:
    """A form field's text: booleans as `true`/`false`, as the generated client sends them."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def suffix(media_type: str) -> str:
    return {"image/jpeg": "jpg", "image/webp": "webp", "image/x-portable-pixmap": "ppm"}.get(
        media_type, "png"
    )


def build_request(
    client: httpx.Client, base_url: str, planned: Planned, token: str | None
) -> httpx.Request:
    """The HTTP request `planned` describes, with the credentials it asks for."""
    url = base_url.rstrip("/") + planned.operation.path
    headers: dict[str, str] = {}
    if planned.credentials == "wrong":
        headers["Authorization"] = f"Bearer {WRONG_TOKEN}"
    elif planned.credentials == "run" and token:
        headers["Authorization"] = f"Bearer {token}"
    request = _build(client, url, planned, headers)
    request.read()  # the body as bytes: a reproducer and a resend need it whole
    return request


def _build(
    client: httpx.Client, url: str, planned: Planned, headers: dict[str, str]
) -> httpx.Request:
    method = planned.operation.method.upper()
    if not planned.operation.multipart:
        return client.build_request(method, url, json=dict(planned.params), headers=headers)
    data = {name: form_text(value) for name, value in planned.params.items()}
    if planned.image is None:
        # Fields alone would go as a urlencoded form: sent as file-less parts, they stay a
        # multipart body that lacks only its file part.
        fields = {name: (None, text) for name, text in data.items()}
        return client.build_request(method, url, files=fields, headers=headers)
    media, content = planned.image
    part = planned.operation.file_parts[0] if planned.operation.file_parts else "image"
    files = {part: (f"input.{suffix(media)}", content, media)}
    request = client.build_request(method, url, data=data, files=files, headers=headers)
    if planned.drop_boundary:
        body = request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = "multipart/form-data"
        request = client.build_request(method, url, content=body, headers=headers)
    return request

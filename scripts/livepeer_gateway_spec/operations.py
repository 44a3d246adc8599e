"""One view of each operation: what every part needs to know of it, read once from the spec.

The reference gateway, the conformance suite and the client's tooling look an operation up
here: its path and operationId, its request's media type and file parts, the kind of output
its success answer holds (read from the response schema), its `x-upscale-factor` and whether
its request names a model. No part guesses an operation's kind from the fields it happens to
have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import SpecError
from .extensions import UPSCALE_FACTOR_KEY
from .pointers import inline_refs
from .walk import iter_operations

#: The kinds of output the gateway and the suite know how to produce and judge.
OutputKind = Literal["images"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("images",)
#: What an operation does: generate from text alone, transform an upload, or enlarge it.
Pipeline = Literal["text-to-image", "image-to-image", "upscale"]
#: The request field a gateway reads as "which model".
MODEL_FIELD = "model_id"


@dataclass(frozen=True)
class Operation:
    """An operation of the spec as every part of the project sees it."""

    path: str
    method: str
    operation_id: str
    #: The first tag, which names the generated client's module folder.
    tag: str
    #: The request body's media type and schema, `$ref`s inlined.
    media_type: str
    schema: dict[str, Any] = field(repr=False)
    #: Request properties sent as files (`format: binary`).
    file_parts: tuple[str, ...]
    #: The media types the multipart encoding lists for the file part, in order.
    file_media_types: tuple[str, ...]
    #: What the success answer holds; None when no kind the project knows.
    output: OutputKind | None
    upscale_factor: int | None
    #: The request field naming the model, when the request has one.
    model_field: str | None

    @property
    def label(self) -> str:
        """`POST /text-to-image`: how reports and schemathesis name the operation."""
        return f"{self.method.upper()} {self.path}"

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        return self.schema.get("properties", {})

    @property
    def multipart(self) -> bool:
        return self.media_type == "multipart/form-data"

    @property
    def sized_output(self) -> bool:
        """Whether the request names the output's width and height."""
        return "width" in self.properties and "height" in self.properties

    @property
    def pipeline(self) -> Pipeline:
        """What the operation does, from its file parts and its upscale factor alone."""
        if not self.file_parts:
            return "text-to-image"
        return "upscale" if self.upscale_factor is not None else "image-to-image"


def output_kind(response_schema: dict[str, Any] | None) -> OutputKind | None:
    """`images` for a body holding an `images` array of objects with a `url`; else None."""
    if not isinstance(response_schema, dict):
        return None
    images = (response_schema.get("properties") or {}).get("images") or {}
    items = images.get("items") if images.get("type") == "array" else None
    if isinstance(items, dict) and "url" in (items.get("properties") or {}):
        return "images"
    return None


def _upscale_factor(op: dict[str, Any], label: str) -> int | None:
    if UPSCALE_FACTOR_KEY not in op:
        return None
    factor = op[UPSCALE_FACTOR_KEY]
    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
        raise SpecError(f"{label}: {UPSCALE_FACTOR_KEY} is not an integer >= 1")
    return factor


def _operation(path: str, method: str, raw: dict[str, Any], document: dict[str, Any]) -> Operation:
    label = f"{method.upper()} {path}"
    op = inline_refs(document, raw)
    content = (op.get("requestBody") or {}).get("content") or {}
    if not content:
        raise SpecError(f"{label} declares no request body")
    media_type, media = next(iter(content.items()))
    schema = media.get("schema") or {}
    properties = schema.get("properties") or {}
    ok = (op.get("responses") or {}).get("200") or {}
    answer = ((ok.get("content") or {}).get("application/json") or {}).get("schema")
    file_parts = tuple(n for n, s in properties.items() if s.get("format") == "binary")
    encoding = (media.get("encoding") or {}).get(file_parts[0], {}) if file_parts else {}
    file_media_types = [t.strip() for t in str(encoding.get("contentType", "")).split(",")]
    return Operation(
        path=path,
        method=method,
        operation_id=str(op.get("operationId", "")),
        tag=str((op.get("tags") or ["default"])[0]),
        media_type=media_type,
        schema=schema,
        file_parts=file_parts,
        file_media_types=tuple(t for t in file_media_types if t),
        output=output_kind(answer),
        upscale_factor=_upscale_factor(op, label),
        model_field=MODEL_FIELD if MODEL_FIELD in properties else None,
    )


def operations(document: dict[str, Any]) -> dict[str, Operation]:
    """path -> Operation, for every POST operation with an operationId, in the spec's order."""
    return {
        path: _operation(path, method, op, document)
        for path, method, op in iter_operations(document)
        if method == "post" and "operationId" in op
    }


def served_operations(document: dict[str, Any]) -> dict[str, Operation]:
    """`operations`, refusing the spec (`SpecError`, one line naming the operation) when one
    answers with an output the gateway and the suite do not know."""
    found = operations(document)
    for op in found.values():
        if op.output is None:
            raise SpecError(
                f"{op.label} ({op.operation_id}): its 200 answer is not a list of images "
                f"(known output kinds: {', '.join(OUTPUT_KINDS)}); the reference gateway and the "
                "conformance suite cannot serve or judge it"
            )
    return found

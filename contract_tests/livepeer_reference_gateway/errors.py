"""The gateway's errors: one tree, rooted at `ReferenceGatewayError`.

`GatewayError` is a refusal answered over HTTP (its declared `HTTPError` or 422 body); the
others never reach a client: bad settings, a spec the gateway cannot serve, an address it
cannot listen on, a body the limits stopped. The command line maps each to its exit code in
one place (`__main__.EXIT_CODES`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.responses import JSONResponse

#: Why a request was refused; faults use it to pick which refusals they alter.
ErrorKind = Literal[
    "validation",  # the body breaks the request schema
    "missing_field",  # a required field is absent
    "out_of_range",  # a value is outside its declared bounds
    "field_status",  # a property with its own x-invalid-status (the prompt) broke its schema
    "bad_image",  # the image part cannot be decoded or is too large
    "auth",  # missing or wrong bearer token
    "too_large",  # the body is over the upload limit
    "client_gone",  # the client disconnected before its body arrived
    "unavailable",  # no worker can take the job
    "not_found",
    "method_not_allowed",
    "internal",
]


#: The most characters of a client's value an error message repeats (an excerpt, never more).
EXCERPT_CHARS = 120


class ReferenceGatewayError(Exception):
    """Base of every error the reference gateway raises."""


class SettingsError(ReferenceGatewayError, ValueError):
    """Settings that cannot describe a gateway (a limit that is not positive, an unknown fault)."""


class SpecUnusable(ReferenceGatewayError):
    """The spec cannot be read, or lacks what the gateway serves from it."""


class CannotListen(ReferenceGatewayError):
    """The address to serve on cannot be bound."""


class BodyTooLarge(ReferenceGatewayError):
    """A request body went over the per-request limit while it was being read."""


class BodiesOverBudget(ReferenceGatewayError):
    """The bodies being received by all requests together went over the in-flight limit."""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` cut to at most `limit` characters, marked when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True)
class Violation:
    """One rule of the request schema a request broke: one 422 entry."""

    field: str
    msg: str
    type: str

    def entry(self) -> dict[str, Any]:
        """The entry in the 422 body's `detail` list."""
        loc: list[str] = ["body", self.field] if self.field else ["body"]
        return {"loc": loc, "msg": self.msg, "type": self.type}


@dataclass(eq=False)  # compared by identity, and hashable, like every exception
class GatewayError(ReferenceGatewayError):
    """A refusal with its status, kind, message, and (for 422) its violations."""

    status: int
    kind: ErrorKind
    msg: str
    violations: Sequence[Violation] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.kind}: {self.msg}"

    def body(self) -> dict[str, Any]:
        """The declared body: `HTTPValidationError` for 422, `HTTPError` otherwise."""
        if self.status == 422:
            return {"detail": [v.entry() for v in self.violations]}
        return {"detail": {"msg": self.msg}}


def validation_failed(violations: Sequence[Violation]) -> GatewayError:
    """A 422 carrying one entry per violation; its kind tells missing from out-of-range."""
    kinds = {v.type for v in violations}
    kind: ErrorKind = "validation"
    if kinds == {"missing"}:
        kind = "missing_field"
    elif kinds and kinds <= {"greater_than_equal", "less_than_equal", "multiple_of"}:
        kind = "out_of_range"
    summary = "; ".join(f"{v.field or 'body'}: {v.msg}" for v in violations)
    return GatewayError(422, kind, summary or "invalid request", tuple(violations))


def error_response(error: GatewayError) -> JSONResponse:
    """The JSON answer for a refusal."""
    return JSONResponse(error.body(), status_code=error.status, headers=dict(error.headers))

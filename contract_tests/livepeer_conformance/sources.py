"""Where each finding comes from, and so whether it fails a gateway under a profile.

Every departure names its source:

- `documented`: a reference page says so (the page and its sentence are cited);
- `protocol`: HTTP or OpenAPI itself: no 5xx, declared statuses, content types and bodies, auth;
- `recommended`: this project's hardening (bounds that keep runs cheap and probe the edges).

The default profiles fail a gateway on `documented` and `protocol` departures only and list
`recommended` ones as advisories; `strict` fails on all three. A broken bound takes its source
from the spec's `x-source` marks (`livepeer_gateway_spec.sources`); a check or property takes it
from the table below.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import jsonschema
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Source


class _Sourced(Protocol):
    @property
    def source(self) -> Source: ...


D = TypeVar("D", bound=_Sourced)

#: The profile that fails a gateway on every source, `recommended` included.
STRICT_PROFILE = "strict"

#: The public reference pages a `documented` source cites, by their URL.
PAGE_T2I = f"{spec.DOCS_SITE}ai/api-reference/text-to-image"
PAGE_I2I = f"{spec.DOCS_SITE}ai/api-reference/image-to-image"
PAGE_UPSCALE = f"{spec.DOCS_SITE}ai/api-reference/upscale"
PAGE_UPSCALE_PIPELINE = f"{spec.DOCS_SITE}ai/pipelines/upscale"

#: A mistyped value served because it reads as the declared type without loss (`coerced`).
COERCION = Source(
    "recommended",
    "this project's rule: a value of another type is refused, even one that reads as the"
    ' declared type without loss (JSON false for an integer, "0" for a multipart boolean);'
    " the pages give only the type, and FastAPI and pydantic, which upstream runners use, read"
    " it leniently",
)

_HTTP_5XX = "HTTP: a 5xx says the server failed on a request it accepted to handle"
DECLARED = "OpenAPI: an answer uses a declared status, content type, body and headers"
_AUTH = "OpenAPI security: every operation declares a security requirement the caller must meet"

#: The source of each check of the suite that is not a semantic property, by name (each
#: property carries its own, see `livepeer_conformance.properties`).
CHECK_SOURCES: dict[str, Source] = {
    # schemathesis's checks and the transport checks
    "not_a_server_error": Source("protocol", _HTTP_5XX),
    "status_code_conformance": Source("protocol", DECLARED),
    "content_type_conformance": Source("protocol", DECLARED),
    "response_schema_conformance": Source("protocol", DECLARED),
    "response_headers_conformance": Source("protocol", DECLARED),
    "negative_data_rejection": Source("protocol", "OpenAPI: the request schema's types"),
    "positive_data_acceptance": Source(
        "protocol", "OpenAPI: a request matching the request schema is served"
    ),
    "missing_required_header": Source("protocol", _AUTH),
    "ignored_auth": Source("protocol", _AUTH),
    "unsupported_method": Source("protocol", "HTTP: an undeclared method gets 405"),
    "responds_within_timeout": Source("protocol", "HTTP: a request gets an answer"),
    "gateway_reachable": Source("protocol", "HTTP: a request gets an answer"),
    "answer_within_limits": Source(
        "protocol",
        "HTTP: a request gets a complete answer a client can read (the run's size, time,"
        " decompression and JSON depth limits)",
    ),
    "token_not_echoed": Source(
        "protocol", "security: the caller's credential is never sent back, in any form"
    ),
    "gateway_available": Source(
        "recommended",
        "openapi.yaml Unavailable: 503 is for moments when no worker can take the job; most of"
        " a run's requests are served",
    ),
}

#: Sources from strongest to weakest: a departure breaking several rules takes the strongest.
_STRENGTH = ("documented", "protocol", "recommended")


def source_of_check(check: str) -> Source:
    """The source of a check or property of the suite; `KeyError` for a name it does not know,
    so that no check silently becomes `recommended`."""
    if check in CHECK_SOURCES:
        return CHECK_SOURCES[check]
    from livepeer_conformance.properties import PROPERTIES  # the registry imports this module

    return PROPERTIES[check].source


def fails_gateway(kind: str, profile: str) -> bool:
    """Whether a departure of source `kind` fails a gateway under `profile`."""
    return profile == STRICT_PROFILE or kind != "recommended"


def split_by_source(departures: list[D], profile: str) -> tuple[list[D], list[D]]:
    """(failing, advisories): the departures that fail a gateway under `profile`, and the rest."""
    failing = [d for d in departures if fails_gateway(d.source.kind, profile)]
    return failing, [d for d in departures if not fails_gateway(d.source.kind, profile)]


def strongest(sources: Iterable[Source]) -> Source | None:
    """The strongest of `sources` (documented, then protocol, then recommended), if any."""
    ordered = sorted(sources, key=lambda s: _STRENGTH.index(s.kind))
    return ordered[0] if ordered else None


def field_bound_source(schema: dict[str, Any], keyword: str) -> Source:
    """The `x-source` of `keyword` on a property schema, or the declared schema's own."""
    return spec.constraint_sources(schema).get(keyword) or Source(
        "protocol", f"OpenAPI: the request schema's `{keyword}`"
    )


@lru_cache(maxsize=16)
def _request_body(spec_file: str, path: str) -> tuple[str, dict[str, Any]]:
    return spec.request_body(spec.load_spec(spec_file), path)


def broken_constraints(spec_file: str, path: str, body: Any) -> list[tuple[str, Source]]:
    """(cause, source) of each rule of the request schema `body` breaks.

    The cause names the field and keyword, e.g. `num_images_per_prompt.minimum`; a keyword
    without an `x-source` (`type`, say) is the declared schema's, a `protocol` rule.
    """
    return sorted(_broken(_request_body(spec_file, path)[1], body).items())


def _broken(schema: dict[str, Any], body: Any) -> dict[str, Source]:
    validator = jsonschema.Draft202012Validator(schema)
    found: dict[str, Source] = {}
    for error in validator.iter_errors(_as_text_files(body)):
        owner = error.schema if isinstance(error.schema, dict) else {}
        keyword = str(error.validator)
        if keyword == "required":
            instance = error.instance if isinstance(error.instance, dict) else {}
            missing = [name for name in error.validator_value if name not in instance]
            cause = f"{'+'.join(missing) or 'body'}.required"
        else:
            where = ".".join(str(p) for p in error.absolute_path) or "body"
            cause = f"{where}.{keyword}"
        found.setdefault(cause, field_bound_source(owner, keyword))
    return found


def negative_case_source(spec_file: str, path: str, body: Any) -> tuple[str, Source]:
    """(cause, source) of an invalid request a gateway accepted: its strongest broken rule.

    A body that breaks a documented rule and a recommended one is a documented departure; one
    that breaks only recommended bounds is an advisory. A body whose every mistyped field reads
    as its declared type without loss (`coerced`) is judged as so read: served as it stands,
    it is a `COERCION` advisory; what it still breaks then decides.
    """
    media_type, schema = _request_body(spec_file, path)
    broken = _broken(schema, body)
    lenient = lenient_reading(schema, body, multipart=media_type.startswith("multipart/"))
    if lenient is not None and any(cause.endswith(".type") for cause in broken):
        broken = _broken(schema, lenient) or {
            cause: COERCION for cause in broken if cause.endswith(".type")
        }
    best = strongest(broken.values())
    if best is None:
        return "", source_of_check("negative_data_rejection")
    causes = sorted(cause for cause, source in broken.items() if source.kind == best.kind)
    return ", ".join(causes), best


def type_break_source(schema: dict[str, Any], value: Any, *, multipart: bool) -> Source:
    """The source of the rule that refuses `value` for a field of `schema` by its type:
    `COERCION` when the value reads as the declared type without loss, else the type's own."""
    return (
        COERCION
        if coerced(value, schema, multipart=multipart)
        else field_bound_source(schema, "type")
    )


#: The words pydantic reads as a boolean (any case), as upstream runners' FastAPI does.
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})
_INTEGER_TEXT = re.compile(r"([+-]?[0-9]+)(\.0*)?")
_UNREAD = object()


def coerced(value: Any, schema: dict[str, Any], *, multipart: bool) -> tuple[Any] | None:
    """`(the value as read,)` when `value`, of another type than `schema`'s, reads as that
    type without loss, as a lenient framework reads it; None when it does not.

    A multipart part is text: its text is what is read. Lossless readings: `true`/`false` as
    1/0 and a whole number (`2.0`, `"12"`, `"12.0"`) as an integer; `true`/`false`
    and a finite decimal text (`"0.5"`) as a number; 0/1 and the words `0 1 true false t f yes
    no y n on off` (any case) as a boolean; any text of a multipart part as a string. Nothing
    else (a fraction as an integer, a number as a JSON string, `null`, lists, objects).
    """
    declared = schema.get("type")
    if not isinstance(declared, str):
        return None
    if multipart:
        value = _part_text(value)
        if value is None:
            return None
    read = _read_as(value, declared)
    return None if read is _UNREAD else (read,)


def _part_text(value: Any) -> str | None:
    """The text a multipart part carries for `value`: JSON's spelling for `true`, `null` and
    objects, as form encoders write them; None for a list (several parts, not one value)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | dict) or value is None:
        return json.dumps(value)
    return str(value) if isinstance(value, int | float) else None


def _read_as(value: Any, declared: str) -> Any:
    text = value.strip() if isinstance(value, str) else None
    if declared == "string" and text is not None:
        return value
    if declared == "integer":
        if isinstance(value, bool) or (isinstance(value, float) and value.is_integer()):
            return int(value)
        if isinstance(value, int):
            return value
        whole = _INTEGER_TEXT.fullmatch(text) if text is not None else None
        if whole is not None:
            return int(whole.group(1))
    if declared == "number":
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, int | float):
            return value
        if text is not None:
            try:
                number = float(text)
            except ValueError:
                return _UNREAD
            return number if math.isfinite(number) else _UNREAD
    if declared == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if text is not None and text.lower() in _TRUE_WORDS | _FALSE_WORDS:
            return text.lower() in _TRUE_WORDS
    return _UNREAD


def lenient_reading(schema: dict[str, Any], body: Any, *, multipart: bool) -> Any:
    """`body` with each mistyped field read as its declared type (`coerced`), or None when a
    field of it does not read so (or the body is not an object)."""
    if not isinstance(body, dict):
        return None
    properties = schema.get("properties") or {}
    read: dict[str, Any] = {}
    for name, value in body.items():
        prop = properties.get(name)
        if not isinstance(prop, dict) or "type" not in prop or isinstance(value, bytes | bytearray):
            read[name] = value
            continue
        if not jsonschema.Draft202012Validator({"type": prop["type"]}).is_valid(value):
            reading = coerced(value, prop, multipart=multipart)
            if reading is None:
                return None
            value = reading[0]
        read[name] = value
    return read


def _as_text_files(body: Any) -> Any:
    """`body` with file parts (bytes) shown as text, which their `format: binary` schema reads."""
    if not isinstance(body, dict):
        return body
    return {
        name: "<file>" if isinstance(value, bytes | bytearray) else value
        for name, value in body.items()
    }

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

PAGE_T2I = "000_11706510e969fa6c.txt"
PAGE_I2I = "001_075d078fee857981.txt"

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
def _request_schema(spec_file: str, path: str) -> dict[str, Any]:
    return spec.request_body(spec.load_spec(spec_file), path)[1]


def broken_constraints(spec_file: str, path: str, body: Any) -> list[tuple[str, Source]]:
    """(cause, source) of each rule of the request schema `body` breaks.

    The cause names the field and keyword, e.g. `num_images_per_prompt.minimum`; a keyword
    without an `x-source` (`type`, say) is the declared schema's, a `protocol` rule.
    """
    schema = _request_schema(spec_file, path)
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
    return sorted(found.items())


def negative_case_source(spec_file: str, path: str, body: Any) -> tuple[str, Source]:
    """(cause, source) of an invalid request a gateway accepted: its strongest broken rule.

    A body that breaks a documented rule and a recommended one is a documented departure; one
    that breaks only recommended bounds is an advisory.
    """
    broken = broken_constraints(spec_file, path, body)
    best = strongest(source for _, source in broken)
    if best is None:
        return "", source_of_check("negative_data_rejection")
    causes = [cause for cause, source in broken if source.kind == best.kind]
    return ", ".join(causes), best


def _as_text_files(body: Any) -> Any:
    """`body` with file parts (bytes) shown as text, which their `format: binary` schema reads."""
    if not isinstance(body, dict):
        return body
    return {
        name: "<file>" if isinstance(value, bytes | bytearray) else value
        for name, value in body.items()
    }

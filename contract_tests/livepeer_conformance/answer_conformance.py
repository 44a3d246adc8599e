"""The protocol checks every answer to the suite's own requests goes through.

schemathesis judges its own requests' answers; the suite's other phases (the credentials check,
the refusal and edge probes, the semantic properties) send cheaper, more targeted requests,
whose answers are held to the same rules: no 5xx but the retryable 503, a declared status, a
declared content type, a success body that matches its schema, and the declared required
headers. An answer to a request the spec refuses is held only to what holds for any answer:
its success body keeps the schema's shape (types, required members) but not its bounds (at
least one image, say), which are the success's own rules. The checks carry
schemathesis's names and titles, so that one fault is one cause whichever phase finds it. A
declared error status's body is judged by the `error_statuses_have_declared_body` property.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema
import livepeer_gateway_spec as spec

NOT_A_SERVER_ERROR = "not_a_server_error"
STATUS_CODE = "status_code_conformance"
CONTENT_TYPE = "content_type_conformance"
RESPONSE_SCHEMA = "response_schema_conformance"
RESPONSE_HEADERS = "response_headers_conformance"
#: The checks of this module, in the order they judge an answer.
CHECKS = (NOT_A_SERVER_ERROR, STATUS_CODE, CONTENT_TYPE, RESPONSE_SCHEMA, RESPONSE_HEADERS)

#: The declared, retryable "no capacity" answer: never a server error on its own, whichever
#: phase gets it (too many of them are `gateway_available`'s finding).
UNAVAILABLE = 503
#: Answers that say nothing of whether credentials were accepted: busy, or rate-limited.
INCONCLUSIVE_FOR_AUTH = (429, UNAVAILABLE)

#: schemathesis's title of each check's failure, which the cause repeats.
TITLES = {
    NOT_A_SERVER_ERROR: "Server error",
    STATUS_CODE: "Undocumented HTTP status code",
    CONTENT_TYPE: "Undocumented Content-Type",
    RESPONSE_SCHEMA: "Response violates schema",
    RESPONSE_HEADERS: "Missing required response headers",
}


@dataclass(frozen=True)
class Judgement:
    """One check applied to one answer: `reason` is None when the answer passed it."""

    check: str
    reason: str | None

    @property
    def title(self) -> str:
        return TITLES[self.check]


def is_server_error(status: int) -> bool:
    """A 5xx other than the retryable `UNAVAILABLE`."""
    return status >= 500 and status != UNAVAILABLE


def declared_response(document: dict[str, Any], path: str, status: int) -> dict[str, Any] | None:
    """The response object the spec declares for `status`: exact, then `4XX`-style, then
    `default`; None when nothing covers it."""
    responses = spec.operation(document, path).get("responses", {})
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            return responses[key]
    return None


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` as `application/json`."""
    return content_type.split(";", 1)[0].strip().lower()


def _media_matches(actual: str, declared: Iterable[str]) -> bool:
    for option in declared:
        wanted = media_type(option)
        if wanted in (actual, "*/*"):
            return True
        if wanted.endswith("/*") and actual.split("/", 1)[0] == wanted[:-2]:
            return True
    return False


def judge(
    document: dict[str, Any],
    path: str,
    status: int,
    content_type: str,
    headers: Iterable[tuple[str, str]],
    body: Any,
    *,
    refused: bool = False,
) -> list[Judgement]:
    """Each check that applies to the answer, passed or not; a check that cannot apply (the
    schema of an undeclared status, say) is left out rather than passed. `refused`: the request
    is one the spec refuses, so a success body is held to its schema's shape alone."""
    server_error = "a 5xx other than the retryable 503" if is_server_error(status) else None
    judgements = [Judgement(NOT_A_SERVER_ERROR, server_error)]
    response = declared_response(document, path, status)
    if response is None:
        declared = ", ".join(spec.operation(document, path).get("responses", {}))
        return [*judgements, Judgement(STATUS_CODE, f"Received: {status} Documented: {declared}")]
    judgements.append(Judgement(STATUS_CODE, None))
    content_types = response.get("content") or {}
    actual = media_type(content_type)
    if content_types:
        matches = _media_matches(actual, content_types)
        reason = (
            None
            if matches
            else (
                f"Received: {content_type or 'no Content-Type'} "
                f"Documented: {', '.join(content_types)}"
            )
        )
        judgements.append(Judgement(CONTENT_TYPE, reason))
        schema = (content_types.get(actual) or {}).get("schema")
        if matches and 200 <= status < 300 and schema is not None:
            schema = body_shape(schema) if refused else schema
            judgements.append(Judgement(RESPONSE_SCHEMA, _schema_objection(body, schema, status)))
    required = [
        name for name, header in (response.get("headers") or {}).items() if header.get("required")
    ]
    # As schemathesis judges it: a declared answer that requires no header passes.
    present = {name.lower() for name, _ in headers}
    missing = [name for name in required if name.lower() not in present]
    reason = (
        "The following required headers are missing from the response: "
        + ", ".join(f"`{name}`" for name in missing)
        if missing
        else None
    )
    judgements.append(Judgement(RESPONSE_HEADERS, reason))
    return judgements


#: The keywords that bound a value rather than shape it (`required`, `enum` and `const` shape).
_BOUND_KEYWORDS = frozenset(spec.CONSTRAINT_KEYWORDS) - {"required", "enum", "const"}
#: The keywords whose values are maps of names to schemas, not schemas.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})


def body_shape(schema: Any) -> Any:
    """`schema` without its bounds (`minItems`, `minimum`, `pattern`, ...), at every depth."""
    if isinstance(schema, list):
        return [body_shape(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: {name: body_shape(sub) for name, sub in value.items()}
        if key in _SCHEMA_MAPS and isinstance(value, dict)
        else body_shape(value)
        for key, value in schema.items()
        if key not in _BOUND_KEYWORDS
    }


def _schema_objection(body: Any, schema: dict[str, Any], status: int) -> str | None:
    if body is None:
        return f"the body is not JSON; validated against the response schema for status {status}"
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(body)
    )
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(the body)"
    return f"{error.message} at {where}; validated against the response schema for status {status}"

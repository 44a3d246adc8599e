"""Every use the suite makes of schemathesis names outside its public API, in one place.

- `schemathesis.engine` (`from_schema`, `events`, `Status`): the engine that runs a schema's
  phases and streams its events, which the spec phase reads check results from. Its public
  alternatives are the command line and the pytest plugin, neither of which a library can run
  one operation at a time within a request budget.
- `Case._sync_validated_hashes`: see `keep_edits_as_generated`.
- `checks._form_body_is_valid_as_sent`: see `multipart_file_parts_revalidated`.
- `schemathesis.transport.serialization.Binary`: see `is_file_value`.

schemathesis is held to one minor version in pyproject.toml because of these.
`tests/conformance/test_conformance_schemathesis_private.py` fails when one of them disappears;
nothing here falls back silently.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from schemathesis.engine import Status, events, from_schema
from schemathesis.generation.case import Case
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.transport.serialization import Binary

__all__ = [
    "PRIVATE_TARGETS",
    "Status",
    "events",
    "from_schema",
    "is_file_value",
    "keep_edits_as_generated",
    "multipart_file_parts_revalidated",
]

#: (owner, attribute) of every private name used below.
PRIVATE_TARGETS: tuple[tuple[object, str], ...] = (
    (openapi_checks, "_form_body_is_valid_as_sent"),
    (Case, "_sync_validated_hashes"),
)


def keep_edits_as_generated(case: Case) -> None:
    """Take `case`'s current body as the one it was generated with.

    The suite's edits (a pinned model id, a real image, cheap sizes) never change whether a
    request is valid. Left as edits, schemathesis would re-validate the body and, unable to
    read a multipart file part's bytes, relabel the case.
    """
    case._sync_validated_hashes()


class _CaseWithTextFileParts:
    """A case seen with its file parts as text, as their `format: binary` schema reads them."""

    def __init__(self, case: Any, body: dict[str, Any]) -> None:
        self._case = case
        self.body = body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


def is_file_value(value: object) -> bool:
    """Whether a body value is a file part's content: raw bytes or schemathesis's `Binary`.

    schemathesis generates `format: binary` data as either; the JSON Schema validator takes
    neither (`Binary` subclasses `str` but the Rust validator refuses it).
    """
    return isinstance(value, bytes | bytearray | Binary)


@contextlib.contextmanager
def multipart_file_parts_revalidated() -> Iterator[None]:
    """While the block runs, let `negative_data_rejection` re-check bodies holding a file part.

    Cause: schemathesis 4.x re-validates a negative multipart body as it was sent (to drop
    mutations the form encoding undoes, such as an integer `prompt` sent as the text "0"), but
    it keeps a file part's raw bytes in the instance it validates; the JSON Schema validator
    cannot take bytes, the re-check gives up, and the case is reported as accepted negative
    data although the body the gateway received was valid. Showing the file part as text (any
    text satisfies `type: string, format: binary`) lets the re-check finish; a body that is
    really invalid, e.g. one without `prompt`, still fails it. The original is restored after.
    """
    original = openapi_checks._form_body_is_valid_as_sent

    def form_body_is_valid_as_sent(response: Any, case: Any, media_type: str) -> bool:
        body = case.body
        if isinstance(body, dict) and any(is_file_value(v) for v in body.values()):
            as_text = {k: "<file>" if is_file_value(v) else v for k, v in body.items()}
            case = _CaseWithTextFileParts(case, as_text)
        return original(response, case, media_type)

    openapi_checks._form_body_is_valid_as_sent = form_body_is_valid_as_sent
    try:
        yield
    finally:
        openapi_checks._form_body_is_valid_as_sent = original

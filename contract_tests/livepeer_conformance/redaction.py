"""Keeping the bearer token out of every line the suite prints or writes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from xml.sax.saxutils import escape

REDACTED = "[redacted]"

# Whatever follows "Bearer" in a header, a curl flag or a log line, up to a quote or whitespace.
_BEARER_VALUE = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")


def written_forms(secret: str) -> list[str]:
    """`secret` as it reads raw, in a JSON or Python string literal and in XML, longest first."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        escape(secret),
        escape(secret, {'"': "&quot;"}),
    }
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every bearer credential and every written form of each secret redacted."""
    for secret in filter(None, secrets):
        # A gateway's body quoted in a reason is JSON or a Python repr, so a secret it echoes
        # arrives escaped; longest forms first, so that no form is cut by a shorter one.
        for form in written_forms(secret):
            text = text.replace(form, REDACTED)
    return _BEARER_VALUE.sub(lambda match: match.group(1) + REDACTED, text)

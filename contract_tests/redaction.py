"""Keeping the bearer token out of every line the suite prints or writes."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

# Whatever follows "Bearer" in a header, a curl flag or a log line, up to a quote or whitespace.
_BEARER_VALUE = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every bearer credential and every secret replaced by `[redacted]`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _BEARER_VALUE.sub(lambda match: match.group(1) + REDACTED, text)

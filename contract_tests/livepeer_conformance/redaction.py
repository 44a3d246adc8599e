"""Keeping the bearer token out of every line the suite prints or writes.

Redaction runs on whole texts, before anything is cut or its whitespace folded, and covers
every form a gateway may echo a token in: raw, escaped (JSON, XML, a Python repr), URL-encoded,
base64 and hex, with its internal whitespace changed, and any piece of it of at least
`MIN_PIECE` characters (what is left of a token a message was cut through).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from livepeer_gateway_spec import TOKEN_ENV

REDACTED = "[redacted]"
#: The shortest piece of a token redacted on its own: a cut token leaves at least this much.
MIN_PIECE = 8

# Whatever follows "Bearer" in a header, a curl flag or a log line, up to a quote, a backslash
# (an escaped quote in JSON) or whitespace; but the token's variable, which a reproducer names.
_BEARER_VALUE = re.compile(
    rf"(?i)(bearer\s+)(?!\$(?:{TOKEN_ENV}|\{{{TOKEN_ENV}\}})(?![\w{{]))[^\s'\"\\]+"
)


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


def _base64_cores(data: bytes) -> set[str]:
    """What every base64 text holding `data` contains, at each of the three byte alignments."""
    cores = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for shift in range(3):
            text = encode(b"\0" * shift + data).decode().rstrip("=")
            # The first group mixes in the bytes before; the last, the bytes after.
            start = 4 if shift else 0
            core = text[start : len(text) - 4]
            if len(core) >= MIN_PIECE:
                cores.add(core)
    return cores


def encoded_forms(secret: str) -> set[str]:
    """`secret` URL-encoded, base64-encoded and hex-encoded."""
    data = secret.encode("utf-8", "replace")
    forms = {quote(secret, safe=""), quote_plus(secret), data.hex(), data.hex().upper()}
    forms |= _base64_cores(data)
    forms |= _base64_cores(f"Bearer {secret}".encode("utf-8", "replace"))
    return {form for form in forms if form and form != secret}


@lru_cache(maxsize=16)
def _forms(secret: str) -> tuple[frozenset[str], frozenset[str], re.Pattern[str] | None]:
    """(every form, every `MIN_PIECE`-long window of a form, a pattern for whitespace variants)."""
    forms = frozenset(set(written_forms(secret)) | encoded_forms(secret))
    windows = frozenset(
        form[start : start + MIN_PIECE]
        for form in forms
        for start in range(len(form) - MIN_PIECE + 1)
    )
    spaced = [form.split() for form in forms if len(form.split()) > 1]
    # Whitespace inside a token may be folded or widened on the way: any run matches.
    pattern = (
        re.compile("|".join(r"\s+".join(map(re.escape, words)) for words in spaced))
        if spaced
        else None
    )
    return forms, windows, pattern


def _without_pieces(text: str, forms: frozenset[str], windows: frozenset[str]) -> str:
    """`text` with every run of at least `MIN_PIECE` characters found in some form redacted."""
    kept: list[str] = []
    last = start = 0
    while start <= len(text) - MIN_PIECE:
        if text[start : start + MIN_PIECE] not in windows:
            start += 1
            continue
        end = start + MIN_PIECE
        while end < len(text) and any(text[start : end + 1] in form for form in forms):
            end += 1
        kept += [text[last:start], REDACTED]
        last = start = end
    kept.append(text[last:])
    return "".join(kept)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every bearer credential and every form and piece of each secret redacted."""
    for secret in filter(None, secrets):
        forms, windows, spaced = _forms(secret)
        if spaced is not None:
            text = spaced.sub(REDACTED, text)
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, REDACTED)
        text = _without_pieces(text, forms, windows)
    return _BEARER_VALUE.sub(lambda match: match.group(1) + REDACTED, text)

"""A caller's bearer token coming back in an answer, in any of the forms it could take.

A gateway that puts the credential in a header, an error message or a debugging field hands it
to whoever reads its logs, its caches or its answers: a `protocol` (security) departure, even
where the response schema allows extra fields.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

#: The check's name in reports.
TOKEN_NOT_ECHOED = "token_not_echoed"
#: Shorter credentials are not searched for: they would match by chance.
MIN_TOKEN_LENGTH = 8


def _base64_forms(data: bytes) -> dict[str, str]:
    forms = {}
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        text = encode(data).decode("ascii")
        forms[name] = text
        forms[f"{name}, unpadded"] = text.rstrip("=")
    return forms


def echo_forms(token: str) -> dict[str, str]:
    """How `token` may read once a gateway has copied it: form name -> text searched for."""
    raw = token.encode("utf-8")
    forms = {
        "as is": token,
        "JSON-escaped": json.dumps(token)[1:-1],
        "URL-encoded": quote(token, safe=""),
        "form-encoded": quote_plus(token),
        "HTML-escaped": html.escape(token),
        "hex": raw.hex(),
        "reversed": token[::-1],
    }
    for prefix, label in (("", ""), ("Bearer ", " with its scheme")):
        for name, text in _base64_forms((prefix + token).encode("utf-8")).items():
            forms[name + label] = text
    forms["lower case"] = token.lower()
    return forms


def find_echo(
    headers: Iterable[tuple[str, str]], body: bytes, tokens: Iterable[str | None]
) -> str | None:
    """Where and how a token came back (e.g. "body, base64"), or None when it did not."""
    places = [(f"header {name}", value) for name, value in headers]
    places.append(("body", body.decode("utf-8", "replace")))
    for token in {t for t in tokens if t and len(t) >= MIN_TOKEN_LENGTH}:
        for form, text in echo_forms(token).items():
            for place, content in places:
                haystack = content.lower() if form == "lower case" else content
                if text and text in haystack:
                    return f"{place}, {form}"
    return None


def sent_token(request_headers: Mapping[str, str]) -> str | None:
    """The bearer token a request carried, if any."""
    value = request_headers.get("authorization") or ""
    scheme, _, credential = value.partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def echo_reason(where: str) -> str:
    """The one-line reason of a departure, which never quotes the token itself."""
    return f"the caller's token comes back in the answer ({where})"

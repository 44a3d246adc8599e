"""Bearer-token authentication: the header's bytes against the token's UTF-8, in constant time."""

from __future__ import annotations

import hmac
from typing import Literal

AuthOutcome = Literal["ok", "missing", "wrong"]


def authenticate(authorization: bytes | None, token: str | None) -> AuthOutcome:
    """Whether the raw `Authorization` header carries `token` ("ok" when no token is set).

    The header is compared as the bytes sent, the token as its UTF-8 encoding, so a non-ASCII
    token matches only its UTF-8 bytes (not, say, its Latin-1 ones).
    """
    if token is None:
        return "ok"
    if not authorization:
        return "missing"
    scheme, _, credentials = authorization.partition(b" ")
    if scheme.lower() != b"bearer" or not credentials.strip():
        return "wrong"
    if hmac.compare_digest(credentials.strip(b" \t"), token.encode("utf-8")):
        return "ok"
    return "wrong"

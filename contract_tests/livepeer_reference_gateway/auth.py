"""Bearer-token authentication, compared in constant time."""

from __future__ import annotations

import hmac
from typing import Literal

AuthOutcome = Literal["ok", "missing", "wrong"]


def authenticate(authorization: str | None, token: str | None) -> AuthOutcome:
    """Whether the `Authorization` header carries `token` (always "ok" when no token is set)."""
    if token is None:
        return "ok"
    if not authorization:
        return "missing"
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return "wrong"
    if hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return "ok"
    return "wrong"

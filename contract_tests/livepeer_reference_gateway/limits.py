"""Bodies counted as they arrive: against the request's limit and against all requests' total.

A declared `Content-Length` over the request's limit is refused before one byte is read. A body
without one (or lying about it) is counted chunk by chunk as the server hands it over; past the
request's limit the handler answers 413. Every received byte is also held against one budget
shared by the process's requests until the request is answered, so however many clients send
at once, the bodies they make the process hold (in memory, or spooled to temporary files) never
add up to more than `max_inflight_body_bytes`; a request that would go past it gets 503.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodiesOverBudget, BodyTooLarge, GatewayError, error_response

JSON_MEDIA_TYPE = "application/json"


class InflightBudget:
    """Bytes of request bodies held by the requests in progress (one event loop's)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> None:
        """Hold `size` more bytes, or raise `BodiesOverBudget` without holding them."""
        if self.held + size > self.limit:
            raise BodiesOverBudget()
        self.held += size

    def give_back(self, size: int) -> None:
        self.held -= size


class UploadLimit:
    """ASGI middleware: 413 from Content-Length when present, else by counting streamed bytes."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_json_bytes: int, budget: InflightBudget
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_bytes = min(max_json_bytes, max_bytes)
        self.budget = budget

    def limit_for(self, scope: Scope) -> int:
        """The body limit of this request: JSON bodies have their own, smaller one."""
        media_type = _header(scope, b"content-type") or b""
        is_json = media_type.split(b";", 1)[0].strip().lower() == JSON_MEDIA_TYPE.encode()
        return self.max_json_bytes if is_json else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        scope.setdefault("state", {})["body_limit"] = limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(too_large(limit))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                if seen + size > limit:
                    raise BodyTooLarge()
                self.budget.take(size)
                seen += size
            return message

        try:
            await self.app(scope, counted, send)
        finally:
            self.budget.give_back(seen)


def too_large(max_bytes: int) -> GatewayError:
    """The 413 refusal for a body over `max_bytes`; the connection closes after it, so that the
    rest of the body is never read (an endless one would otherwise be read to the deadline)."""
    return GatewayError(
        413,
        "too_large",
        f"the body is over the limit of {max_bytes} bytes",
        headers={"Connection": "close"},
    )


def over_budget() -> GatewayError:
    """The 503 refusal for a body that would take the in-flight total past its limit."""
    return GatewayError(
        503, "unavailable", "the gateway is receiving too many request bodies; retry later"
    )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None or not value.isdigit():
        return None
    return int(value)

"""Errors the operations raise, each carrying what caused it.

`ClientError` is the base of every error this client raises itself. A gateway's error status
(4xx, 5xx) raises a `GatewayError` subclass by cause, whatever its body; an answer the client
cannot use raises `UnexpectedStatus` or `UnexpectedResponseBody` (with `AnswerTooLarge` and
`AnswerTooDeep` for answers over the client's bounds); an answer that does not arrive whole in
time raises `DeadlineExceeded`, which is also an `httpx.TimeoutException`. Network failures are
httpx's own exceptions.
"""

from typing import Any

import httpx

#: How much of a body an error message quotes; the whole body stays on `.content`.
QUOTED_BODY_LENGTH = 500


class ClientError(Exception):
    """The base of the errors this client raises."""


class ResponseError(ClientError):
    """A response the client cannot turn into one of the spec's declared results."""

    def __init__(
        self, status_code: int, content: bytes, reason: str, message: str | None = None
    ) -> None:
        self.status_code = status_code
        self.content = content
        self.reason = reason
        if message is None:
            quoted = content[:QUOTED_BODY_LENGTH].decode(errors="replace")
            message = f"{reason} (status {status_code}); body: {quoted}"
        super().__init__(message)


class UnexpectedStatus(ResponseError):
    """The gateway answered a status the spec does not declare for this operation."""

    def __init__(self, status_code: int, content: bytes) -> None:
        super().__init__(status_code, content, "status not declared by the API description")


class UnexpectedResponseBody(ResponseError):
    """The body of a declared status does not match its schema (not JSON, a field missing or of the wrong type)."""


class AnswerTooLarge(UnexpectedResponseBody):
    """The answer is larger than the client's `max_answer_bytes`; `content` holds its first bytes."""


class AnswerTooDeep(UnexpectedResponseBody):
    """The answer's JSON nests deeper than the client's `max_json_depth`."""


class DeadlineExceeded(ClientError, httpx.TimeoutException):
    """The answer did not arrive whole within the call's deadline (the client's `timeout`)."""

    def __init__(self, message: str) -> None:
        httpx.TimeoutException.__init__(self, message)


class GatewayError(ResponseError):
    """The gateway answered an error status: `status_code`, its message `detail`, and `response`
    (a `types.Response` whose `parsed` is the declared error body, or None when it has none)."""

    def __init__(self, response: Any, detail: str, retry_after: float | None = None) -> None:
        self.response = response
        self.detail = detail
        #: Seconds the gateway asked to wait (its `Retry-After`), or None.
        self.retry_after = retry_after
        status_code = int(response.status_code)
        super().__init__(
            status_code, response.content, detail, f"gateway answered {status_code}: {detail}"
        )


class RequestRefused(GatewayError):
    """A 4xx answer: the request cannot be served as sent (400, 413 and other refusals)."""


class Unauthorized(RequestRefused):
    """A 401 or 403 answer: the token is missing, wrong or not allowed this operation."""


class InvalidRequest(RequestRefused):
    """A 422 answer: the body breaks the request schema; `detail` lists where and why."""


class RetryLater(GatewayError):
    """A 429 or 503 answer: the gateway did not run the request and it may be sent again later."""


class ServerError(GatewayError):
    """A 5xx answer other than 503: the gateway failed, and may have run the request."""


def error_for_status(response: Any, detail: str, retry_after: float | None) -> GatewayError:
    """The GatewayError subclass for `response`'s status."""
    status = int(response.status_code)
    if status in (429, 503):
        kind: type[GatewayError] = RetryLater
    elif status in (401, 403):
        kind = Unauthorized
    elif status == 422:
        kind = InvalidRequest
    elif status >= 500:
        kind = ServerError
    else:
        kind = RequestRefused
    return kind(response, detail, retry_after)


def detail_message(data: Any, content: bytes) -> str:
    """One line saying what an error answer says: its `detail` message, else its text."""
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("msg"), str):
        text = detail["msg"]
    elif isinstance(detail, str):
        text = detail
    elif isinstance(detail, list) and detail:
        text = "; ".join(_problem(item) for item in detail)
    else:
        text = content[:QUOTED_BODY_LENGTH].decode(errors="replace")
    return " ".join(text.split())[:QUOTED_BODY_LENGTH] or "(no message)"


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc", []) if part != "body")
    return f"{where}: {item.get('msg')}" if where else str(item.get("msg"))


__all__ = [
    "AnswerTooDeep",
    "AnswerTooLarge",
    "ClientError",
    "DeadlineExceeded",
    "GatewayError",
    "InvalidRequest",
    "RequestRefused",
    "ResponseError",
    "RetryLater",
    "ServerError",
    "Unauthorized",
    "UnexpectedResponseBody",
    "UnexpectedStatus",
]

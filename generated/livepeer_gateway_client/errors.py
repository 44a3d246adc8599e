"""Errors the operations raise, each carrying the status code and the body that caused it."""

# How much of a body an error message quotes; the whole body stays on `.content`.
_QUOTED_BODY_LENGTH = 500


class ResponseError(Exception):
    """A response the client cannot turn into one of the spec's declared results."""

    def __init__(self, status_code: int, content: bytes, reason: str) -> None:
        self.status_code = status_code
        self.content = content
        self.reason = reason
        quoted = content[:_QUOTED_BODY_LENGTH].decode(errors="replace")
        super().__init__(f"{reason} (status {status_code}); body: {quoted}")


class UnexpectedStatus(ResponseError):
    """The gateway answered a status the spec does not declare for this operation."""

    def __init__(self, status_code: int, content: bytes) -> None:
        super().__init__(status_code, content, "status not declared by the API description")


class UnexpectedResponseBody(ResponseError):
    """The body of a declared status does not match its schema (not JSON, a field missing or of the wrong type)."""


__all__ = ["ResponseError", "UnexpectedResponseBody", "UnexpectedStatus"]

"""Closing a connection after an answer without saying so, as uvicorn does after an app error.

A conformant variant of the fault catalogue: some real gateways close a kept-alive connection
after an error answer with no `Connection: close` (FastAPI gateways under uvicorn do it after
every unhandled error). ASGI has no message to close a connection; uvicorn closes it when the
application raises after its answer was sent, which is what `CloseAfterAnswer` does, raising
`AnswerSentClosing`. That exception is the mechanism, not a failure: nothing logs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

#: The logger uvicorn reports an application's exceptions on.
_UVICORN_ERRORS = "uvicorn.error"


class AnswerSentClosing(Exception):
    """Raised once an answer is sent whole, so that the server closes the connection."""


class CloseAfterAnswer:
    """ASGI middleware: close the connection after an answer whose status `closes(status)`."""

    def __init__(self, app: Any, closes: Callable[[int], bool]) -> None:
        self.app, self.closes = app, closes
        _quiet_uvicorn()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def watched(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watched)
        if status and self.closes(status):
            raise AnswerSentClosing(f"closing the connection after a {status} answer")


class _DropClosing(logging.Filter):
    """Drops uvicorn's report of `AnswerSentClosing`: the close is meant, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, AnswerSentClosing)


def _quiet_uvicorn() -> None:
    # Idempotent, and it drops only this module's own exception: other reports pass as before.
    logger = logging.getLogger(_UVICORN_ERRORS)
    if not any(isinstance(f, _DropClosing) for f in logger.filters):
        logger.addFilter(_DropClosing())

"""A loopback forward proxy that reads each answer within the suite's limits for schemathesis.

schemathesis reads every answer whole. Pointed at this proxy (its supported `proxy` option),
its requests to an http gateway go through `read_bounded`: an answer too large, too slow or
nested too deep becomes an `answer_within_limits` departure, and schemathesis gets a short
stand-in answer marked with `MARKER_HEADER`, whose checks the spec phase leaves out. An https
gateway cannot be proxied this way (the proxy would see only an encrypted tunnel).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from livepeer_conformance.bounded import AnswerLimits, AnswerOutOfBounds, parse_json, read_bounded

#: Header of the stand-in answer the proxy gives in place of one out of bounds.
MARKER_HEADER = "X-Livepeer-Conformance-Out-Of-Bounds"
#: Headers that belong to one hop, or that no longer hold once the body is read and decoded.
_NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "transfer-encoding",
        "content-length",
        "content-encoding",
        "te",
        "upgrade",
    }
)

#: Called with the request (method, URL, headers, body) of each answer out of bounds, and why.
OnOutOfBounds = Callable[[str, str, dict[str, str], bytes, AnswerOutOfBounds], None]


def _handler(
    client: httpx.Client, limits: AnswerLimits, on_out_of_bounds: OnOutOfBounds
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes: without this, each answer waits for
        # the client's delayed acknowledgement.
        disable_nagle_algorithm = True

        def __getattr__(self, name: str) -> Any:
            # Any method, declared or not (schemathesis probes undeclared ones), is forwarded.
            if name.startswith("do_"):
                return self._forward
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the run's report says what happened

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length and hasattr(socket, "TCP_QUICKACK"):
                # The client may hold the body back until its headers are acknowledged (Nagle);
                # acknowledge them now rather than after the 40 ms delayed-ACK timer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            body = self.rfile.read(length) if length else b""
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED]
            started = time.monotonic()
            try:
                with client.stream(
                    self.command, self.path, headers=headers, content=body
                ) as answer:
                    content = read_bounded(answer, limits, started)
                    if "json" in answer.headers.get("content-type", ""):
                        parse_json(content)
                    status, reason = answer.status_code, answer.reason_phrase
                    answer_headers = [
                        (k, v)
                        for k, v in answer.headers.multi_items()
                        if k.lower() not in _NOT_FORWARDED
                    ]
            except AnswerOutOfBounds as exc:
                on_out_of_bounds(self.command, self.path, dict(headers), body, exc)
                self._answer(502, "Out Of Bounds", [(MARKER_HEADER, "1")], str(exc).encode())
                return
            except httpx.TimeoutException:
                # No answer in time: hold the connection until schemathesis's own timeout fires,
                # so that it reports the timeout as it would have without the proxy.
                time.sleep(limits.deadline)
                self.close_connection = True
                return
            except httpx.HTTPError:
                # No answer: schemathesis sees the connection close, as it would have.
                self.close_connection = True
                return
            self._answer(status, reason, answer_headers, content)

        def _answer(
            self, status: int, reason: str, headers: list[tuple[str, str]], content: bytes
        ) -> None:
            self.send_response(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

    return Handler


@contextlib.contextmanager
def bounding_proxy(
    limits: AnswerLimits, timeout: float, on_out_of_bounds: OnOutOfBounds
) -> Iterator[str]:
    """Serve the proxy on a free loopback port while the block runs; yield its URL."""
    # Without TCP_NODELAY, a request's body waits for the gateway's delayed acknowledgement of
    # its headers: some 40 ms a request.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(
        timeout=httpx.Timeout(timeout), follow_redirects=False, transport=transport
    ) as client:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(client, limits, on_out_of_bounds))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()

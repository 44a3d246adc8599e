"""A loopback proxy that reads each answer within the suite's limits for schemathesis.

schemathesis reads every answer whole. Its requests go through this proxy and are read with
the suite's limits: an answer too large, too slow or nested too deep becomes an
`answer_within_limits` departure, and schemathesis gets a short stand-in answer marked with
`MARKER_HEADER`, whose checks the spec phase leaves out.

For an http gateway the proxy is a forward proxy (schemathesis's supported `proxy` option).
An https gateway cannot be proxied that way (a forward proxy sees only an encrypted tunnel),
so for it the proxy is a reverse proxy: schemathesis's base URL is the proxy's loopback
address, and the proxy sends each request on to the gateway over TLS, verified as the rest of
the suite verifies it (`config.ssl_context`: `--cacert`, else `SSL_CERT_FILE` or
`SSL_CERT_DIR` when set, certifi's authorities otherwise), with the gateway's own `Host`. The
spec phase writes the gateway's address, never the proxy's, wherever schemathesis's requests
are shown. Either way it reaches the gateway through the run's proxy, if any.

The proxy forwards with urllib3, the library under schemathesis's own `requests`: it sends the
malformed requests schemathesis makes on purpose (odd header values among them) as they are.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.client import RemoteDisconnected
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from livepeer_conformance.bounded import (
    AnswerLimits,
    AnswerOutOfBounds,
    collect_bounded,
    parse_json,
)
from livepeer_conformance.config import Transport, ssl_context

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

#: What a request meets on a kept-alive connection the gateway closed while idle (http.client's
#: and the socket's names for it).
STALE_CONNECTION = (
    RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    ConnectionAbortedError,
)
#: Called with the request (method, URL, headers, body) of each answer out of bounds, and why.
OnOutOfBounds = Callable[[str, str, dict[str, str], bytes, AnswerOutOfBounds], None]


def _read_bounded(
    response: urllib3.BaseHTTPResponse, limits: AnswerLimits, started: float
) -> bytes:
    """The decoded body of a streamed urllib3 `response`, within `limits`."""
    return collect_bounded(
        response.headers,
        response.stream(2**16, decode_content=True),
        response.tell,
        limits,
        started,
    )


def _dropped_before_answer(error: ProtocolError) -> bool:
    """Whether the connection was closed or reset before any byte of the answer came."""
    reason = error.args[1] if len(error.args) == 2 else None
    return isinstance(reason, STALE_CONNECTION)


def _send(
    pool: urllib3.PoolManager, method: str, url: str, body: bytes, headers: urllib3.HTTPHeaderDict
) -> urllib3.BaseHTTPResponse:
    """Send one request to the gateway, its answer left unread.

    A kept-alive connection the gateway closed while idle (uvicorn does so after an unhandled
    error) fails before any byte of the answer: the gateway never saw the request, so it goes
    once more, on a fresh connection, before anything is blamed. A fresh connection failing
    that way is the gateway's fault, and so is the second failure.
    """
    host_pool = pool.connection_from_url(url)
    opened = host_pool.num_connections

    def request() -> urllib3.BaseHTTPResponse:
        return pool.request(
            method,
            url,
            body=body or None,
            headers=headers,
            preload_content=False,
            redirect=False,
            retries=False,
        )

    try:
        return request()
    except ProtocolError as exc:
        if host_pool.num_connections != opened or not _dropped_before_answer(exc):
            raise
    # urllib3 dropped the failed connection; the pool holds one per host, so this one is new.
    return request()


def _handler(
    pool: urllib3.PoolManager,
    limits: AnswerLimits,
    on_out_of_bounds: OnOutOfBounds,
    upstream: str | None,
) -> type[BaseHTTPRequestHandler]:
    # A reverse proxy sends the gateway's own Host (urllib3 sets it from the URL).
    not_forwarded = _NOT_FORWARDED | ({"host"} if upstream else set())

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
            headers = urllib3.HTTPHeaderDict()
            for name, value in self.headers.items():
                if name.lower() not in not_forwarded:
                    headers.add(name, value)
            if length:
                headers["Content-Length"] = str(length)
            # A forward proxy is asked for a whole URL; a reverse proxy for a path on `upstream`.
            url = upstream + self.path if upstream else self.path
            started = time.monotonic()
            try:
                answer = _send(pool, self.command, url, body, headers)
            except Urllib3Timeout:
                self._no_answer(limits.deadline)
                return
            except (Urllib3Error, OSError):
                self._no_answer(0)
                return
            try:
                content = _read_bounded(answer, limits, started)
                if "json" in answer.headers.get("content-type", ""):
                    parse_json(content)
            except AnswerOutOfBounds as exc:
                answer.close()  # never drain an endless body
                on_out_of_bounds(self.command, url, dict(headers), body, exc)
                self._answer(502, "Out Of Bounds", [(MARKER_HEADER, "1")], str(exc).encode())
                return
            except Urllib3Timeout:
                answer.close()
                self._no_answer(limits.deadline)
                return
            except (Urllib3Error, OSError):
                answer.close()
                self._no_answer(0)
                return
            answer.release_conn()
            forwarded = [
                (k, v) for k, v in answer.headers.iteritems() if k.lower() not in _NOT_FORWARDED
            ]
            self._answer(answer.status, answer.reason or "", forwarded, content)

        def _no_answer(self, hold: float) -> None:
            """Close without answering; after a timeout, only once schemathesis's own has fired,
            so that it reports what it would have reported without the proxy."""
            if hold:
                time.sleep(hold)
            self.close_connection = True

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
    limits: AnswerLimits,
    timeout: float,
    on_out_of_bounds: OnOutOfBounds,
    upstream: str | None = None,
    transport: Transport | None = None,
    gateway: str = "",
) -> Iterator[str]:
    """Serve the proxy on a free loopback port while the block runs; yield its URL.

    Without `upstream` it is a forward proxy; with `upstream` (an origin, `https://host[:port]`)
    a reverse proxy to it, whose URL stands for that origin. Requests go on to the gateway
    (`gateway`, its URL) with the run's TLS settings and through its proxy, if any.
    """
    transport = transport or Transport()
    options: dict[str, Any] = {
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "socket_options": HTTPConnection.default_socket_options,
        "ssl_context": ssl_context(transport),
    }
    proxy = transport.proxy_for(upstream or gateway)
    pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
    handler = _handler(pool, limits, on_out_of_bounds, upstream.rstrip("/") if upstream else None)
    try:
        with serving_in_thread(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
            yield url
    finally:
        pool.clear()


@contextlib.contextmanager
def serving_in_thread(server: ThreadingHTTPServer) -> Iterator[str]:
    """Serve `server` (bound to loopback) in a daemon thread while the block runs; the block
    gets its base URL."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

"""Serving the reference gateway: uvicorn behind a thin guard, in one process or several.

Why uvicorn with a guard, by measurement (one process, loopback, 2 cores; 64x64 text-to-image
with 8 requests in flight, as in `make bench`): stock uvicorn 0.54 (h11) kept a silent
connection open past 12 s and one dribbling header lines past 15 s, since it arms its
keep-alive timer only after an answer; 1,100 such connections took a gateway under a 1,024
file limit offline for good. Its `limit_concurrency` counts requests, not open sockets, and
answers with a text/plain body the spec does not declare. Hypercorn 0.18 closed both after its
5 s keep-alive timeout but has no cap on open connections, and served 190 requests/s where
uvicorn served 460 to 690. So the gateway keeps uvicorn's HTTP/1.1 machinery (h11 parsing,
flow control, keep-alive) and adds, as a subclass of its protocol, the stages uvicorn leaves
open: a deadline for the request line and headers, a deadline for the body, and a cap on open
connections answered at once with the declared 503; with it, the same two connections were
closed at the 10 s header deadline. Events are logged at most once per `log_interval` per kind,
and so is running out of file descriptors (asyncio logs a traceback each time it retries
accepting, once a second).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import json
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import h11
import uvicorn
from livepeer_gateway_spec import TOKEN_ENV
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .errors import CannotListen, GatewayError
from .settings import GatewaySettings, ServerSettings

#: Seconds `running_gateway` waits for uvicorn to start before giving up.
STARTUP_TIMEOUT = 30.0

log = logging.getLogger("livepeer_reference_gateway")

#: accept() failures that mean "out of a resource", not "this one connection failed".
_EXHAUSTION = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on `host`:`port` (0 picks a free port); `CannotListen` if not."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it Nagle and delayed ACKs add ~40 ms per answer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except (OverflowError, TypeError, UnicodeError) as exc:  # a port past 65535, a bad host
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: invalid address: {exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class EventLog:
    """Log lines about connections, at most one per kind per `interval` seconds, with a count."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._unreported: dict[str, int] = {}

    def note(self, kind: str, message: str) -> None:
        now = time.monotonic()
        count = self._unreported.get(kind, 0) + 1
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._unreported[kind] = count
            return
        self._last[kind] = now
        self._unreported[kind] = 0
        suffix = f" ({count} since the last report)" if count > 1 else ""
        log.warning("%s%s", message, suffix)


def _canned_answer(error: GatewayError) -> bytes:
    """The bytes of `error`'s declared JSON answer, closing the connection, written by h11."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: gateway\r\n\r\n")
    conn.next_event()  # the answer is written before its request is read, to any request
    body = json.dumps(error.body()).encode()
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(body))),
        ("connection", "close"),
    ]
    head = conn.send(h11.Response(status_code=error.status, headers=headers))
    return (head or b"") + (conn.send(h11.Data(data=body)) or b"")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for every stage and a connection cap.

    - headers: from the connection's start, or the end of its previous answer, the request
      line and headers must arrive within `header_timeout` (uvicorn's own keep-alive timer
      still closes a connection that stays silent `keepalive_timeout` after an answer);
    - body: once the headers are in, the whole body must arrive within `body_timeout`;
    - while the application works on a request no deadline runs: its own limits bound it.
    Past a deadline the connection is closed (an unfinished request sees a disconnect).
    """

    def __init__(self, *args: Any, guard: Guard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self._stage = ""
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.guard.cap:
            self.guard.events.note(
                "cap", f"refused connections: {self.guard.cap} open connections is the cap"
            )
            transport.write(self.guard.busy)
            transport.close()
            return
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm("", 0.0)
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Arm the deadline of the stage the client is in (h11 tracks the stage)."""
        if self.transport is None or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            self._arm("headers", self.guard.settings.header_timeout)
        elif state is h11.SEND_BODY:
            self._arm("body", self.guard.settings.body_timeout)
        else:
            self._arm("", 0.0)

    def _arm(self, stage: str, seconds: float) -> None:
        if stage == self._stage:
            return  # the stage's deadline is already running; progress does not extend it
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._stage = stage
        if stage:
            self._deadline = self.loop.call_later(seconds, self._expire, stage)

    def _expire(self, stage: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        limit = (
            self.guard.settings.header_timeout
            if stage == "headers"
            else self.guard.settings.body_timeout
        )
        what = "request line and headers" if stage == "headers" else "request body"
        self.guard.events.note(stage, f"closed connections: no complete {what} within {limit:g} s")
        self.transport.close()


class Guard:
    """What every connection of one server shares: settings, the cap, the canned 503, the log."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.cap = settings.connection_cap()
        self.busy = _canned_answer(
            GatewayError(503, "unavailable", "the gateway has too many open connections")
        )
        self.events = EventLog(settings.log_interval)

    def exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The event loop's handler: running out of descriptors is one line per interval."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _EXHAUSTION:
            self.events.note("accept", f"cannot accept connections: {exc.strerror}")
            return
        loop.default_exception_handler(context)


def uvicorn_server(
    app: ASGIApp,
    settings: ServerSettings | None = None,
    access_log: bool = False,
    graceful_seconds: float = 5.0,
) -> tuple[uvicorn.Server, Guard]:
    """A uvicorn server for `app` with the guard of `settings` (not yet started)."""
    settings = settings or ServerSettings(log_level="warning")
    guard = Guard(settings)
    config = uvicorn.Config(
        app,
        http=functools.partial(GuardedH11Protocol, guard=guard),  # type: ignore[arg-type]
        log_level=settings.log_level,
        access_log=access_log,
        lifespan="off",
        timeout_keep_alive=settings.keepalive_timeout,  # type: ignore[arg-type]
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_graceful_shutdown=graceful_seconds,
    )
    return uvicorn.Server(config), guard


def run_server(server: uvicorn.Server, guard: Guard, sock: socket.socket) -> None:
    """Serve on `sock` until the server is told to exit (a signal, or `should_exit`)."""

    async def serve() -> None:
        asyncio.get_running_loop().set_exception_handler(guard.exception_handler)
        await server.serve(sockets=[sock])

    asyncio.run(serve())


def serve_workers(
    settings: GatewaySettings, server_settings: ServerSettings, sock: socket.socket
) -> None:
    """Serve from `server_settings.workers` processes sharing `sock`, until interrupted.

    One worker serves in this process. More are each a fresh interpreter (spawned, not forked)
    building the same app from the same settings, so faults and limits act alike in each; the
    kernel spreads new connections over them. Every limit (connections, in-flight bodies) is
    per worker.
    """
    access_log = server_settings.log_level in ("info", "debug")
    if server_settings.workers == 1:
        server, guard = uvicorn_server(create_app(settings), server_settings, access_log)
        run_server(server, guard, sock)
        return
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_worker, args=(settings, server_settings, sock, access_log), daemon=True
        )
        for _ in range(server_settings.workers)
    ]
    for worker in workers:
        worker.start()

    def stop(signum: int, frame: object) -> None:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for worker in workers:
            worker.join()
    except KeyboardInterrupt:
        stop(signal.SIGINT, None)
        for worker in workers:
            worker.join(timeout=10)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _worker(
    settings: GatewaySettings,
    server_settings: ServerSettings,
    sock: socket.socket,
    access_log: bool,
) -> None:
    server, guard = uvicorn_server(create_app(settings), server_settings, access_log)
    with contextlib.suppress(KeyboardInterrupt):
        run_server(server, guard, sock)


@contextlib.contextmanager
def serving(app: ASGIApp, server_settings: ServerSettings | None = None) -> Iterator[str]:
    """Serve any ASGI `app` on a free loopback port in a background thread; yield its base URL."""
    # In-flight requests (a `slow_response` sleep, say) get one second to finish on exit.
    server, guard = uvicorn_server(app, server_settings, graceful_seconds=1.0)
    sock = bind_loopback()
    port = sock.getsockname()[1]
    # uvicorn installs signal handlers only in the main thread; a background thread skips them.
    thread = threading.Thread(target=run_server, args=(server, guard, sock), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start on loopback")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def running_gateway(
    settings: GatewaySettings | None = None, server_settings: ServerSettings | None = None
) -> Iterator[str]:
    """Serve the reference gateway on a free loopback port in a background thread; yield its URL."""
    with serving(create_app(settings or GatewaySettings()), server_settings) as base_url:
        yield base_url


@contextlib.contextmanager
def gateway_process(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run the gateway's command in its own process on a free port; yield (base URL, process).

    Its own process keeps its memory and GIL apart from the caller's (benchmarks, memory tests);
    it serves openly, whatever token the caller's environment holds.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "livepeer_reference_gateway", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if k != TOKEN_ENV},
    )
    try:
        assert process.stdout is not None
        # The startup line reads "reference gateway on http://HOST:PORT | ...".
        words = process.stdout.readline().split()
        if words[:3] != ["reference", "gateway", "on"]:
            raise RuntimeError("the reference gateway did not start")
        yield words[3], process
    finally:
        process.terminate()
        process.wait(timeout=10)

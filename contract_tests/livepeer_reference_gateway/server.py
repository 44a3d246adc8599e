"""Serving the reference gateway with uvicorn: in a background thread, or in the foreground."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import uvicorn
from livepeer_gateway_spec import TOKEN_ENV
from starlette.types import ASGIApp

from .app import create_app
from .settings import GatewaySettings

#: Seconds `running_gateway` waits for uvicorn to start before giving up.
STARTUP_TIMEOUT = 30.0


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on `host`:`port` (0 picks a free port); OSError if it cannot bind."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it Nagle and delayed ACKs add ~40 ms per answer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    except (OverflowError, TypeError) as exc:  # a port past 65535, a host IDNA cannot encode
        sock.close()
        raise OSError(f"invalid address: {exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def uvicorn_server(
    app: ASGIApp,
    log_level: str = "warning",
    access_log: bool = False,
    graceful_seconds: float = 5.0,
) -> uvicorn.Server:
    """A uvicorn server for `app` (not yet started)."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=graceful_seconds,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Serve any ASGI `app` on a free loopback port in a background thread; yield its base URL."""
    # In-flight requests (a `slow_response` sleep, say) get one second to finish on exit.
    server = uvicorn_server(app, graceful_seconds=1.0)
    sock = bind_loopback()
    port = sock.getsockname()[1]
    # uvicorn installs signal handlers only in the main thread; a background thread skips them.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
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
def running_gateway(settings: GatewaySettings | None = None) -> Iterator[str]:
    """Serve the reference gateway on a free loopback port in a background thread; yield its URL."""
    with serving(create_app(settings or GatewaySettings())) as base_url:
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

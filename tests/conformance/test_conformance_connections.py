"""Connection faults are blamed on the request that met them, never on an innocent one.

A gateway may close a kept-alive connection after an answer without saying so (uvicorn does
after an unhandled error: a 500 without `Connection: close`). The next request sent on that
connection never reached it: every sender (the engine, schemathesis, the bounding proxy) sends
it once more on a fresh connection before blaming anything. A gateway that resets every
connection is still reported, on the request that failed.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from livepeer_conformance.bounded import AnswerLimits
from livepeer_conformance.bounding_proxy import bounding_proxy

ERROR_BODY = json.dumps({"error": {"message": "refused"}}).encode()


class _Gateway(ThreadingHTTPServer):
    """A loopback gateway refusing every request with 400, and misbehaving as `mode` says:
    `close_after_500`: every fourth request gets a 500 without `Connection: close`, and the next
    request on that connection is read, then the connection closed unanswered;
    `reset`: every request of the spec phase (schemathesis's) is read, then its connection reset,
    on fresh connections too.
    """

    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.lock = threading.Lock()
        self.served = 0
        #: Requests that met a closed or reset connection.
        self.dropped: list[bytes] = []


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Gateway
    closes_next = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        gateway = self.server
        with gateway.lock:
            gateway.served += 1
            count = gateway.served
        spec_phase = self.headers.get("User-Agent", "").startswith("schemathesis")
        if self.closes_next or (gateway.mode == "reset" and spec_phase):
            with gateway.lock:
                gateway.dropped.append(body)
            if gateway.mode == "reset":
                # SO_LINGER 0: closing sends a reset rather than an orderly close.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.close_connection = True
            return
        crash = gateway.mode == "close_after_500" and count % 4 == 0
        self.send_response(500 if crash else 400)
        self.send_header("Content-Type", "text/plain" if crash else "application/json")
        content = b"Internal Server Error" if crash else ERROR_BODY
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        # uvicorn's way after an unhandled error: no `Connection: close`, then the close.
        self.closes_next = crash

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer  # noqa: N815


def _run(run_cli: Callable[..., Any], base_url: str) -> Any:
    return run_cli(
        *("--base-url", base_url, "--operation", "upscale", "--profile", "core"),
        *("--max-requests", "40", "--max-examples", "2", "--seed", "7"),
    )


def test_a_connection_closed_after_a_500_blames_no_request(
    run_cli: Callable[..., Any],
    serve_in_thread: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each request that met the closed connection is sent again: the 500s are reported, and
    no request is blamed for the closed connection."""
    monkeypatch.delenv("LIVEPEER_GATEWAY_TOKEN", raising=False)
    gateway = _Gateway("close_after_500")
    with serve_in_thread(gateway) as base_url:
        result = _run(run_cli, base_url)
    report = result.report()
    assert gateway.dropped, "no request met a closed connection: the test tested nothing"
    checks = {d["check"] for d in report["departures"]}
    assert "not_a_server_error" in checks
    assert "gateway_reachable" not in checks, result.stdout
    assert any(row["phase"] == "spec checks" and row["spent"] for row in report["schedule"])


def test_a_gateway_resetting_every_connection_is_reported_on_the_failed_request(
    run_cli: Callable[..., Any],
    serve_in_thread: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Resets on fresh connections too are the gateway's: `gateway_reachable`, on a request of
    the spec phase (the first ones were answered), and the run stops."""
    monkeypatch.delenv("LIVEPEER_GATEWAY_TOKEN", raising=False)
    gateway = _Gateway("reset")
    with serve_in_thread(gateway) as base_url:
        result = _run(run_cli, base_url)
    report = result.report()
    [reset] = [d for d in report["departures"] if d["check"] == "gateway_reachable"]
    before = sum(row["spent"] for row in report["schedule"] if row["phase"] != "spec checks")
    assert reset["requests_to_first_detection"] > before
    assert reset["reason"].startswith("no answer: ") and "proxy" not in reset["reason"].lower()
    # The reproducer sends the very bytes of a request the gateway reset.
    [body_file] = re.findall(r"--data-binary @(\S+)", reset["reproducer"])
    assert (result.report_dir / body_file).read_bytes() in gateway.dropped
    assert '"$LIVEPEER_GATEWAY_URL/upscale"' in reset["reproducer"]
    assert "the gateway stopped answering" in result.stdout


def test_the_bounding_proxy_sends_again_what_met_a_closed_connection(
    serve_in_thread: Callable[..., Any],
) -> None:
    """Through the proxy, with a new client connection each time (no client-side resend): the
    request that meets the gateway's closed connection gets its real answer."""
    gateway = _Gateway("close_after_500")
    with serve_in_thread(gateway) as base_url:
        cut_off: list[str] = []
        limits = AnswerLimits(2**20, 5.0)
        with bounding_proxy(limits, 5.0, lambda *args: cut_off.append(args[1])) as proxy:
            statuses = [
                httpx.post(f"{base_url}/upscale", content=b"x", proxy=proxy).status_code
                for _ in range(6)
            ]
    assert statuses == [400, 400, 400, 500, 400, 400]
    assert gateway.dropped == [b"x"] and cut_off == []

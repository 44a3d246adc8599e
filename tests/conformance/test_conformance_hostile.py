"""Hostile gateways: whatever a gateway answers, the run ends with a report and exit 1, 2 or 3.

Each behaviour is a small ASGI app served on 127.0.0.1; each run is bounded in requests and
by a subprocess timeout, and its peak memory is read from the operating system afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import resource
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from livepeer_reference_gateway.server import serving

TOKEN = "hostile-" + "k3y9" * 8
#: The response limit of every run below (`--max-response-bytes`).
MAX_RESPONSE_BYTES = 2**20
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _drain(receive: Any) -> None:
    more = True
    while more:
        more = (await receive()).get("more_body", False)


def _app(
    answer: Callable[[dict[str, Any], Send], Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        await _drain(receive)
        await answer(scope, send)

    return app


async def _start(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})


def _fixed(status: int, body: bytes, content_type: bytes = b"application/json", extra=()):  # noqa: ANN001, ANN202
    async def answer(scope: dict[str, Any], send: Send) -> None:
        await _start(send, status, [(b"content-type", content_type), *extra])
        await send({"type": "http.response.body", "body": body})

    return _app(answer)


async def _endless(scope: dict[str, Any], receive: Any, send: Send) -> None:
    """200 and a body that goes on until the client leaves (at most 64 times the limit)."""
    if scope["type"] != "http":
        return
    await _drain(receive)
    left = asyncio.ensure_future(receive())  # the next message is the client leaving
    await _start(send, 200, [(b"content-type", b"application/json")])
    chunk = b"0," * 32768
    for _ in range(64 * MAX_RESPONSE_BYTES // len(chunk)):
        if left.done():
            return
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": b"0"})


async def _huge_length(scope: dict[str, Any], send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"2000000000")]
    await _start(send, 200, headers)
    await send({"type": "http.response.body", "body": b"{}", "more_body": True})
    await asyncio.sleep(5)


#: Inflates to 16 times the response limit the runs below set.
_BOMB = gzip.compress(b" " * (16 * MAX_RESPONSE_BYTES), compresslevel=9)


async def _gzip_bomb(scope: dict[str, Any], send: Send) -> None:
    await _start(
        send, 200, [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
    )
    await send({"type": "http.response.body", "body": _BOMB})


async def _trickle(scope: dict[str, Any], send: Send) -> None:
    await _start(send, 200, [(b"content-type", b"application/json")])
    for _ in range(40):
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.5)
    await send({"type": "http.response.body", "body": b"{}"})


async def _token_echo(scope: dict[str, Any], send: Send) -> None:
    echoed = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    token = echoed.removeprefix("Bearer ")
    body = {
        "error": {
            "message": f"bad token {token[:21]}",
            "detail": f"...{token[-15:]} {quote(token)} {base64.b64encode(token.encode())!r}",
        },
        "hex": token.encode().hex(),
    }
    await _start(send, 400, [(b"content-type", b"application/json")])
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


HOSTILE = {
    "always_200": _fixed(200, b"{}"),
    "endless_body": _endless,
    "2gb_content_length": _app(_huge_length),
    "gzip_bomb": _app(_gzip_bomb),
    "trickle": _app(_trickle),
    "deep_json": _fixed(200, b"[" * 100_000 + b"]" * 100_000),
    "invalid_utf8": _fixed(200, b'{"images": "\xff\xfe\xfa"}'),
    "status_999": _fixed(999, b'{"detail": "what"}'),
    "token_echo": _app(_token_echo),
}


def _run(base_url: str, report_dir: Path) -> tuple[subprocess.CompletedProcess[bytes], int]:
    command = [
        *(sys.executable, "-m", "livepeer_conformance.cli", "run", "--base-url", base_url),
        *("--report-dir", str(report_dir), "--max-requests", "12", "--max-examples", "1"),
        *("--seed", "3", "--timeout", "2", "--max-response-bytes", str(MAX_RESPONSE_BYTES)),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        command,
        capture_output=True,
        env={**__import__("os").environ, "LIVEPEER_GATEWAY_TOKEN": TOKEN},
        timeout=240,
        check=False,
    )
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return result, max(peak_kib, before)


@pytest.mark.parametrize("behaviour", sorted(HOSTILE))
def test_hostile_gateway_gives_a_report_not_a_crash(behaviour: str, tmp_path: Path) -> None:
    """A report with exit 1 or 3, or one line with exit 2; no traceback, no token, bounded memory.

    (uvicorn cannot put status 999 on the wire and drops the connection instead: could not run.)
    """
    report_dir = tmp_path / "reports"
    with serving(HOSTILE[behaviour]) as base_url:
        result, peak_kib = _run(base_url, report_dir)
    stderr = result.stderr.decode(errors="replace")
    assert "Traceback" not in stderr, stderr
    assert peak_kib < 500 * 1024
    if result.returncode == 2:
        assert len([line for line in stderr.splitlines() if "error:" in line]) == 1, stderr
        return
    assert result.returncode in (1, 3), (result.returncode, stderr, result.stdout[-2000:])
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    assert report["outcome"] != "conforms" and report["exit_code"] == result.returncode
    written = [result.stdout, result.stderr] + [
        p.read_bytes() for p in report_dir.rglob("*") if p.is_file()
    ]
    forms = [TOKEN, TOKEN[:12], TOKEN[-12:], quote(TOKEN), TOKEN.encode().hex()]
    forms.append(base64.b64encode(TOKEN.encode()).decode()[4:-4])
    assert [f for f in forms for data in written if f.encode() in data] == []


class HostileToSomeRequests:
    """The reference gateway, except that a text-to-image request without `prompt` gets an
    endless body: only the spec phase's negative requests meet it."""

    def __init__(self) -> None:
        from livepeer_reference_gateway.app import create_app
        from livepeer_reference_gateway.settings import GatewaySettings

        self.app = create_app(GatewaySettings(token=TOKEN))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/text-to-image":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            has_prompt = isinstance(json.loads(body), dict) and "prompt" in json.loads(body)
        except ValueError:
            has_prompt = True
        if not has_prompt:
            await _endless(scope, _replay(b"", receive), send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Any) -> Any:
    sent = [False]

    async def replayed() -> dict[str, Any]:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def test_spec_phase_answers_are_bounded_too(tmp_path: Path) -> None:
    """An answer out of bounds met only by schemathesis's requests is a departure, not a crash."""
    report_dir = tmp_path / "reports"
    with serving(HostileToSomeRequests()) as base_url:
        command = [
            *(sys.executable, "-m", "livepeer_conformance.cli", "run", "--base-url", base_url),
            *("--report-dir", str(report_dir), "--operation", "textToImage", "--seed", "3"),
            *("--max-requests", "60", "--max-examples", "2", "--profile", "core"),
            *("--max-response-bytes", str(MAX_RESPONSE_BYTES)),
        ]
        result = subprocess.run(
            command,
            capture_output=True,
            env={**__import__("os").environ, "LIVEPEER_GATEWAY_TOKEN": TOKEN},
            timeout=240,
            check=False,
        )
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr.decode()
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    bounded = [d for d in report["departures"] if d["check"] == "answer_within_limits"]
    assert bounded and "larger than" in bounded[0]["reason"]
    assert bounded[0]["reproducer"].startswith("curl")

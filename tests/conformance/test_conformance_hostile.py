"""Hostile gateways: whatever a gateway answers, the run ends with a report and exit 1, 2 or 3.

Each behaviour is a small ASGI app served on 127.0.0.1; each run is bounded in requests and
by a subprocess timeout, and its peak memory is read from the operating system afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import gzip
import ipaddress
import json
import os
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
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


async def _endless(
    scope: dict[str, Any], receive: Any, send: Send, size: int = 64 * MAX_RESPONSE_BYTES
) -> None:
    """200 and a body that goes on until the client leaves (at most `size` bytes: by default
    64 times the limit)."""
    if scope["type"] != "http":
        return
    await _drain(receive)
    left = asyncio.ensure_future(receive())  # the next message is the client leaving
    await _start(send, 200, [(b"content-type", b"application/json")])
    chunk = b"0," * 32768
    for _ in range(size // len(chunk)):
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

    def __init__(self, body_size: int = 64 * MAX_RESPONSE_BYTES) -> None:
        from livepeer_reference_gateway.app import create_app
        from livepeer_reference_gateway.settings import GatewaySettings

        self.app = create_app(GatewaySettings(token=TOKEN))
        self.body_size = body_size

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
            await _endless(scope, _replay(b"", receive), send, self.body_size)
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
    assert " && curl -sS -X POST " in bounded[0]["reproducer"]


# An https gateway: schemathesis's requests reach it through the bounding reverse proxy.


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own authority) and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextlib.contextmanager
def serving_tls(app: Any, tls: tuple[Path, Path]) -> Iterator[str]:
    """Serve `app` over HTTPS on a free loopback port in a background thread; yield its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        ssl_certfile=str(tls[0]),
        ssl_keyfile=str(tls[1]),
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(3000):  # up to 30 s
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "the https server did not start"
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _run_https(
    base_url: str, ca: Path, report_dir: Path, *args: str
) -> subprocess.CompletedProcess[bytes]:
    command = [
        *(sys.executable, "-m", "livepeer_conformance.cli", "run", "--base-url", base_url),
        *("--report-dir", str(report_dir), "--operation", "textToImage", "--seed", "3"),
        *args,
    ]
    env = {**os.environ, "LIVEPEER_GATEWAY_TOKEN": TOKEN, "SSL_CERT_FILE": str(ca)}
    env.pop("SSL_CERT_DIR", None)
    return subprocess.run(command, capture_output=True, env=env, timeout=240, check=False)


def _written(result: subprocess.CompletedProcess[bytes], report_dir: Path) -> list[bytes]:
    files = [p.read_bytes() for p in report_dir.rglob("*") if p.is_file()]
    return [result.stdout, result.stderr, *files]


def test_https_spec_phase_answers_are_bounded(tls_files: tuple[Path, Path], tmp_path: Path) -> None:
    """A 2 GiB body met only by schemathesis's requests to an https gateway is a departure
    naming the gateway (never the loopback proxy), read within bounded memory."""
    report_dir = tmp_path / "reports"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with serving_tls(HostileToSomeRequests(body_size=2**31), tls_files) as base_url:
        result = _run_https(
            base_url,
            tls_files[0],
            report_dir,
            "--max-requests",
            "60",
            "--max-examples",
            "2",
            *("--profile", "core"),
            "--max-response-bytes",
            str(MAX_RESPONSE_BYTES),
        )
    peak_kib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr.decode()
    assert peak_kib < 500 * 1024
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    bounded = [d for d in report["departures"] if d["check"] == "answer_within_limits"]
    assert bounded and "larger than" in bounded[0]["reason"]
    assert " && curl -sS -X POST " in bounded[0]["reproducer"]
    assert '"$LIVEPEER_GATEWAY_URL/text-to-image"' in bounded[0]["reproducer"]
    assert f"export LIVEPEER_GATEWAY_URL={base_url}" in report["replay"]
    assert [d for d in _written(result, report_dir) if b"http://127.0.0.1" in d] == []


class HostRecorder:
    """An ASGI app passed through, recording the `Host` of every request."""

    def __init__(self, app: Any) -> None:
        self.app, self.hosts = app, set[str]()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] == "http":
            self.hosts.add(dict(scope["headers"]).get(b"host", b"").decode("latin-1"))
        await self.app(scope, receive, send)


def test_https_reports_name_the_gateway_not_the_proxy(
    tls_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """Behind the reverse proxy, reproducers, evidence and reports show the https gateway's own
    URL, the gateway gets its own `Host`, and the token shows nowhere."""
    from livepeer_reference_gateway.app import create_app
    from livepeer_reference_gateway.settings import GatewaySettings

    report_dir = tmp_path / "reports"
    # One departure in the spec phase (a response shape), so that its reproducer is shown.
    gateway = create_app(GatewaySettings(token=TOKEN, faults=frozenset({"media_field_missing"})))
    app = HostRecorder(gateway)
    with serving_tls(app, tls_files) as base_url:
        result = _run_https(
            base_url, tls_files[0], report_dir, "--max-requests", "30", "--max-examples", "1"
        )
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr.decode()
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    shown = [d for d in report["departures"] if d["check"] == "response_schema_conformance"]
    assert shown, report["departures"]
    assert '"$LIVEPEER_GATEWAY_URL/text-to-image"' in shown[0]["reproducer"]
    assert f"export LIVEPEER_GATEWAY_URL={base_url}" in report["replay"]
    assert shown[0]["evidence"]["request"] == f"POST {base_url}/text-to-image"
    assert app.hosts == {base_url.removeprefix("https://")}
    # Every phase (the properties' generated client included) trusted the same authority.
    assert "gateway_reachable" not in {d["check"] for d in report["departures"]}
    passed = {c["check"] for c in report["checks"] if c["passed"]}
    assert "images_count_matches_request" in passed, report["checks"]
    assert report["target"] == base_url
    written = _written(result, report_dir)
    assert [d for d in written if b"http://127.0.0.1" in d] == []
    assert [d for d in written if TOKEN.encode() in d] == []


class TunnelProxy:
    """An HTTP proxy that only tunnels (`CONNECT host:port`), as corporate proxies do for https.

    It records each tunnel's target and the local port of each connection it opened to it, so
    that a test can tell every connection the gateway saw came through it. Each tunnel ends
    when either side closes, or after TUNNEL_SECONDS.
    """

    TUNNEL_SECONDS = 120.0

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.upstream_ports: set[int] = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()

    def serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            client.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target = head.split(b" ", 2)[:2]
            if method != b"CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            host, port = target.decode("ascii").rsplit(":", 1)
            self.targets.append(target.decode("ascii"))
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                self.upstream_ports.add(upstream.getsockname()[1])
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                _relay(client, upstream, self.TUNNEL_SECONDS)


def _relay(one: socket.socket, other: socket.socket, seconds: float) -> None:
    import selectors
    import time

    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(one, selectors.EVENT_READ, other)
        selector.register(other, selectors.EVENT_READ, one)
        while (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(min(left, 1.0)):
                source, sink = key.fileobj, key.data
                try:
                    data = source.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    sink.sendall(data)
                except OSError:
                    return


class ClientPorts:
    """An ASGI app passed through, recording the peer port of every request's connection."""

    def __init__(self, app: Any) -> None:
        self.app, self.ports = app, set[int]()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] == "http" and scope.get("client"):
            self.ports.add(scope["client"][1])
        await self.app(scope, receive, send)


def test_https_gateway_through_a_tunnelling_proxy_conforms(
    tls_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """`--proxy` with an https gateway: every phase's connections go through the proxy's
    CONNECT tunnel (schemathesis's included), the run conforms, and reports name the gateway."""
    from livepeer_reference_gateway.app import create_app
    from livepeer_reference_gateway.settings import GatewaySettings

    report_dir = tmp_path / "reports"
    app = ClientPorts(create_app(GatewaySettings(token=TOKEN)))
    proxy = TunnelProxy()
    serving_thread = threading.Thread(target=proxy.serve, daemon=True)
    serving_thread.start()
    try:
        with serving_tls(app, tls_files) as base_url:
            result = _run_https(
                base_url, tls_files[0], report_dir,
                "--proxy", proxy.url, "--cacert", str(tls_files[0]),
            )  # fmt: skip
    finally:
        proxy.stopped.set()
        proxy.listener.close()
        serving_thread.join(timeout=10)
    assert b"Traceback" not in result.stderr
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    assert report["conforms"] and report["target"] == base_url
    assert set(proxy.targets) == {base_url.removeprefix("https://")}
    assert app.ports and app.ports <= proxy.upstream_ports

"""How the suite's requests reach a gateway: extra headers, a proxy, TLS; all against real
loopback servers (the reference gateway, a recording forward proxy, the gateway over TLS with a
certificate made here)."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from livepeer_conformance.redaction import REDACTED
from livepeer_gateway_spec import TOKEN_ENV
from livepeer_reference_gateway import GatewaySettings, bind_loopback, create_app, running_gateway
from livepeer_reference_gateway.server import serving

TOKEN = "transport-token-5d1c9a"
#: An API manager's key: sent with every request, never written anywhere.
API_KEY = "api-manager-key-7f3e21b9"
#: Enough requests for every phase to send some, the spec phase (schemathesis) included.
BUDGET = ("--max-requests", "60", "--max-examples", "2", "--seed", "3")

_HOP_BY_HOP = {"connection", "proxy-connection", "keep-alive", "transfer-encoding", "te"}


class RecordingProxy(ThreadingHTTPServer):
    """A forward HTTP proxy on loopback that records the headers of every request it passes on."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        #: (method, path, headers with lowercased names) of every request passed on.
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingProxy

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def _forward(self) -> None:
        target = urlsplit(self.path)
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        with self.server.lock:
            seen = {k.lower(): v for k, v in self.headers.items()}
            self.server.seen.append((self.command, target.path, seen))
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            headers["Content-Length"] = str(len(body))
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in _HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


@pytest.fixture
def recording_proxy(serve_in_thread: Callable[..., Any]) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy()
    with serve_in_thread(proxy):
        yield proxy


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with no proxy variable and the gateway's token set."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return monkeypatch


def _written(run: Any) -> str:
    """Everything the run printed and wrote."""
    files = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in run.report_dir.rglob("*")
        if p.is_file()
    ]
    return "\n".join([run.stdout, run.stderr, *files])


def test_headers_and_proxy_reach_the_gateway(
    run_cli: Callable[..., Any],
    recording_proxy: RecordingProxy,
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    """`-H` goes with every request of every phase, schemathesis's included, through `--proxy`."""
    with running_gateway(GatewaySettings(token=TOKEN)) as gateway_url:
        run = run_cli(
            "--base-url", gateway_url, "--proxy", recording_proxy.url,
            "-H", f"X-Api-Key: {API_KEY}", "--header", "X-Tenant: t1", *BUDGET,
            "--fail-on", "departures",
        )  # fmt: skip
    assert run.code == 0, run.stderr
    seen = recording_proxy.seen
    # Every request of the run went through it (schemathesis's checks send some of their own).
    assert len(seen) >= run.report()["requests_sent"] == 60
    assert all(headers.get("x-api-key") == API_KEY for _, _, headers in seen)
    assert all(headers.get("x-tenant") == "t1" for _, _, headers in seen)
    assert any("schemathesis" in headers.get("user-agent", "") for _, _, headers in seen)


async def _echoing_gateway(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that answers every request 500 with its `X-Api-Key` value in the body."""
    if scope["type"] != "http":
        return
    key = dict(scope["headers"]).get(b"x-api-key", b"").decode()
    body = json.dumps({"detail": {"msg": f"key {key} is not enabled here"}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_header_values_a_gateway_echoes_are_never_written(
    run_cli: Callable[..., Any], no_proxy_environment: pytest.MonkeyPatch
) -> None:
    """A header value echoed back is redacted in the evidence, the reports and the output."""
    with serving(_echoing_gateway) as gateway_url:
        run = run_cli(
            "--base-url", gateway_url, "-H", f"X-Api-Key: {API_KEY}", "--max-requests", "20"
        )
    assert run.code == 1, run.stderr
    written = _written(run)
    assert f"key {REDACTED} is not enabled here" in written
    assert API_KEY not in written and TOKEN not in written


def test_a_dead_proxy_from_the_environment_is_named(
    run_cli: Callable[..., Any], no_proxy_environment: pytest.MonkeyPatch
) -> None:
    """`HTTP_PROXY` is honoured, and when its proxy does not answer the error says so."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    no_proxy_environment.setenv("HTTP_PROXY", dead)
    with running_gateway(GatewaySettings(token=TOKEN)) as gateway_url:
        run = run_cli("--base-url", gateway_url, "--timeout", "2")
    assert run.code == 2
    (line,) = run.stderr.splitlines()
    assert f"cannot reach the proxy {dead}" in line and gateway_url in line


# TLS ----------------------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(
    subject: str, key: Any, issuer: tuple[str, Any] | None, *, ca: bool = False
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(*items: Any) -> bytes:
    out = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            out += item.public_bytes(serialization.Encoding.PEM)
        else:
            out += item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
    return out


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, server_key, client_key = _key(), _key(), _key()
    ca = _certificate("test CA", ca_key, None, ca=True)
    files = {
        "ca": _pem(ca),
        "server": _pem(_certificate("127.0.0.1", server_key, ("test CA", ca_key))),
        "server_key": _pem(server_key),
        "client": _pem(_certificate("operator", client_key, ("test CA", ca_key))),
        "client_key": _pem(client_key),
    }
    files["client_with_key"] = files["client"] + files["client_key"]
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name}.pem"
        paths[name].write_bytes(content)
    return paths


@pytest.fixture(scope="module")
def tls_gateway(pki: dict[str, Path]) -> Iterator[str]:
    """The reference gateway over TLS, asking every client for a certificate signed by the CA."""
    config = uvicorn.Config(
        create_app(GatewaySettings(token=TOKEN)),
        log_level="critical",
        ssl_certfile=str(pki["server"]),
        ssl_keyfile=str(pki["server_key"]),
        ssl_ca_certs=str(pki["ca"]),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    sock = bind_loopback()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        # Verified against the default authorities, the test CA's certificate is refused.
        ([], 2, "CERTIFICATE_VERIFY_FAILED"),
        (["--cacert", "ca", "--client-cert", "client", "--client-key", "client_key"], 0, ""),
        # Not verified; the key read from the certificate's own file.
        (["--no-tls-verify", "--client-cert", "client_with_key"], 0, ""),
        # No client certificate: the gateway ends the handshake.
        (["--cacert", "ca"], 2, "cannot reach"),
    ],
)
def test_tls_options_reach_a_gateway_that_asks_for_a_client_certificate(
    run_cli: Callable[..., Any],
    no_proxy_environment: pytest.MonkeyPatch,
    tls_gateway: str,
    pki: dict[str, Path],
    options: list[str],
    code: int,
    message: str,
) -> None:
    argv = [str(pki[o]) if o in pki else o for o in options]
    run = run_cli("--base-url", tls_gateway, *argv, *BUDGET, "--fail-on", "departures")
    assert run.code == code, run.stdout[-2000:] + run.stderr
    if code == 2:
        (line,) = run.stderr.splitlines()
        assert message in line
    else:
        report = run.report()
        assert report["requests_sent"] == 60 and not report["departures"]

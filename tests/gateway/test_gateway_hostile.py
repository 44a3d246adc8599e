"""Hostile clients: every stage of a request has a deadline, and memory and descriptors a bound.

Each test is bounded in connections, bytes and time, binds to loopback only, and asserts
outcomes (closed, served again, a log or RSS under a bound), never how fast they happened.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from jsonschema import Draft202012Validator
from livepeer_gateway_spec import TOKEN_ENV, inline_refs, load_spec, response_schema
from livepeer_reference_gateway import GatewaySettings, ServerSettings, running_gateway

SPEC = load_spec()
BODY = {"prompt": "p", "width": 64, "height": 64}
MIB = 2**20
#: How long a test waits for an outcome before calling it absent (a bound, not a target).
PATIENCE = 60.0

linux_only = pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="reads RSS from Linux /proc"
)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _closed_by_peer(sock: socket.socket) -> bytes | None:
    """What the gateway sent before closing `sock`, or None if it stayed open `PATIENCE` s."""
    sock.settimeout(PATIENCE)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


def _assert_declared_503(raw: bytes) -> None:
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 "), raw[:200]
    schema = response_schema(SPEC, "/text-to-image", 503)
    assert schema is not None
    Draft202012Validator(inline_refs(SPEC, schema)).validate(json.loads(body))


@contextlib.contextmanager
def _gateway_process(
    tmp_path: Path, *args: str, max_files: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """The gateway's command in its own process, its log in a file: (URL, process, log)."""
    log = tmp_path / "gateway.log"

    def limit_files() -> None:
        if max_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))

    with open(log, "wb") as log_file:
        # Both streams (uvicorn's access log goes to stdout) into the file whose size is checked.
        process = subprocess.Popen(
            [sys.executable, "-m", "livepeer_reference_gateway", "--port", "0", *args],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != TOKEN_ENV},
            preexec_fn=limit_files,
        )
        try:
            yield _startup_url(process, log), process, log
        finally:
            process.terminate()
            process.wait(timeout=10)


def _startup_url(process: subprocess.Popen[bytes], log: Path) -> str:
    """The URL of the startup line "reference gateway on http://HOST:PORT | ..." in `log`."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and process.poll() is None:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("reference gateway on "):
                return line.split()[3]
        time.sleep(0.05)
    raise AssertionError(f"the gateway did not start: {log.read_text(errors='replace')}")


def _served_again(url: str) -> bool:
    """Whether a normal request is answered 200 within `PATIENCE` seconds of trying."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            if httpx.post(f"{url}/text-to-image", json=BODY, timeout=10).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def quick_url() -> Iterator[str]:
    """A gateway whose deadlines are half a second and which takes at most 4 connections."""
    server = ServerSettings(
        header_timeout=0.5,
        body_timeout=0.5,
        keepalive_timeout=0.5,
        max_connections=4,
        log_level="warning",
    )
    with running_gateway(GatewaySettings(), server) as url:
        yield url


def test_silent_connection_is_closed_at_the_header_deadline(quick_url: str) -> None:
    with socket.create_connection(_address(quick_url)) as sock:
        assert _closed_by_peer(sock) == b""


def test_dribbled_headers_are_closed_at_the_header_deadline(quick_url: str) -> None:
    """Sending a byte now and then does not extend the deadline (a slow-loris client)."""
    request = b"POST /text-to-image HTTP/1.1\r\nHost: g\r\n" + b"X-Pad: a\r\n" * 1000
    closed = False
    with socket.create_connection(_address(quick_url)) as sock:
        deadline = time.monotonic() + PATIENCE
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.01)
            if time.monotonic() > deadline:
                break
        if not closed:
            closed = _closed_by_peer(sock) is not None
    assert closed


def test_unfinished_body_is_closed_at_the_body_deadline(quick_url: str) -> None:
    with socket.create_connection(_address(quick_url)) as sock:
        sock.sendall(
            b"POST /text-to-image HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"prompt": '
        )
        assert _closed_by_peer(sock) is not None


def test_idle_keep_alive_connection_is_closed_after_an_answer(quick_url: str) -> None:
    with socket.create_connection(_address(quick_url)) as sock:
        body = json.dumps(BODY).encode()
        sock.sendall(
            b"POST /text-to-image HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        received = _closed_by_peer(sock)
    assert received is not None and received.startswith(b"HTTP/1.1 200 ")


def test_connections_past_the_cap_get_the_declared_503_at_once(quick_url: str) -> None:
    address = _address(quick_url)
    held = [socket.create_connection(address) for _ in range(4)]
    try:
        with socket.create_connection(address) as extra:
            answer = _closed_by_peer(extra)
    finally:
        for sock in held:
            sock.close()
    assert answer is not None
    _assert_declared_503(answer)
    assert _served_again(quick_url)


@pytest.mark.parametrize("cap", ["connection cap", "no cap below the file limit"])
def test_idle_connections_under_a_file_limit_leave_it_reachable(tmp_path: Path, cap: str) -> None:
    """1,100 silent connections under a 1,024 file limit: served again, the log stays small.

    With the default cap, connections past it get 503; with a cap above the file limit, the
    process runs out of descriptors, and says so once per interval rather than per accept.
    """
    args = ["--header-timeout", "2", "--log-level", "info"]
    if cap != "connection cap":
        args += ["--max-connections", "5000"]
    own_soft, own_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if own_hard != resource.RLIM_INFINITY and own_hard < 1300:
        pytest.skip("the test itself needs 1,300 descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(own_soft, 1300), own_hard))
    try:
        with _gateway_process(tmp_path, *args, max_files=1024) as (url, _, log):
            idle = []
            for _ in range(1100):
                sock = socket.socket()
                sock.setblocking(False)
                sock.connect_ex(_address(url))  # completes in the kernel's backlog
                idle.append(sock)
            try:
                time.sleep(0.5)  # let the gateway accept what it can
                served = _served_again(url)
            finally:
                for sock in idle:
                    sock.close()
            log_bytes = log.stat().st_size
            log_text = log.read_text(errors="replace")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (own_soft, own_hard))
    print(f"{cap}: log {log_bytes} bytes")
    assert served
    assert log_bytes < 2 * MIB
    assert "Traceback" not in log_text
    if cap == "connection cap":
        assert "refused connections" in log_text
    else:
        assert log_text.count("cannot accept connections") <= 10


def _rss_kib(pid: int, field: str = "VmRSS:") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc status")


@linux_only
def test_forty_unfinished_large_bodies_add_at_most_256_mb(tmp_path: Path) -> None:
    """40 clients each leave 19 MiB of a 20 MiB JSON body unsent: the in-flight total holds.

    The JSON limit is raised to 20 MiB so every body is one the gateway must hold in memory.
    """
    with _gateway_process(
        tmp_path, "--max-json-bytes", str(20 * MIB), "--log-level", "warning"
    ) as (url, process, _):
        assert httpx.post(f"{url}/text-to-image", json=BODY).status_code == 200
        before = _rss_kib(process.pid)
        chunk = b" " * MIB
        clients = []
        refused = 0
        for _ in range(40):
            sock = socket.create_connection(_address(url))
            sock.sendall(
                b"POST /text-to-image HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(20 * MIB).encode() + b"\r\n\r\n"
            )
            try:
                for _ in range(19):
                    sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                refused += 1
            clients.append(sock)
        time.sleep(1.0)  # let the gateway take in what it was sent
        peak = _rss_kib(process.pid, "VmHWM:")
        assert _served_again(url)
        for sock in clients:
            sock.close()
    grown = (peak - before) / 1024
    print(f"peak RSS grew {grown:.0f} MiB ({before / 1024:.0f} MiB before); {refused} cut off")
    assert grown <= 256


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_huge_json_is_refused_while_others_are_answered(gateway_url: str) -> None:
    """A 19 MiB JSON body sent without a length: others are served meanwhile, and its refusal
    is a short 413."""
    piece = b"1," * (MIB // 4)  # half a MiB of a huge list
    with socket.create_connection(_address(gateway_url)) as sock:
        sock.sendall(
            b"POST /text-to-image HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + _chunk(b'{"prompt": [' + piece)
        )
        # Half-way into the body (under the JSON limit, so not refused yet), others are served.
        with httpx.Client(base_url=gateway_url, timeout=PATIENCE) as other:
            statuses = [other.post("/text-to-image", json=BODY).status_code for _ in range(3)]
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(38):
                sock.sendall(_chunk(piece))
            sock.sendall(_chunk(b"1]}") + b"0\r\n\r\n")
        sock.settimeout(PATIENCE)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        refusal = answer.read()
    assert statuses == [200, 200, 200]
    assert answer.status == 413
    assert len(refusal) < MIB
    assert json.loads(refusal) == {
        "detail": {"msg": f"the body is over the limit of {GatewaySettings().max_json_bytes} bytes"}
    }


def test_large_invalid_json_is_answered_with_an_excerpt(client: httpx.Client) -> None:
    """Just under the JSON limit, a huge value where a string belongs: the 422 quotes a bit."""
    limit = GatewaySettings().max_json_bytes
    value = list(range(limit // 8))
    body = json.dumps({"prompt": "p", "negative_prompt": value}).encode()
    assert len(body) < limit
    response = client.post(
        "/text-to-image", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert len(response.content) < 4096


def _spawned_children(pid: int) -> list[int]:
    """The ids of the interpreters `pid` spawned with multiprocessing (from Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (comm) state ppid ...": the command may hold spaces, so split after ")".
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            if b"spawn_main" in (stat.parent / "cmdline").read_bytes():  # not its helpers
                found.append(int(stat.parent.name))
    return found


@linux_only
def test_two_workers_serve_with_the_same_faults(tmp_path: Path) -> None:
    """Every answer, whichever process gave it, shows the fault switched on."""
    with _gateway_process(
        tmp_path, "--workers", "2", "--fault", "undeclared_success_status", "--log-level", "warning"
    ) as (url, process, _):
        statuses = set()
        for _ in range(12):  # a new connection each time, spread over the workers
            statuses.add(httpx.post(f"{url}/text-to-image", json=BODY).status_code)
        workers = _spawned_children(process.pid)
    assert statuses == {201}
    assert len(workers) == 2

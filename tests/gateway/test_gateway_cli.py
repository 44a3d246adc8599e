"""The console command: startup line, token kept out of output, one-line errors with exit 2."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

COMMAND = [sys.executable, "-m", "livepeer_reference_gateway"]
TOKEN = "cli-token-7c1e"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LIVEPEER_GATEWAY_TOKEN"}
    return {**env, **extra}


def _serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    return process, process.stdout.readline()


def _stop(process: subprocess.Popen[str]) -> str:
    """Stop the gateway and return everything else it printed."""
    process.terminate()
    stdout, stderr = process.communicate(timeout=10)
    return stdout + stderr


def test_startup_line_says_it_serves_openly_without_a_token() -> None:
    process, line = _serve([], _env())
    try:
        assert "serving openly" in line
        url = line.split()[3]
        assert (
            httpx.post(
                f"{url}/text-to-image", json={"prompt": "p", "width": 64, "height": 64}
            ).status_code
            == 200
        )
    finally:
        _stop(process)


def test_token_from_the_named_variable_is_enforced_and_never_printed() -> None:
    process, line = _serve(["--token-env", "MY_GATEWAY_TOKEN"], _env(MY_GATEWAY_TOKEN=TOKEN))
    try:
        assert "bearer token from $MY_GATEWAY_TOKEN" in line
        url = line.split()[3]
        body = {"prompt": "p", "width": 64, "height": 64}
        assert httpx.post(f"{url}/text-to-image", json=body).status_code == 401
        ok = httpx.post(
            f"{url}/text-to-image", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert ok.status_code == 200
    finally:
        output = _stop(process)
    assert TOKEN not in line + output
    assert "POST /text-to-image" in output  # the access log is on, and shows no header


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "no_such_fault"], "invalid choice"),
        (["--media-urls", "ftp"], "invalid choice"),
        (["--port", "not-a-port"], "not a port number"),
        (["--port", "70000"], "port must be 0 to 65535"),
        (["--port", "-1"], "port must be 0 to 65535"),
        (["--host", "\u00e9" * 70, "--port", "0"], "cannot listen"),
        (["--spec", "/nonexistent/openapi.yaml"], "cannot read spec"),
        (["--max-upload-bytes", "0"], "must be at least 1"),
        (["--workers", "0"], "must be at least 1"),
        (["--header-timeout", "nan"], "finite number above 0"),
        (["--public-url", "ftp://example.com"], "public URL must be an http(s) URL"),
        (["--media-urls", "http", "--workers", "2"], "use --workers 1"),
        (["--no-such-option"], "unrecognized arguments"),
        # An abbreviation is never expanded: `--token` is not `--token-env`.
        (["--token", "tok"], "unrecognized arguments: --token tok"),
        (["--token-env", "UNSET_GATEWAY_TOKEN"], "$UNSET_GATEWAY_TOKEN is unset or empty"),
        (["--token-env", "EMPTY_GATEWAY_TOKEN"], "$EMPTY_GATEWAY_TOKEN is unset or empty"),
    ],
)
def test_wrong_arguments_exit_2_with_a_one_line_message(args: list[str], message: str) -> None:
    result = subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        env=_env(EMPTY_GATEWAY_TOKEN=""),
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_port_in_use_exits_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*COMMAND, "--port", str(port)], capture_output=True, text=True, env=_env(), timeout=30
        )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "cannot listen" in result.stderr


def test_console_script_is_installed() -> None:
    script = shutil.which("livepeer-reference-gateway", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "--media-urls" in result.stdout


def test_list_faults_prints_every_registered_fault() -> None:
    from livepeer_reference_gateway.faults import FAULTS

    result = subprocess.run([*COMMAND, "--list-faults"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if not line.startswith(" ")}
    assert listed == set(FAULTS)

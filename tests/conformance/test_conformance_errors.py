"""Exit 2, one line, no traceback: unreachable or hanging gateways, bad arguments, bad files."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_closed_port_exits_2_with_one_line(
    closed_port: int, run_console: Callable[..., Any]
) -> None:
    """A gateway that refuses connections ends the run at once, as the console command shows it."""
    result = run_console(["run", "--base-url", f"http://127.0.0.1:{closed_port}", "--timeout", "2"])
    assert result.returncode == 2
    assert result.stdout == b""
    line = _one_error_line(result.stderr.decode())
    assert line.startswith("livepeer-conformance: error: cannot reach")


def test_hanging_gateway_exits_2_within_the_timeout(
    silent_port: int, run_cli: Callable[..., Any]
) -> None:
    """A gateway that accepts but never answers fails the first request's timeout: exit 2."""
    result = run_cli("--base-url", f"http://127.0.0.1:{silent_port}", "--timeout", "0.5")
    assert result.code == 2
    line = _one_error_line(result.stderr)
    assert "did not answer within 0.5 s" in line
    assert not (result.report_dir / "conformance.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-requests", "0"], "must be at least 1"),
        (["--timeout", "nan"], "finite number above 0"),
        (["--timeout", "inf"], "finite number above 0"),
        (["--rate-limit", "-1"], "finite number above 0"),
        (["--max-examples", "-3"], "must be at least 1"),
        (["--base-url", "http://[::1:1"], "not a valid URL"),
        (["--base-url", "http://user:secret-pass@127.0.0.1:1"], "must not carry credentials"),
        (["--exclude-check", "no_such_check"], "unknown check"),
        (["--timeout", "soon"], "not a number"),
        (["--profile", "lenient"], "invalid choice"),
        (["--model-id", "textToImage"], "expects OP=ID"),
        (["--model-id", "video=some/model"], "unknown operation"),
        (["--operation", "nowhere"], "unknown operation"),
        (["--fault", "no_such_fault"], "unknown fault"),
        (["--fault", "slow_response", "--base-url", "http://127.0.0.1:1"], "embedded"),
        (["--base-url", "ftp://example.org"], "http(s) URL"),
        (["--token", "abc"], "unrecognized arguments"),
        (["--spec", "/nonexistent/openapi.yaml"], "cannot read spec"),
        (["--report-dir", "/dev/null/reports"], "cannot create report dir"),
        (["--write-baseline", "/dev/null/dir/baseline.json"], "cannot create baseline directory"),
        (["--write-baseline", "/"], "cannot write baseline"),
        # Permission bits do not stop root: where nothing can be written is tried, not read.
        (["--report-dir", "/proc/conformance-reports"], "cannot create report dir"),
        (["--write-baseline", "/proc/baseline.json"], "cannot create baseline directory"),
        (["--max-req", "5"], "unrecognized arguments"),  # no abbreviation is expanded
        (["--base-url", "http://127.0.0.1:1/?debug=1"], "must not have a query or a fragment"),
        (["--base-url", "http://127.0.0.1:1/#top"], "must not have a query or a fragment"),
        (["--base-url", "http://127.0.0.1:1/ "], "must not contain spaces"),
        (["--timeout", "1e-9"], "must be at least 0.1"),
        (["--rate-limit", "1e-9"], "must be at least 0.01"),
        (["--max-response-bytes", "10"], "must be at least 1024"),
        (["--max-failures", "0"], "must be at least 1"),
        (["--max-media-fetches", "0"], "must be at least 1"),
        (["--max-media-bytes", "1024"], "must be at least 33554432"),
        (["--max-media-seconds", "0.01"], "must be at least 0.1"),
        (["--media-urls", "ftp"], "invalid choice"),
        (["--media-urls", "http", "--base-url", "http://127.0.0.1:1"], "embedded"),
        (["--fail-on", "never"], "invalid choice"),
        (["-H", "X-Api-Key"], "expects 'NAME: VALUE'"),
        (["-H", "Bad Name: v"], "expects 'NAME: VALUE'"),
        (["-H", "Authorization: Bearer other"], "sets this header itself"),
        (["-H", "X-Key: caf\u00e9"], "cannot carry"),
        (["-H", "X-Key: a", "-H", "x-key: b"], "x-key is given more than once"),
        (
            ["-H", "X-Key: a", "-H", "X_Key: b"],
            "-H X-Key and -H X_Key: reproducers would read both from $LIVEPEER_HEADER_X_KEY",
        ),
        (
            ["--proxy", "http://127.0.0.1:3128"],
            "--proxy applies to a gateway given with --base-url",
        ),
        (["--no-tls-verify"], "--no-tls-verify applies to a gateway given with --base-url"),
        (["--base-url", "https://127.0.0.1:1", "--proxy", "socks5://127.0.0.1:1"], "http(s) URL"),
        (["--base-url", "https://127.0.0.1:1", "--proxy", "http://127.0.0.1:1/p"], "not a path"),
        (["--base-url", "https://127.0.0.1:1", "--cacert", "/dev/zero"], "not a regular file"),
        (["--base-url", "https://127.0.0.1:1", "--cacert", "/nonexistent.pem"], "not a regular"),
        (
            ["--base-url", "https://127.0.0.1:1", "--client-key", "/etc/hostname"],
            "needs --client-cert",
        ),
        (["--baseline", "/dev/zero"], "larger than"),
        (["--dry-run", "--baseline", "/nonexistent/baseline.json"], "cannot read baseline"),
    ],
)
def test_argument_errors_exit_2_with_one_line(
    run_cli: Callable[..., Any], args: list[str], message: str
) -> None:
    """Every wrong argument is refused before any request, in one line on stderr."""
    result = run_cli(*args)
    assert result.code == 2
    assert message in _one_error_line(result.stderr)


def test_token_a_header_cannot_carry_is_a_one_line_error(
    run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-ASCII token is refused up front, not by a traceback from the HTTP layer mid-run."""
    monkeypatch.setenv("LIVEPEER_GATEWAY_TOKEN", "tok\u00e9n")
    result = run_cli("--base-url", "http://127.0.0.1:1")
    assert result.code == 2
    assert "cannot carry" in _one_error_line(result.stderr)
    assert "tok\u00e9n" not in result.stderr


def test_unreadable_spec_and_baseline_exit_2(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    """A spec that is not OpenAPI and a baseline that is not JSON are one-line errors."""
    not_openapi = tmp_path / "spec.yaml"
    not_openapi.write_text("just: a mapping\n", encoding="utf-8")
    result = run_cli("--spec", str(not_openapi))
    assert result.code == 2
    assert "not an OpenAPI document" in _one_error_line(result.stderr)

    bad_baseline = tmp_path / "baseline.json"
    bad_baseline.write_text("{not json", encoding="utf-8")
    result = run_cli("--baseline", str(bad_baseline))
    assert result.code == 2
    assert "is not JSON" in _one_error_line(result.stderr)

    bad_baseline.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run_cli("--dry-run", "--baseline", str(bad_baseline))
    assert result.code == 2
    assert "nested deeper than" in _one_error_line(result.stderr)


def test_a_file_that_is_no_certificate_exits_2(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    """Each TLS file is parsed before the first request."""
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    for option in ("--cacert", "--client-cert"):
        result = run_cli("--base-url", "https://127.0.0.1:1", option, str(not_pem))
        assert result.code == 2
        assert "not a usable PEM certificate or key" in _one_error_line(result.stderr)


def test_every_option_is_in_the_readme_table_and_shows_its_default() -> None:
    """The README's option table of `livepeer-conformance run` lists every option of `--help`,
    and `--help` gives each option that takes a value its default."""
    from livepeer_conformance.cli import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[
        readme.index("<!-- BEGIN conformance -->") : readme.index("<!-- END conformance -->")
    ]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    for action in run._actions:
        if action.option_strings == ["-h", "--help"]:
            continue
        assert any(f"`{option}" in table for option in action.option_strings), action.dest
        if action.nargs != 0 and action.help:
            assert "default" in action.help, action.dest

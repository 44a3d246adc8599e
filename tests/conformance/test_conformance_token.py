"""The bearer token appears in no byte the suite writes: stdout, stderr, and every report file."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract_tests.reference_gateway.server import running_gateway
from contract_tests.reference_gateway.settings import GatewaySettings


def test_token_never_written(
    tmp_path: Path, run_console: Callable[..., Any], small_budget: tuple[str, ...]
) -> None:
    """A run with failures in both phases writes reproducers, yet never the token itself."""
    token = "tok-" + secrets.token_hex(16)
    report_dir = tmp_path / "reports"
    settings = GatewaySettings(
        token=token, faults=frozenset({"media_field_missing", "images_per_prompt_ignored"})
    )
    with running_gateway(settings) as base_url:
        result = run_console(
            ["run", "--base-url", base_url, "--report-dir", str(report_dir), *small_budget],
            env={"LIVEPEER_GATEWAY_TOKEN": token},
        )
    assert result.returncode == 1, result.stderr.decode()
    written = {"stdout": result.stdout, "stderr": result.stderr}
    written |= {str(p): p.read_bytes() for p in report_dir.rglob("*") if p.is_file()}
    assert len(written) >= 5  # stdout, stderr, JUnit XML, Markdown, JSON
    needle = token.encode()
    assert [name for name, data in written.items() if needle in data] == []
    # The token was used (the gateway refuses requests without it), and shown redacted.
    assert b"response_schema_conformance" in result.stdout
    assert b"images_count_matches_request" in result.stdout
    assert b"Authorization: Bearer [redacted]" in result.stdout

"""The bearer token appears in no byte the suite writes: stdout, stderr, and every report file."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livepeer_conformance.redaction import written_forms
from livepeer_conformance.report import RunReport, write_reports
from livepeer_conformance.results import RunResults
from livepeer_reference_gateway.server import running_gateway, serving
from livepeer_reference_gateway.settings import GatewaySettings


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
    # The token was used (the gateway refuses requests without it); reproducers name its variable.
    assert b"response_schema_conformance" in result.stdout
    assert b"images_count_matches_request" in result.stdout
    assert b'"Authorization: Bearer $LIVEPEER_GATEWAY_TOKEN"' in result.stdout


#: Quotes, a backslash and XML's specials: each is escaped in JSON, XML or a Python repr.
AWKWARD_TOKEN = 'tok"en\\q-<x>&y'


async def _echoing_authorization(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering every request 400 with its Authorization header in the body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    echoed = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    body = json.dumps({"error": echoed}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _fragments(token: str, shortest: int = 4) -> set[str]:
    """Every piece of `token` at least `shortest` long (none of the tokens here is a word)."""
    return {
        token[start : start + size]
        for size in range(shortest, len(token) + 1)
        for start in range(len(token) - size + 1)
    }


def test_echoed_token_with_escaped_characters_never_written(
    tmp_path: Path, run_console: Callable[..., Any]
) -> None:
    """A gateway echoing a token that JSON, XML and repr escape still never gets it written."""
    report_dir = tmp_path / "reports"
    with serving(_echoing_authorization) as base_url:
        result = run_console(
            [
                *("run", "--base-url", base_url, "--operation", "textToImage"),
                *("--max-requests", "40", "--max-examples", "2", "--seed", "7"),
                *("--report-dir", str(report_dir)),
            ],
            env={"LIVEPEER_GATEWAY_TOKEN": AWKWARD_TOKEN},
        )
    assert result.returncode == 1, result.stderr.decode()
    written = {"stdout": result.stdout, "stderr": result.stderr}
    written |= {str(p): p.read_bytes() for p in report_dir.rglob("*") if p.is_file()}
    assert len(written) >= 5
    # Every escaped form of the token holds one of these raw fragments (`en\q`, `<x>&`, ...).
    needles = {form.encode() for form in written_forms(AWKWARD_TOKEN)}
    needles |= {fragment.encode() for fragment in _fragments(AWKWARD_TOKEN)}
    leaks = [(name, n) for name, data in written.items() for n in needles if n in data]
    assert leaks == []
    # The echo reached the reasons (every phase's answers, schemathesis's included, are judged
    # and shown by one function), where it was redacted, and it is itself a departure.
    assert b'answered 400 (application/json): {"error": "Bearer [redacted]"}' in result.stdout
    assert b"\n  failed token_not_echoed (protocol)" in result.stdout


def test_non_ascii_token_is_redacted_from_every_report(tmp_path: Path) -> None:
    """Reports never hold a non-ASCII token, raw or as JSON's `\\u` escapes or XML's entities."""
    token = 'tok"en\\é-<x>&y'  # httpx cannot send it, so no run can: the reports are built here
    results = RunResults(notes=[f"stopped: {token}"])
    results.record_failure(
        "POST /text-to-image",
        "not_a_server_error",
        f"Server error for {token}",
        f"answered 500: {{'detail': {token!r}}} ({json.dumps(token)})",
        f"curl -H 'Authorization: Bearer {token}'",
    )
    departures = results.sorted_findings()
    report = RunReport(results, departures, [], f"http://{token}", "livepeer", 1, 1, 0.1)
    paths = write_reports(report, tmp_path, [token])
    needles = {form.encode() for form in written_forms(token)}
    needles |= {fragment.encode() for fragment in _fragments(token)}
    needles |= {b"\\u00e9-<x>", b"&lt;x&gt;&amp;y"}
    assert len(paths) == 3
    assert [(p.name, n) for p in paths for n in needles if n in p.read_bytes()] == []
    assert all(b"[redacted]" in p.read_bytes() for p in paths)


def test_every_form_and_cut_piece_of_a_token_is_redacted() -> None:
    """Cut edges (8+ characters), URL-encoded, base64 at any alignment, hex, folded spaces."""
    import base64
    from urllib.parse import quote, quote_plus

    from livepeer_conformance.redaction import MIN_PIECE, redact

    token = "tok  with/spaces+" + secrets.token_hex(12)
    data = token.encode()
    texts = [
        f"...{token[:MIN_PIECE]}",
        f"{token[-MIN_PIECE:]}...",
        quote(token, safe=""),
        quote_plus(token),
        data.hex(),
        data.hex().upper(),
        " ".join(token.split()),
        token.replace("  ", "\n\t "),
        *(base64.b64encode(b"x" * k + data).decode() for k in range(3)),
        *(base64.urlsafe_b64encode(b"x" * k + data).decode() for k in range(3)),
        base64.b64encode(f"Bearer {token}".encode()).decode(),
    ]
    for text in texts:
        shown = redact(f"answer: {text} (end)", [token])
        assert "[redacted]" in shown, text
        core = text.strip(".")
        # Nothing of 8 or more characters of the form survives next to the redaction.
        assert all(
            core[i : i + MIN_PIECE] not in shown for i in range(len(core) - MIN_PIECE + 1)
        ), (text, shown)


def test_reports_still_parse_after_redaction(tmp_path: Path) -> None:
    """A body quoting "Bearer …" inside JSON leaves every report file parseable."""
    import xml.etree.ElementTree as ET

    from livepeer_conformance.evidence import Evidence

    results = RunResults()
    body = '{"detail":{"msg":"missing bearer token"}}'
    results.record_failure(
        "POST /upscale",
        "response_headers_conformance",
        "Missing header",
        f"answered 401 {body}",
        "curl ...",
        cause="401 missing header",
        evidence=Evidence("POST /upscale", "HTTP/1.1 401 Unauthorized", "application/json", body),
    )
    departures = results.sorted_findings()
    report = RunReport(results, departures, [], "http://gw", "livepeer", 1, 1, 0.1)
    paths = {p.name: p for p in write_reports(report, tmp_path, ["secret-token-123"])}
    document = json.loads(paths["conformance.json"].read_text(encoding="utf-8"))
    assert "bearer [redacted]" in document["departures"][0]["evidence"]["body"]
    ET.parse(paths["conformance.junit.xml"])

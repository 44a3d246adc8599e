"""Credentials first, `--auth none`, and interrupts: outcomes an operator can act on."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from livepeer_reference_gateway.server import running_gateway
from livepeer_reference_gateway.settings import GatewaySettings


def test_refused_token_is_could_not_run_in_one_line(
    run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong token stops the run after one request per operation at most: exit 2, one line."""
    monkeypatch.setenv("LIVEPEER_GATEWAY_TOKEN", "not-the-token-1234")
    with running_gateway(GatewaySettings(token="the-right-token-5678")) as base_url:
        result = run_cli("--base-url", base_url, "--max-requests", "50")
    assert result.code == 2
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1 and "refused the token" in lines[0], result.stderr
    assert "not-the-token" not in result.stderr + result.stdout
    assert not (result.report_dir / "conformance.json").exists()


def test_auth_none_checks_an_open_gateway_without_auth_checks(
    run_cli: Callable[..., Any], small_budget: tuple[str, ...]
) -> None:
    """An open gateway with `--auth none` conforms; the report says auth was not checked."""
    with running_gateway(GatewaySettings(token=None)) as base_url:
        result = run_cli(
            *small_budget,
            "--max-requests",
            "150",
            "--base-url",
            base_url,
            "--auth",
            "none",
            "--operation",
            "textToImage",
        )
    assert result.code == 0, result.stdout
    report = result.report()
    assert report["auth"] == "none" and "authentication not checked" in result.stdout
    assert "ignored_auth" not in {c["check"] for c in report["checks"]}


def test_auth_none_against_a_secured_gateway_is_refused(run_cli: Callable[..., Any]) -> None:
    """`--auth none` on a gateway that wants a token: could not run, in one line."""
    with running_gateway(GatewaySettings(token="secured-token-0000")) as base_url:
        result = run_cli("--base-url", base_url, "--auth", "none")
    assert result.code == 2
    assert "refused requests without credentials" in result.stderr


def test_spec_without_operations_is_incomplete(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    """Nothing to check is never "conforms"."""
    empty = tmp_path / "empty.yaml"
    empty.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n", encoding="utf-8"
    )
    result = run_cli("--spec", str(empty))
    assert result.code == 3, result.stdout + result.stderr
    assert result.report()["outcome"] == "incomplete"


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 3)])
def test_signal_stops_the_run_with_a_partial_report(signum: int, code: int, tmp_path: Path) -> None:
    """SIGINT or SIGTERM mid-run: a partial report marked interrupted, no traceback."""
    report_dir = tmp_path / "reports"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "livepeer_conformance.cli", "run"),
            *("--report-dir", str(report_dir), "--max-requests", "5000"),
            *("--max-examples", "200", "--seed", "1"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert process.stderr is not None
    # Progress lines go to stderr once requests are flowing.
    for line in process.stderr:
        if b"spec checks:" in line:
            break
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr.decode()
    assert b"Traceback" not in stderr
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    assert report["interrupted"] is True
    assert report["outcome"] in ("incomplete", "departures")
    assert b"interrupted" in stdout


def test_reports_state_the_same_outcome_and_nothing_lands_in_the_cwd(tmp_path: Path) -> None:
    """Headline, JSON, Markdown and JUnit agree with the exit code; hypothesis writes elsewhere."""
    report_dir = tmp_path / "reports"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "livepeer_conformance.cli", "run"),
            *("--report-dir", str(report_dir), "--max-requests", "30", "--seed", "3"),
        ],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 3, result.stderr.decode()
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    assert (report["outcome"], report["exit_code"]) == ("incomplete", 3)
    assert b": incomplete, " in result.stdout
    assert ": incomplete, " in (report_dir / "conformance.md").read_text(encoding="utf-8")
    junit = ET.parse(report_dir / "conformance.junit.xml").getroot()
    (run_case,) = [c for c in junit.iter("testcase") if c.get("name") == "run_checked_everything"]
    assert run_case.find("failure") is not None
    assert any(c.find("skipped") is not None for c in junit.iter("testcase"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_max_examples_never_outruns_the_request_budget(run_cli: Callable[..., Any]) -> None:
    """Many examples, few requests: the budget holds and the run is incomplete, not conforms."""
    result = run_cli("--max-requests", "6", "--max-examples", "500", "--seed", "2")
    report = result.report()
    assert report["requests_sent"] <= 6
    assert (result.code, report["outcome"]) == (3, "incomplete")


def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """SIGINT while the console command imports, reads the spec or starts its gateway (mid-run:
    `test_signal_stops_the_run_with_a_partial_report`).

    The moments are counted from when the interpreter itself is up (its own start-up, before the
    command's first line runs, is Python's, not the command's).
    """
    command = shutil.which("livepeer-conformance", path=str(Path(sys.executable).parent))
    assert command is not None
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    interpreter = time.monotonic() - started
    for after in (0.05, 0.3):
        process = subprocess.Popen(
            [command, "run", "--report-dir", str(tmp_path / "reports"), "--seed", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(2 * interpreter + after)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, (after, stderr.decode())
        assert b"Traceback" not in stderr, stderr.decode()


def test_fail_on_chooses_what_fails_the_run(run_cli: Callable[..., Any]) -> None:
    """A cheap run is incomplete (exit 3); `--fail-on departures` lets it pass while it still
    says so; `--fail-on incomplete` fails a run with departures only for being incomplete."""
    cheap = ("--max-requests", "40", "--seed", "1")
    assert run_cli(*cheap).code == 3
    accepted = run_cli(*cheap, "--fail-on", "departures")
    assert accepted.code == 0
    report = accepted.report()
    assert report["outcome"] == "incomplete" and report["not_covered"]
    assert ": incomplete, " in accepted.stdout and "not covered: " in accepted.stdout
    faulty = (*cheap, "--fault", "media_field_missing")
    assert run_cli(*faulty, "--fail-on", "departures").code == 1
    assert run_cli(*faulty, "--fail-on", "incomplete").code == 3


def test_max_failures_stops_the_run_at_the_nth_failing_cause(run_cli: Callable[..., Any]) -> None:
    run = run_cli("--seed", "1", "--fault", "media_field_missing", "--max-failures", "1")
    assert run.code == 1
    report = run.report()
    assert len(report["departures"]) == 1 and report["requests_sent"] < 10
    assert report["stopped_by"] == "the run stopped at --max-failures 1"
    assert report["interrupted"] is False
    assert "departures (1 finding(s)), stopped at --max-failures 1" in run.stdout

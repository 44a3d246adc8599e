"""Fixtures for the conformance suite's tests: running its CLI in-process or as a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from livepeer_conformance.bounding_proxy import serving_in_thread
from livepeer_conformance.cli import main

#: Small enough that each run takes seconds, large enough that every phase gets a turn and
#: every edge probe is sent (they may take up to half the budget).
SMALL_BUDGET = ("--max-requests", "240", "--max-examples", "2", "--seed", "7")


@dataclass(frozen=True)
class CliRun:
    """What one run of `livepeer-conformance` returned, printed and wrote."""

    code: int
    stdout: str
    stderr: str
    report_dir: Path

    def report(self) -> dict[str, Any]:
        """The JSON report of the run."""
        return json.loads((self.report_dir / "conformance.json").read_text(encoding="utf-8"))

    def departures(self) -> set[tuple[str, str]]:
        """(operation, check) of every check a new finding of the JSON report failed."""
        return {
            (d["operation"], c["check"]) for d in self.report()["departures"] for c in d["checks"]
        }

    def failed_checks(self) -> set[str]:
        """Names of the checks with a new departure."""
        return {check for _, check in self.departures()}


@pytest.fixture
def run_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """Run `livepeer-conformance run ARGS` in this process, reports in a fresh directory."""
    counter = iter(range(1000))

    def run(*args: str) -> CliRun:
        report_dir = tmp_path / f"reports-{next(counter)}"
        code = main(["run", "--report-dir", str(report_dir), *args])
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err, report_dir)

    return run


def _run_console(
    args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "livepeer_conformance.cli", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def run_console() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run the CLI as its own process (`python -m livepeer_conformance.cli`), output as bytes."""
    return _run_console


@pytest.fixture
def small_budget() -> tuple[str, ...]:
    """Options for a run of a few seconds in which every phase still gets a turn."""
    return SMALL_BUDGET


def _pasted(reproducer: str, cwd: Path, env: dict[str, str]) -> tuple[int, bytes]:
    """Paste `reproducer` unchanged into an interactive bash started in `cwd`, with only `env`
    and PATH set; (the answer's HTTP status, what curl printed). curl's status comes from a
    `.curlrc` write-out, so the pasted line is the report's own."""
    curl_home = cwd / ".curl-home"
    curl_home.mkdir(exist_ok=True)
    (curl_home / ".curlrc").write_text('write-out = "\\n%{http_code}"\n', encoding="utf-8")
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-i"],
        input=reproducer.encode() + b"\n",
        cwd=cwd,
        env={"PATH": os.environ["PATH"], "CURL_HOME": str(curl_home), **env},
        capture_output=True,
        timeout=30,
        check=False,
    )
    printed, _, status = done.stdout.rpartition(b"\n")
    assert status.isdigit(), done.stderr.decode(errors="replace")
    return int(status), printed


@pytest.fixture
def paste() -> Callable[[str, Path, dict[str, str]], tuple[int, bytes]]:
    """Paste a reproducer into bash as a user would: (status, what curl printed)."""
    return _pasted


@pytest.fixture
def serve_in_thread() -> Callable[[ThreadingHTTPServer], contextlib.AbstractContextManager[str]]:
    """Serve a standard-library HTTP server (bound to loopback) in a background thread while
    the block runs; the block gets its base URL."""
    return serving_in_thread

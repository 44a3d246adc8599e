"""Cost of a default conformance run on the reference gateway, next to a plain schemathesis run."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from contract_tests.config import DEFAULT_MAX_EXAMPLES, TOKEN_ENV
from contract_tests.reference_gateway.server import running_gateway
from contract_tests.reference_gateway.settings import GatewaySettings
from contract_tests.spec import spec_path
from livepeer_tools.bench.common import Section

#: The conformance suite's target: a default run finishes well under this on 2 cores.
TARGET_SECONDS = 60.0
SEED = 1

#: schemathesis reads the token from the environment through its config file, never argv.
SCHEMATHESIS_CONFIG = f'[auth.openapi.HTTPBearer]\nbearer = "${{{TOKEN_ENV}}}"\n'


@dataclass(frozen=True)
class Measurement:
    """One run: wall time, requests sent and departures reported."""

    tool: str
    seconds: float
    requests: int
    departures: int
    exit_code: int


def measure_suite(workdir: Path) -> Measurement:
    """`livepeer-conformance run` with its defaults (embedded gateway), as a subprocess."""
    report_dir = workdir / "suite"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "contract_tests.cli", "run", "--report-dir", str(report_dir)],
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    return Measurement(
        "livepeer-conformance run (defaults)",
        seconds,
        report["requests_sent"],
        len(report["departures"]),
        result.returncode,
    )


def measure_plain_schemathesis(workdir: Path) -> Measurement:
    """`schemathesis run` over the same spec on a fresh reference gateway, comparable budget."""
    token = secrets.token_urlsafe(24)
    config = workdir / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG, encoding="utf-8")
    har, report = workdir / "plain.har.json", workdir / "plain.json"
    with running_gateway(GatewaySettings(token=token)) as base_url:
        started = time.perf_counter()
        result = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config)),
                *("run", str(spec_path()), "--url", base_url, "--seed", str(SEED)),
                *("--max-examples", str(DEFAULT_MAX_EXAMPLES)),
                *("--phases", "examples,coverage,fuzzing", "--report", "har,json"),
                *("--report-har-path", str(har), "--report-json-path", str(report)),
            ],
            capture_output=True,
            env={**os.environ, TOKEN_ENV: token},
            cwd=workdir,  # schemathesis keeps its cache under the working directory
            check=False,
        )
        seconds = time.perf_counter() - started
    requests = len(json.loads(har.read_text(encoding="utf-8"))["log"]["entries"])
    failures = json.loads(report.read_text(encoding="utf-8"))["failures"]
    departures = sum(len(f.get("operations", [])) or 1 for f in failures)
    return Measurement(
        f"schemathesis run -n {DEFAULT_MAX_EXAMPLES}",
        seconds,
        requests,
        departures,
        result.returncode,
    )


def run() -> Section:
    """Measure both runs side by side and render them as a Markdown table."""
    with tempfile.TemporaryDirectory(prefix="conformance-bench-") as tmp:
        workdir = Path(tmp)
        suite = measure_suite(workdir)
        plain = measure_plain_schemathesis(workdir)
    rows = [
        f"| {m.tool} | {m.seconds:.1f} s | {m.requests} | {m.departures} | {m.exit_code} |"
        for m in (suite, plain)
    ]
    verdict = "within" if suite.seconds < TARGET_SECONDS else "over"
    markdown = "\n".join(
        [
            "Against the reference gateway, which conforms: every departure reported is false.",
            "",
            "| run | wall time | requests | departures | exit |",
            "| --- | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            f"The default suite run is {verdict} the {TARGET_SECONDS:.0f} s target; it costs "
            f"{suite.seconds / plain.seconds:.1f}x the plain run's time and "
            f"{suite.requests / max(plain.requests, 1):.1f}x its requests, for the semantic "
            "properties and real images in every multipart request; it reported "
            f"{suite.departures} departure(s) where the plain run reported {plain.departures}.",
            "",
        ]
    )
    return Section("Conformance run cost", markdown)

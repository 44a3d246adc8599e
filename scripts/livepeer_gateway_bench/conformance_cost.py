"""Cost of a default conformance run on the reference gateway, next to a plain schemathesis run."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from livepeer_conformance.config import DEFAULT_MAX_EXAMPLES
from livepeer_conformance.runner import EMBEDDED_LOGGERS
from livepeer_gateway_spec import TOKEN_ENV, spec_path
from livepeer_reference_gateway import GatewaySettings, running_gateway

from livepeer_gateway_bench.common import Section, Spread

#: The conformance suite's target: a default run finishes well under this on 2 cores.
TARGET_SECONDS = 60.0
#: Runs of each tool for the cost table.
ROUNDS = 3
SEED = 1

#: schemathesis reads the token from the environment through its config file, never argv.
SCHEMATHESIS_CONFIG = f'[auth.openapi.HTTPBearer]\nbearer = "${{{TOKEN_ENV}}}"\n'
PLAIN_HAR, PLAIN_JSON = "plain.har.json", "plain.json"


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
        [sys.executable, "-m", "livepeer_conformance.cli", "run", "--report-dir", str(report_dir)],
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


def _plain_schemathesis(
    workdir: Path, settings: GatewaySettings, max_examples: int, *options: str
) -> tuple[int, float]:
    """Run `schemathesis run` over the spec against a fresh gateway; (exit code, seconds).

    Its HAR and JSON reports are left in `workdir`, which must not be shared with another run.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG, encoding="utf-8")
    with running_gateway(settings) as base_url:
        started = time.perf_counter()
        result = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config)),
                *("run", str(spec_path()), "--url", base_url, "--seed", str(SEED)),
                *("--max-examples", str(max_examples)),
                *("--phases", "examples,coverage,fuzzing", "--report", "har,json"),
                *("--report-har-path", str(workdir / PLAIN_HAR)),
                *("--report-json-path", str(workdir / PLAIN_JSON)),
                *options,
            ],
            capture_output=True,
            env={**os.environ, TOKEN_ENV: settings.token or ""},
            cwd=workdir,  # schemathesis keeps its cache under the working directory
            check=False,
        )
        seconds = time.perf_counter() - started
    return result.returncode, seconds


def measure_plain_schemathesis(workdir: Path) -> Measurement:
    """`schemathesis run` over the same spec on a fresh reference gateway, comparable budget."""
    settings = GatewaySettings(token=secrets.token_urlsafe(24))
    exit_code, seconds = _plain_schemathesis(workdir / "plain", settings, DEFAULT_MAX_EXAMPLES)
    har = json.loads((workdir / "plain" / PLAIN_HAR).read_text(encoding="utf-8"))
    failures = json.loads((workdir / "plain" / PLAIN_JSON).read_text(encoding="utf-8"))["failures"]
    departures = sum(len(f.get("operations", [])) or 1 for f in failures)
    return Measurement(
        f"schemathesis run -n {DEFAULT_MAX_EXAMPLES}",
        seconds,
        len(har["log"]["entries"]),
        departures,
        exit_code,
    )


@contextlib.contextmanager
def _quiet_gateways() -> Iterator[None]:
    """Silence the in-process gateways' logs: plain schemathesis's malformed requests make
    uvicorn warn once per request, and its exit code already says what happened."""

    def drop(record: logging.LogRecord) -> bool:
        return False

    # A filter, not a level: every gateway that starts sets its loggers' levels again.
    loggers = [logging.getLogger(name) for name in EMBEDDED_LOGGERS]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)


def run() -> Section:
    """Measure both runs side by side and render them as a Markdown table."""
    with tempfile.TemporaryDirectory(prefix="conformance-bench-") as tmp, _quiet_gateways():
        workdir = Path(tmp)
        suites: list[Measurement] = []
        plains: list[Measurement] = []
        for round_ in range(ROUNDS):  # interleaved, so both see the same machine load
            suites.append(measure_suite(workdir / f"round-{round_}"))
            plains.append(measure_plain_schemathesis(workdir / f"round-{round_}"))
    suite_time = Spread.of([m.seconds for m in suites])
    plain_time = Spread.of([m.seconds for m in plains])
    suite_requests = statistics.median(m.requests for m in suites)
    plain_requests = statistics.median(m.requests for m in plains)
    rows = [
        f"| {ms[0].tool} | {spread.fmt(' s', digits=1)} "
        f"| {statistics.median(m.requests for m in ms):.0f} "
        f"| {', '.join(str(m.departures) for m in ms)} "
        f"| {', '.join(str(m.exit_code) for m in ms)} |"
        for ms, spread in ((suites, suite_time), (plains, plain_time))
    ]
    verdict = "within" if suite_time.median < TARGET_SECONDS else "over"
    markdown = "\n".join(
        [
            "Against the reference gateway, which conforms: every departure reported is false. "
            f"Each tool ran {ROUNDS} times, interleaved: wall time median (min–max), median "
            "requests, and the departures and exit code of each run. Plain schemathesis fills "
            "the `image` part with arbitrary bytes, which the gateway rightly refuses with 400; "
            "it reports that as a valid request rejected.",
            "",
            "| run | wall time | requests | departures | exit |",
            "| --- | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            f"The default suite run is {verdict} the {TARGET_SECONDS:.0f} s target; it costs "
            f"{suite_time.median / plain_time.median:.1f}x the plain run's time and "
            f"{suite_requests / max(plain_requests, 1):.1f}x its requests, for the semantic "
            "properties and real images in every multipart request. The same two tools against "
            "every fault of the catalogue, at equal request budgets, are in docs/faults.md "
            "(`make faults ARGS='--budgets 30,60'`; also the study "
            "`make bench ARGS='--only detection_budget'`).",
        ]
    )
    return Section("Conformance run cost", markdown)

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from livepeer_conformance.config import DEFAULT_MAX_EXAMPLES
from livepeer_conformance.runner import EMBEDDED_LOGGERS
from livepeer_gateway_spec import TOKEN_ENV, spec_path
from livepeer_reference_gateway import FAULTS, GatewaySettings, running_gateway

from livepeer_gateway_bench import fault_table as faults
from livepeer_gateway_bench.common import Section, Spread

#: The conformance suite's target: a default run finishes well under this on 2 cores.
TARGET_SECONDS = 60.0
#: Runs of each tool for the cost table; the catalogue comparison runs once (it takes a minute).
ROUNDS = 3
SEED = 1

#: schemathesis reads the token from the environment through its config file, never argv.
SCHEMATHESIS_CONFIG = f'[auth.openapi.HTTPBearer]\nbearer = "${{{TOKEN_ENV}}}"\n'
PLAIN_HAR, PLAIN_JSON = "plain.har.json", "plain.json"
#: Examples per operation of each plain schemathesis run over the fault catalogue: one keeps the
#: catalogue's runs within the bench's time, and the plain run quiet on the clean gateway.
CATALOGUE_MAX_EXAMPLES = 1


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


@dataclass(frozen=True)
class CatalogueComparison:
    """How many faults of the catalogue each tool detects, and which each misses."""

    total: int
    suite_missed: list[str]
    plain_missed: list[str]
    plain_clean_exit: int
    suite_seconds: float
    plain_seconds: float


def plain_schemathesis_exit(name: str | None, workdir: Path) -> int:
    """The exit code of plain `schemathesis run` against the gateway with fault `name` (or none)."""
    fault = FAULTS[name] if name else None
    settings = GatewaySettings(
        token=secrets.token_urlsafe(24), faults=frozenset({name} if name else ())
    )
    options = (
        ["--request-timeout", f"{fault.needs_timeout:g}"] if fault and fault.needs_timeout else []
    )
    # Detection is the exit code alone, which the first failure already decides.
    options.append("--max-failures=1")
    exit_code, _ = _plain_schemathesis(workdir, settings, CATALOGUE_MAX_EXAMPLES, *options)
    return exit_code


def compare_on_catalogue(workdir: Path) -> CatalogueComparison:
    """Run the suite (default budget) and plain schemathesis against every fault, two at a time."""
    names = [name for name, fault in FAULTS.items() if not fault.conformant]
    started = time.perf_counter()
    suite = faults.run_all([faults.SuiteRun(n, faults.SEED) for n in names], workdir / "suite")
    suite_seconds = time.perf_counter() - started

    def plain(indexed: tuple[int, str | None]) -> int:
        index, name = indexed
        return plain_schemathesis_exit(name, workdir / f"plain-{index:02d}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=faults.WORKERS) as pool:
        clean_exit, *exits = pool.map(plain, enumerate([None, *names]))
    plain_seconds = time.perf_counter() - started
    return CatalogueComparison(
        total=len(names),
        suite_missed=[o.run.fault or "" for o in suite if not o.detected],
        plain_missed=[n for n, code in zip(names, exits, strict=True) if code == 0],
        plain_clean_exit=clean_exit,
        suite_seconds=suite_seconds,
        plain_seconds=plain_seconds,
    )


def catalogue_markdown(comparison: CatalogueComparison) -> str:
    """The catalogue comparison as a Markdown table and a note on what "detected" means."""
    total = comparison.total

    def missed(names: list[str]) -> str:
        return ", ".join(f"`{n}`" for n in names) or "none"

    return "\n".join(
        [
            f"The same two tools against each of the {total} faults of the catalogue "
            "(docs/faults.md), two runs at a time:",
            "",
            "| run | faults detected | missed | wall time, whole catalogue |",
            "| --- | ---: | --- | ---: |",
            f"| livepeer-conformance run (defaults, seed {faults.SEED}) "
            f"| {total - len(comparison.suite_missed)}/{total} "
            f"| {missed(comparison.suite_missed)} | {comparison.suite_seconds:.0f} s |",
            f"| schemathesis run -n {CATALOGUE_MAX_EXAMPLES} "
            f"| {total - len(comparison.plain_missed)}/{total} "
            f"| {missed(comparison.plain_missed)} | {comparison.plain_seconds:.0f} s |",
            "",
            "The suite detects a fault when it exits 1 and its JSON report names one of the checks "
            "the fault's registry entry expects. Plain schemathesis detects a fault when it exits "
            "non-zero, whatever it reports; it runs with one example per operation (all its "
            "phases but stateful), which keeps the comparison short and the plain run quiet on "
            f"the clean gateway (exit {comparison.plain_clean_exit} there in this run), stops at "
            "its first failure (`--max-failures=1`: the exit code is decided there), and gets "
            "`--request-timeout` where the fault's entry asks for a short timeout.",
            "",
        ]
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
            "every fault of the catalogue are the `fault_catalogue` section (a longer study: "
            "`make bench ARGS='--only fault_catalogue'`).",
        ]
    )
    return Section("Conformance run cost", markdown)


def run_catalogue() -> Section:
    """Both tools against every fault of the catalogue: what the suite adds to schemathesis."""
    with tempfile.TemporaryDirectory(prefix="catalogue-bench-") as tmp, _quiet_gateways():
        comparison = compare_on_catalogue(Path(tmp))
    return Section(
        "Fault catalogue: the suite and plain schemathesis", catalogue_markdown(comparison)
    )

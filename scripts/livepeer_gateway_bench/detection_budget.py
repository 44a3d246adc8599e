"""The fault catalogue at equal request budgets: the conformance suite next to plain schemathesis.

The suite runs once per fault and budget with `--max-requests`, since its schedule depends on the
budget. schemathesis has no request budget (`--max-examples` and `--max-failures` bound examples
and failures, not requests, and its coverage phase alone sends over a hundred requests per
operation): each fault gets one plain run with all its default phases, and a fault counts as
detected at budget B when the first request whose answer failed one of the fault's expected
checks is among the first B requests that run sent. That is what a run stopped after B requests
would have found: a seeded run sends its requests in the same order whenever it stops. Detection
is judged the same way for both tools: one of the checks the fault's registry entry names
(`detected_by`) failed. Departures reported against the clean gateway are counted apart.
"""

from __future__ import annotations

import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from livepeer_conformance.config import DEFAULT_MAX_REQUESTS
from livepeer_gateway_spec import TOKEN_ENV, spec_path
from livepeer_reference_gateway import FAULTS, GatewaySettings, running_gateway

from livepeer_gateway_bench import fault_table, forked
from livepeer_gateway_bench.common import Section
from livepeer_gateway_bench.conformance_cost import SCHEMATHESIS_CONFIG
from livepeer_gateway_bench.plot import detection_plot

#: The budgets compared; the last is the suite's default.
BUDGETS: tuple[int, ...] = (30, 60, 120, DEFAULT_MAX_REQUESTS)
#: schemathesis's examples per operation and phase: enough that its fuzzing phase, not the
#: setting, ends each operation (it stops an operation at its first failure).
PLAIN_MAX_EXAMPLES = 25
PLAIN_TIMEOUT_SECONDS = 120.0
PLOT = Path(__file__).resolve().parents[2] / "docs" / "detection-vs-budget.png"
SUITE = "livepeer-conformance run"
PLAIN = f"schemathesis run -n {PLAIN_MAX_EXAMPLES}"


def plain_run(fault: str | None, workdir: Path, seed: int = fault_table.SEED) -> int:
    """Plain `schemathesis run` against the gateway with `fault` (or none) switched on; its HAR
    and NDJSON reports written to `workdir`. Runs in a forked child (see `forked`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG, "utf-8")
    token = secrets.token_urlsafe(24)
    settings = GatewaySettings(token=token, faults=frozenset({fault} if fault else ()))
    entry = FAULTS[fault] if fault else None
    timeout = (
        ["--request-timeout", f"{entry.needs_timeout:g}"] if entry and entry.needs_timeout else []
    )
    with running_gateway(settings) as base_url:
        return forked.schemathesis_cli(
            [
                *("--config-file", str(config), "run", str(spec_path()), "--url", base_url),
                *("--seed", str(seed), "--max-examples", str(PLAIN_MAX_EXAMPLES)),
                *("--report", "har,ndjson"),
                *("--report-har-path", str(workdir / "run.har")),
                *("--report-ndjson-path", str(workdir / "run.ndjson")),
                *timeout,
            ],
            {TOKEN_ENV: token},
        )


@dataclass(frozen=True)
class PlainRun:
    """What one plain run sent, and the request at which each check first failed."""

    requests: int
    #: check name -> 1-based number of the request whose answer first failed it.
    first_failure: dict[str, int]

    def first_detection(self, checks: frozenset[str]) -> int | None:
        hits = [n for check, n in self.first_failure.items() if check in checks]
        return min(hits) if hits else None

    def failed_within(self, budget: int) -> list[str]:
        return sorted(c for c, n in self.first_failure.items() if n <= budget)


def read_plain(workdir: Path) -> PlainRun:
    """The requests of a plain run's HAR, in order, matched to the failing checks of its NDJSON
    event stream by schemathesis's test case id (`X-Schemathesis-TestCaseId`). A case that sent
    several requests (an auth check replays its request) fails at the last of them."""
    entries = json.loads((workdir / "run.har").read_text("utf-8"))["log"]["entries"]
    last_request: dict[str, int] = {}
    for number, entry in enumerate(entries, 1):
        for header in entry["request"]["headers"]:
            if header["name"].lower() == "x-schemathesis-testcaseid":
                last_request[header["value"]] = number
    first: dict[str, int] = {}
    for line in (workdir / "run.ndjson").read_text("utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        for case_id, checks in finished["recorder"]["checks"].items():
            number = last_request.get(case_id)
            if number is None:
                continue
            for check in checks:
                if check["status"] == "failure":
                    first[check["name"]] = min(first.get(check["name"], number), number)
    return PlainRun(len(entries), first)


@dataclass(frozen=True)
class BudgetRow:
    budget: int
    suite_detected: int
    suite_median: float | None
    suite_false: int
    suite_spent: int
    plain_detected: int
    plain_median: float | None
    plain_false: int
    plain_spent: int
    #: Faults the suite did not detect at this budget.
    suite_missed: tuple[str, ...] = ()


def _median(values: Sequence[int]) -> float | None:
    return statistics.median(values) if values else None


def plain_runs(
    names: Sequence[str], workdir: Path, seed: int = fault_table.SEED
) -> tuple[dict[str | None, PlainRun], float]:
    """One plain run per fault of `names` and one against the clean gateway (key None), two at
    a time; and their wall time."""
    targets: list[str | None] = [*names, None]
    dirs = [workdir / f"plain-{index:02d}" for index in range(len(targets))]
    started = time.perf_counter()
    forked.run_all(
        [(plain_run, (t, d, seed)) for t, d in zip(targets, dirs, strict=True)],
        fault_table.WORKERS,
        PLAIN_TIMEOUT_SECONDS,
    )
    seconds = time.perf_counter() - started
    runs = {}
    for target, directory in zip(targets, dirs, strict=True):
        try:
            runs[target] = read_plain(directory)
        except (OSError, ValueError, KeyError):
            runs[target] = PlainRun(0, {})
    return runs, seconds


def suite_runs(
    names: Sequence[str], budgets: Sequence[int], seed: int = fault_table.SEED
) -> list[fault_table.SuiteRun]:
    """The suite's runs of the comparison: each fault, then the clean gateway, at each budget."""
    runs = [fault_table.SuiteRun(name, seed, b) for b in budgets for name in names]
    return runs + [fault_table.SuiteRun(None, seed, b) for b in budgets]


def rows(
    suite: Sequence[fault_table.Outcome],
    plain: dict[str | None, PlainRun],
    names: Sequence[str],
    budgets: Sequence[int],
    seed: int = fault_table.SEED,
) -> list[BudgetRow]:
    """A row per budget. A suite run without `--max-requests` counts at the default budget."""

    def budget_of(outcome: fault_table.Outcome) -> int:
        return outcome.run.budget or DEFAULT_MAX_REQUESTS

    table = []
    for budget in budgets:
        at = [o for o in suite if budget_of(o) == budget and o.run.seed == seed]
        outcomes = [o for o in at if o.run.fault in names]
        clean = next(
            (o for o in at if not o.run.fault),
            next(o for o in suite if budget_of(o) == budget and not o.run.fault),
        )
        suite_firsts = [f.requests for o in outcomes if o.detected and (f := o.first_detection())]
        plain_firsts = [
            n
            for name in names
            if (n := plain[name].first_detection(FAULTS[name].detected_by)) is not None
            and n <= budget
        ]
        table.append(
            BudgetRow(
                budget,
                sum(o.detected for o in outcomes),
                _median(suite_firsts),
                len(clean.departed_checks),
                clean.requests_sent,
                len(plain_firsts),
                _median(plain_firsts),
                len(plain[None].failed_within(budget)),
                min(budget, plain[None].requests),
                tuple(o.run.fault or "" for o in outcomes if not o.detected),
            )
        )
    return table


@dataclass(frozen=True)
class Comparison:
    """Both tools at each budget, and what it took to measure."""

    table: list[BudgetRow]
    faults: int
    seed: int
    suite_seconds: float
    plain_seconds: float
    #: Suite runs timed by `suite_seconds`.
    suite_runs: int


def compare(
    workdir: Path,
    budgets: Sequence[int] = BUDGETS,
    seed: int = fault_table.SEED,
    done: Sequence[fault_table.Outcome] = (),
    progress: bool = False,
) -> Comparison:
    """Both tools against every fault and the clean gateway at each of `budgets`. `done` holds
    suite runs already made at the default budget (`make faults`' catalogue): they give the
    default budget's row without running again."""
    names = [name for name, fault in FAULTS.items() if not fault.conformant]
    started = time.perf_counter()
    suite = fault_table.run_all(
        suite_runs(names, budgets, seed), workdir / "suite", progress=progress
    )
    suite_seconds = time.perf_counter() - started
    plain, plain_seconds = plain_runs(names, workdir, seed)
    every = sorted({*budgets, *([DEFAULT_MAX_REQUESTS] if done else [])})
    table = rows([*done, *suite], plain, names, every, seed)
    return Comparison(table, len(names), seed, suite_seconds, plain_seconds, len(suite))


def plot(table: Sequence[BudgetRow], faults: int, output: Path = PLOT) -> Path:
    """docs/detection-vs-budget.png: both tools' detection rate at each budget."""
    return detection_plot(
        {
            SUITE: [(r.budget, r.suite_detected / faults) for r in table],
            PLAIN: [(r.budget, r.plain_detected / faults) for r in table],
        },
        f"Fault catalogue ({faults} faults): detected at each request budget",
        output,
    )


def markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: the table, the ratios, how it was measured, the plot."""
    table, faults, seed = comparison.table, comparison.faults, comparison.seed

    def median(value: float | None) -> str:
        return f"{value:g}" if value is not None else "—"

    lines = [
        f"The {faults} faults of the catalogue (docs/faults.md, seed {seed}) at "
        "equal request budgets. For each tool: faults detected (one of the fault's expected "
        "checks failed), the median request at which they were first detected, and on the "
        "clean gateway the requests spent and the checks reported failing (false departures: "
        "the clean gateway conforms).",
        "",
        "| budget | suite: detected | median first | clean: spent, false | "
        "schemathesis: detected | median first | clean: spent, false |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in table:
        lines.append(
            f"| {row.budget} | {row.suite_detected}/{faults} "
            f"({row.suite_detected / faults:.0%}) | {median(row.suite_median)} "
            f"| {row.suite_spent}, {row.suite_false} "
            f"| {row.plain_detected}/{faults} ({row.plain_detected / faults:.0%}) "
            f"| {median(row.plain_median)} | {row.plain_spent}, {row.plain_false} |"
        )
    ratios = ", ".join(
        f"{row.budget}: {row.suite_detected / max(row.plain_detected, 1):.1f}x" for row in table
    )
    missed = "; ".join(
        f"{row.budget}: {', '.join(f'`{name}`' for name in row.suite_missed)}"
        for row in table
        if row.suite_missed
    )
    times = (
        f" Wall time, two runs at a time: the suite {comparison.suite_seconds:.0f} s for "
        f"{comparison.suite_runs} runs, schemathesis {comparison.plain_seconds:.0f} s for "
        f"{faults + 1} runs."
    )
    lines += [
        "",
        f"Faults detected, suite / schemathesis, per budget: {ratios}.{times}",
        "",
        f"Missed by the suite, per budget: {missed or 'none'}.",
        "",
        f"![detection rate against the request budget, both tools]({PLOT.name})",
        "",
        f"How it was measured: {SUITE} runs once per fault and budget (`--max-requests`, "
        f"`--seed {seed}`, the options the fault's entry asks for). "
        f"schemathesis has no request budget: `{PLAIN} --seed {seed}` (all its "
        "default phases) runs once per fault, and a fault counts as detected at a budget when "
        "the request whose answer first failed an expected check is among the first that many "
        "requests it sent; a run stopped there would have found the same, since a seeded run "
        "sends its requests in the same order. It checks nothing of the semantics (seeds, "
        "sizes, image counts, decodable images, echoed tokens), so those faults are out of its "
        "reach at any budget.",
        "",
    ]
    return "\n".join(lines)


def run() -> Section:
    """The bench study (`make bench ARGS='--only detection_budget'`); `make faults` writes the
    same table, from the same code, to docs/faults.md with `--budgets`."""
    with tempfile.TemporaryDirectory(prefix="detection-budget-") as tmp:
        comparison = compare(Path(tmp))
    plot(comparison.table, comparison.faults)
    return Section("Detection against the request budget", markdown(comparison))

"""`make faults`: run the conformance suite against every fault of the catalogue and tabulate it.

Each run is `livepeer-conformance run` with its default budget and a fixed seed, in a process of
its own (forked from this one, see `forked`), against the embedded reference gateway with one
fault switched on; the clean gateway is run with several seeds to count false positives. At most
two runs go at a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livepeer_conformance.config import DEFAULT_MAX_REQUESTS
from livepeer_conformance.report import JSON_FILE
from livepeer_gateway_spec.cli import OneLineParser
from livepeer_reference_gateway import FAULTS, Fault

from livepeer_gateway_bench import forked

#: The seed of every catalogue run, so that the table is the same from one run to the next.
SEED = 1
#: Seeds of the clean gateway's runs: any departure reported in one is a false positive.
CLEAN_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5)
#: Runs going at a time: each is two busy threads (suite and gateway) on a 2-core machine.
WORKERS = 2
#: A run that takes longer than this is stopped and reported as not detected.
RUN_TIMEOUT_SECONDS = 300.0
EXIT_DEPARTURES = 1
#: Budgets below the default the catalogue also runs at with `--budgets`, for detection against
#: the budget next to plain schemathesis: a study of some minutes more, off by default.
STUDY_BUDGETS: tuple[int, ...] = (30, 60, 120)

REPORT = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


@dataclass(frozen=True)
class SuiteRun:
    """One conformance run: against a fault (None for the clean gateway), with one seed."""

    fault: str | None
    seed: int
    #: `--max-requests` of the run; None for the suite's default.
    budget: int | None = None


@dataclass(frozen=True)
class FirstDetection:
    """The departure that named an expected check first."""

    check: str
    operation: str
    requests: int
    seconds: float


@dataclass(frozen=True)
class Outcome:
    """What one run returned and reported: exit code, departures from its JSON report, time."""

    run: SuiteRun
    exit_code: int
    departures: tuple[dict[str, Any], ...]
    requests_sent: int
    wall_seconds: float
    error: str = ""

    @property
    def departed_checks(self) -> frozenset[str]:
        """Names of every check a failing finding of the report failed."""
        return frozenset(c["check"] for d in self.departures for c in d["checks"])

    @property
    def expected_checks(self) -> frozenset[str]:
        """The checks the fault's registry entry says catch it (none for the clean gateway)."""
        return FAULTS[self.run.fault].detected_by if self.run.fault else frozenset()

    @property
    def conformant(self) -> bool:
        """Whether the run is of a conformant variant (which must stay quiet)."""
        return bool(self.run.fault) and FAULTS[self.run.fault or ""].conformant

    @property
    def detected(self) -> bool:
        """Exit 1 with at least one of the expected checks among the departures.

        For a conformant variant, what is expected is silence: exit 0 and no departure.
        """
        if self.conformant:
            return self.exit_code == 0 and not self.departures
        return self.exit_code == EXIT_DEPARTURES and bool(
            self.expected_checks & self.departed_checks
        )

    def first_detection(self) -> FirstDetection | None:
        """The earliest departure of an expected check, by requests sent, then by name.

        Checks judging the same answer tie on requests; their names, unlike their seconds,
        break the tie the same way in every run.
        """
        hits = [
            (d, c["check"])
            for d in self.departures
            for c in d["checks"]
            if c["check"] in self.expected_checks
        ]
        if not hits:
            return None
        first, check = min(
            hits,
            key=lambda hit: (hit[0]["requests_to_first_detection"], hit[1], hit[0]["operation"]),
        )
        return FirstDetection(
            check,
            first["operation"],
            first["requests_to_first_detection"],
            first["seconds_to_first_detection"],
        )


def suite_arguments(fault: Fault) -> list[str]:
    """The options a run needs for `fault` to show: the fault itself, and its profile or timeout."""
    arguments = ["--fault", fault.name]
    if fault.needs_profile:
        arguments += ["--profile", fault.needs_profile]
    if fault.needs_timeout:
        arguments += ["--timeout", f"{fault.needs_timeout:g}"]
    return arguments


def suite_argv(run: SuiteRun, report_dir: Path) -> list[str]:
    """`livepeer-conformance` arguments of `run`, its reports written to `report_dir`."""
    arguments = suite_arguments(FAULTS[run.fault]) if run.fault else []
    argv = ["run", "--seed", str(run.seed), "--report-dir", str(report_dir), *arguments]
    if run.budget is not None:
        argv += ["--max-requests", str(run.budget)]
    return argv


def read_outcome(run: SuiteRun, exit_code: int, report_dir: Path, seconds: float) -> Outcome:
    """The outcome of `run` from its exit code and the JSON report it wrote."""
    if exit_code == forked.TIMED_OUT:
        return Outcome(
            run, exit_code, (), 0, seconds, f"no verdict within {RUN_TIMEOUT_SECONDS:g} s"
        )
    try:
        report = json.loads((report_dir / JSON_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Outcome(run, exit_code, (), 0, seconds, "no report written")
    return Outcome(run, exit_code, tuple(report["departures"]), report["requests_sent"], seconds)


def _timed_suite(argv: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    code = forked.suite(argv)
    return code, time.perf_counter() - started


def progress_line(outcome: Outcome, done: int, total: int) -> str:
    """One line per finished run: the fault, the budget, the outcome."""
    run = outcome.run
    what = f"fault {run.fault}" if run.fault else f"clean gateway (seed {run.seed})"
    budget = run.budget or DEFAULT_MAX_REQUESTS
    first = outcome.first_detection()
    if outcome.error:
        verdict = outcome.error
    elif not run.fault or outcome.conformant:
        flagged = ", ".join(sorted(outcome.departed_checks))
        verdict = f"FLAGGED by {flagged}" if flagged else f"quiet (exit {outcome.exit_code})"
    elif first is not None:
        verdict = f"detected by {first.check} at request {first.requests}"
    else:
        verdict = "NOT detected"
    return f"[{done}/{total}] {what}, budget {budget}: {verdict} ({outcome.wall_seconds:.1f} s)"


def run_all(
    runs: Sequence[SuiteRun], workdir: Path, workers: int = WORKERS, progress: bool = False
) -> list[Outcome]:
    """Run every one of `runs`, `workers` at a time, each in a process of its own forked from
    this one (see `forked`), reports under `workdir`; in order. With `progress`, a line per
    run on stderr as the runs finish."""
    dirs = [workdir / f"run-{index:02d}" for index in range(len(runs))]
    calls = [(_timed_suite, (suite_argv(run, d),)) for run, d in zip(runs, dirs, strict=True)]
    outcomes: list[Outcome] = []

    def finished(index: int, answer: tuple[int, float] | int) -> None:
        code, seconds = answer if isinstance(answer, tuple) else (answer, RUN_TIMEOUT_SECONDS)
        outcomes.append(read_outcome(runs[index], code, dirs[index], seconds))
        if progress:
            print(progress_line(outcomes[-1], index + 1, len(runs)), file=sys.stderr, flush=True)

    forked.run_all(calls, workers, RUN_TIMEOUT_SECONDS, finished)
    return outcomes


def catalogue_runs(seed: int = SEED, clean_seeds: Sequence[int] = CLEAN_SEEDS) -> list[SuiteRun]:
    """One run per registered fault with `seed`, then one clean run per seed of `clean_seeds`."""
    return [SuiteRun(name, seed) for name in FAULTS] + [SuiteRun(None, s) for s in clean_seeds]


@dataclass(frozen=True)
class Summary:
    """The catalogue's outcomes, split into fault runs and clean runs, with their totals."""

    faults: list[Outcome]
    clean: list[Outcome]
    wall_seconds: float
    #: Runs of the conformant variants, each of which must stay quiet.
    conformant: list[Outcome] = field(default_factory=list)

    @property
    def detected(self) -> int:
        return sum(o.detected for o in self.faults)

    @property
    def quiet_variants(self) -> int:
        """Conformant variants on which the run stayed quiet."""
        return sum(o.detected for o in self.conformant)

    @property
    def false_positives(self) -> int:
        """Clean runs that did not exit 0."""
        return sum(o.exit_code != 0 for o in self.clean)

    def median_requests(self) -> float | None:
        """Median requests to first detection over the detected faults."""
        firsts = [f.requests for o in self.faults if (f := o.first_detection()) is not None]
        return statistics.median(firsts) if firsts else None


def summarize(outcomes: Sequence[Outcome], wall_seconds: float) -> Summary:
    """Split `outcomes` into fault runs and clean runs."""
    return Summary(
        [o for o in outcomes if o.run.fault and not o.conformant],
        [o for o in outcomes if not o.run.fault],
        wall_seconds,
        [o for o in outcomes if o.conformant],
    )


def _options(fault: Fault) -> str:
    extra = suite_arguments(fault)[2:]
    return f"`{' '.join(extra)}`" if extra else ""


def detection_table(summary: Summary) -> str:
    """The per-fault table and the totals, as Markdown."""
    lines = [
        "| fault | category | detected | by | requests to first detection | seconds | options |",
        "| --- | --- | :---: | --- | ---: | ---: | --- |",
    ]
    for outcome in summary.faults + summary.conformant:
        fault = FAULTS[outcome.run.fault or ""]
        first = outcome.first_detection()
        by = f"`{first.check}` on `{first.operation}`" if first else outcome.error or "—"
        requests = str(first.requests) if first else "—"
        seconds = f"{first.seconds:.2f}" if first else "—"
        mark = "yes" if outcome.detected else "**no**"
        if outcome.conformant:
            mark = "quiet (conformant)" if outcome.detected else "**flagged**"
            flagged = sorted(outcome.departed_checks)
            by = ", ".join(f"`{c}`" for c in flagged) or outcome.error or "—"
        lines.append(
            f"| `{fault.name}` | {fault.category} | {mark} | {by} | {requests} | {seconds} "
            f"| {_options(fault)} |"
        )
    return "\n".join(lines) + "\n\n" + totals(summary) + "\n"


def totals(summary: Summary) -> str:
    """The totals line: detected/total, median requests, false positives, wall time."""
    median = summary.median_requests()
    median_text = f"{median:g}" if median is not None else "—"
    clean_seeds = ", ".join(str(o.run.seed) for o in summary.clean)
    return (
        f"**Detected {summary.detected}/{len(summary.faults)}** within the default budget "
        f"(seed {summary.faults[0].run.seed if summary.faults else SEED}); median requests to "
        f"first detection {median_text}; **false positives {summary.false_positives}/"
        f"{len(summary.clean)}** on the clean gateway (seeds {clean_seeds}); "
        f"conformant variants quiet {summary.quiet_variants}/{len(summary.conformant)}; "
        f"{summary.wall_seconds:.0f} s wall time, {WORKERS} runs at a time."
    )


def terminal_table(summary: Summary) -> str:
    """The per-fault table and the totals, as plain text for the terminal."""
    header = ("fault", "category", "detected", "by", "requests", "seconds")
    rows = [header]
    for outcome in summary.faults + summary.conformant:
        fault = FAULTS[outcome.run.fault or ""]
        first = outcome.first_detection()
        mark = "yes" if outcome.detected else "NO"
        if outcome.conformant:
            mark = "quiet" if outcome.detected else "FLAGGED"
        rows.append(
            (
                fault.name,
                fault.category,
                mark,
                first.check if first else outcome.error or "-",
                str(first.requests) if first else "-",
                f"{first.seconds:.2f}" if first else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(lines) + "\n\n" + totals(summary).replace("**", "")


DOCUMENT_INTRO = """\
# Fault catalogue

Written by `make faults` (`python -m livepeer_gateway_bench.fault_table`); do not edit by hand.

The catalogue proves that the conformance suite notices what it claims to, and that it stays
quiet on a conformant gateway. Each fault is the reference gateway with one named departure
from `openapi.yaml` switched on (`GatewaySettings(faults=frozenset({{name}}))`, or
`livepeer-conformance run --fault NAME`); the registry is `FAULTS` in
`contract_tests/livepeer_reference_gateway/faults.py`. `make faults` runs the suite once per
fault with its default budget (500 requests) and seed {seed}, then the clean gateway with seeds
{clean_seeds}. A fault counts as detected when the run exits 1 and one of the checks its
registry entry names (`detected_by`) is among the departures of the JSON report. "Requests to
first detection" counts every request the run had sent when the first failing answer of such a
check came back (the reachability probe is request 1); "seconds" is the time since the run
started, the embedded gateway's start-up included.

## Adding a fault

1. Add a `Fault` to `_CATALOGUE` in `contract_tests/livepeer_reference_gateway/faults.py`: a name, a
   one-line description, its category, the checks that should catch it (`detected_by`), and the
   hook that changes the gateway (`before`, `auth`, `violations`, `plan`, `answer` or `delay`).
2. If only a stricter profile or a short request timeout shows it, say so once in the entry
   (`needs_profile`, `needs_timeout`): the tests, `make faults` and `make bench` read it there.
   A behaviour real gateways have that conforms (`conformant=True`, no `detected_by`) is run
   the same way and must leave the suite quiet: exit 0, no departure.
3. Run `make faults`: the new row must say "yes". `tests/faults` runs the same check in
   `make test`.

## Detection
"""

DETERMINISM = """
## Deterministic detection

No fault is caught by chance of generation: each is caught by a request that every run sends
whatever its seed. Every answer, whichever phase sent it, is judged by the same protocol checks
(a declared status, a declared content type, a success body matching its schema, the declared
required headers, no 5xx but the retryable 503, the token not echoed). In the order of the run's
schedule (request counts of the seed-1 run; the later phases move with the spec phase's length):

- request 1, the reachability probe; requests 2 to 4, the credentials check (one cheap valid
  request per operation): every response-shape fault, JSON labelled text/plain, a missing
  endpoint and a token echoed in the body; from the eighth answer of an operation on, a share
  of 503 answers above a quarter (`intermittent_unavailable`, in the strict profile: how often
  a gateway may be out of capacity is this project's recommendation);
- requests 5 to about 21, round-robin across the operations, one edge probe per refusal class:
  a missing required field, no credentials, a number that is not an integer, a value out of
  range, an upload that is not an image, a token the gateway never issued: the missing-field,
  invalid-value, out-of-range and undecodable-image faults, a 5xx labelled text/plain, reshaped
  error bodies, and every auth fault (a request served without or with a wrong token, a 401
  without its JSON body or its `WWW-Authenticate` challenge);
- the next six, the first property requests, a two-image batch with seed 123 per operation
  sent twice: the semantic faults (image count, seeds, sizes, decodable URLs, the input's size
  and the upscale factor, and in the strict profile the same pixels);
- the next seven, the field probes, round-robin: a request without each required field the
  refusal probes left out (the upload of image-to-image and upscale), then one at each cheap
  accepted extreme, the most inference steps and the largest batch at the smallest size: a
  500 on a missing upload, 500s past a step count or batch the spec allows, and, in the
  strict profile, a step count the spec allows refused;
- then the spec phase, one operation at a time within its share of the budget, the one with
  the fewest fields (upscale) first: the spec's own examples, then schemathesis's coverage
  phase, which enumerates rather than draws: missing fields, values just outside the declared
  bounds, wrong types, missing or wrong credentials;
- then the rest of the edge probes, one of each family in turn, each family's most telling
  edge first: the seed 0, a prompt of only `|`, `loras` holding JSON that is not an object, a
  multipart body without its boundary, the seed 2^32-1, then each bounded number at its
  extremes and one past them, blank and very long prompts, truncated uploads and each listed
  image type: the seed-0, wide-seed, `loras`, blank-prompt and multipart-body faults;
- then the property phase's drawn requests, and near the end its error probes.

Some faults need options the default run does not have, recorded once in their registry
entries (`needs_profile`, `needs_timeout`) and read from there by the tests and `make faults`:
the faults whose detecting checks enforce this project's `recommended` rules, not the reference
pages (identical pixels for identical seeds, the input's size kept by image-to-image, the
upscale factor, the minimum of one image, how often a gateway answers 503), run with
`--profile strict`, where those rules fail
a gateway; by default they are reported as advisories. `slow_response` runs with `--timeout 1`
(the fault holds answers back 3 s; the default timeout is 10 s).
"""


BUDGET_INTRO = """
## Detection against the budget

Every fault (conformant variants left out) run again with each smaller `--max-requests`, same
seed and options, and the clean gateway at each budget; at the smaller budgets a run is also
incomplete, and a fault counts as detected when the run reports one of its checks as a
departure. Next to it, plain schemathesis at the same budgets (see below the table for how).

"""


def document(summary: Summary, by_budget: str = "") -> str:
    """docs/faults.md: what the catalogue is, how to add a fault, the table and the totals, and
    `by_budget` (the comparison at equal budgets, as Markdown) when there is one."""
    clean_seeds = ", ".join(str(o.run.seed) for o in summary.clean)
    seed = summary.faults[0].run.seed if summary.faults else SEED
    intro = DOCUMENT_INTRO.format(seed=seed, clean_seeds=clean_seeds)
    budgets = f"{BUDGET_INTRO}{by_budget}" if by_budget else ""
    return f"{intro}\n{detection_table(summary)}{budgets}{DETERMINISM}"


def _budgets(text: str) -> list[int]:
    """`30,60,120` as budgets below the default (the default run is the main table's)."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if any(value < 1 for value in values):
        raise argparse.ArgumentTypeError("budgets must be at least 1")
    return [value for value in values if value != DEFAULT_MAX_REQUESTS]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the catalogue, print the table, write docs/faults.md; exit 1 on a miss or false alarm."""
    parser = OneLineParser(prog="make faults", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPORT, help="Markdown report path")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of every fault's run")
    parser.add_argument(
        "--budgets",
        type=_budgets,
        default=[],
        help="comma-separated request budgets to run the catalogue at too, next to plain "
        f"schemathesis (a longer study; e.g. {','.join(map(str, STUDY_BUDGETS))}; default: none)",
    )
    args = parser.parse_args(argv)
    if not args.output.parent.is_dir():
        parser.error(f"no directory {args.output.parent}")
    # The comparison module runs this one's suite runs: imported here, not at the top.
    from livepeer_gateway_bench import detection_budget

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        outcomes = run_all(catalogue_runs(args.seed), Path(tmp), progress=True)
        summary = summarize(outcomes, time.perf_counter() - started)
        compared = (
            detection_budget.compare(
                Path(tmp) / "budgets", args.budgets, args.seed, outcomes, progress=True
            )
            if args.budgets
            else None
        )
    print(terminal_table(summary))
    comparison = ""
    if compared is not None:
        plot = detection_budget.plot(
            compared.table, compared.faults, args.output.parent / detection_budget.PLOT.name
        )
        comparison = detection_budget.markdown(compared)
        print("\n" + comparison.split("\n\nHow it was measured")[0].replace("`", ""))
        print(f"wrote {plot}")
    args.output.write_text(document(summary, comparison), encoding="utf-8")
    print(f"wrote {args.output}")
    complete = (
        summary.detected == len(summary.faults)
        and summary.false_positives == 0
        and summary.quiet_variants == len(summary.conformant)
    )
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())

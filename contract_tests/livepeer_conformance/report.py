"""The run's report as a terminal table, JUnit XML, Markdown and JSON, token redacted.

Every form states the same outcome: the headline, each report file and the exit code agree.
Every form lists departures (which decide the outcome) and advisories (departures from
`recommended` rules under a profile that does not fail on them) apart, each with its source.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from livepeer_conformance.evidence import Evidence
from livepeer_conformance.media import MediaFetcher
from livepeer_conformance.outcome import NotCovered, Outcome
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import Departure, RunResults
from livepeer_conformance.schedule import PHASES, REACHABILITY, Schedule

JUNIT_FILE = "conformance.junit.xml"
MARKDOWN_FILE = "conformance.md"
JSON_FILE = "conformance.json"
#: The JUnit test case that fails when the run did not check everything it should have.
COMPLETENESS_CASE = "run_checked_everything"


@dataclass(frozen=True)
class RunReport:
    """What a finished run reports: its outcome, which departures are new, and its context."""

    results: RunResults
    new: list[Departure]
    accepted: list[Departure]
    target: str
    profile: str
    requests_sent: int
    request_budget: int
    elapsed_seconds: float
    outcome: Outcome = Outcome.CONFORMS
    not_covered: list[NotCovered] = field(default_factory=list)
    interrupted: bool = False
    #: Why the run stopped early when nothing interrupted it (`--max-failures`).
    stopped_by: str = ""
    open_gateway: bool = False
    #: How to start the gateway the reproducers were made against, when the run embedded it.
    replay_hint: str = ""
    #: Departures from `recommended` rules under a profile that does not fail on them: listed,
    #: never changing the outcome.
    advisories: list[Departure] = field(default_factory=list)
    #: The run's schedule: requests planned per operation × phase (what was spent is in results).
    schedule: Schedule | None = None
    #: The media URLs the run fetched to judge answers, within their own bounds.
    media: MediaFetcher | None = None

    @property
    def conforms(self) -> bool:
        return self.outcome is Outcome.CONFORMS


def schedule_rows(report: RunReport) -> list[tuple[str, str, int, int]]:
    """(operation, phase, planned, spent) of every pair with requests planned or spent."""
    planned = report.schedule.planned if report.schedule is not None else {}
    spent = report.results.spent
    operations = list(planned) + sorted({op for op, _ in spent} - set(planned))
    return [
        (operation, phase, planned.get(operation, {}).get(phase, 0), spent[(operation, phase)])
        for phase in (REACHABILITY, *PHASES)
        for operation in operations
        if planned.get(operation, {}).get(phase, 0) or spent[(operation, phase)]
    ]


def media_rows(report: RunReport) -> list[tuple[str, int, int]]:
    """(operation, media fetches planned, made) of every operation with either."""
    schedule, media = report.schedule, report.media
    planned = {op: schedule.media_of(op) for op in schedule.media} if schedule else {}
    fetched = media.fetched if media is not None else {}
    operations = sorted(op for op in {*planned, *fetched} if planned.get(op) or fetched.get(op))
    return [(op, planned.get(op, 0), fetched.get(op, 0)) for op in operations]


def media_line(report: RunReport) -> str:
    """One line: the media fetched to judge answers, against the plan and the run's bounds."""
    media = report.media
    if media is None:
        return ""
    limits = media.limits
    planned = report.schedule.media_total() if report.schedule else 0
    line = (
        f"media: {sum(media.fetched.values())} http(s) fetch(es) of at most {planned} planned, "
        f"{media.bytes:,} bytes, {media.seconds:.1f} s (outside the request budget; bounds: "
        f"{limits.fetches} fetches, {limits.total_bytes:,} bytes, {limits.seconds:g} s)"
    )
    return f"{line}; {media.bound}" if media.bound else line


def _rows(results: RunResults) -> list[tuple[str, int, int, int]]:
    rows = []
    for operation in results.operations():
        checks = results.checks_of(operation)
        passed = sum(results.passed[(operation, c)] for c in checks)
        failed = sum(results.failed[(operation, c)] for c in checks)
        rows.append((operation, len(checks), passed, failed))
    return rows


def _title(departure: Departure) -> str:
    cause = f" [{departure.cause}]" if departure.cause else ""
    return f"{departure.check} on {departure.operation}{cause}"


def _evidence_lines(evidence: Evidence | None) -> list[str]:
    return evidence.lines() if evidence else []


def _source_line(departure: Departure) -> str:
    return f"source: {departure.source.kind}: {departure.source.text}"


def _terminal_entry(kind: str, departure: Departure, accepted: str = "") -> list[str]:
    return [
        "",
        f"{kind} {_title(departure)}{accepted}: {departure.title} ({departure.count}x, "
        f"first at request {departure.first_seen.requests})",
        f"  {_source_line(departure)}",
        f"  reason: {departure.reason}",
        *(f"  {line}" for line in _evidence_lines(departure.evidence)),
        f"  reproduce: {departure.reproducer}",
    ]


def terminal(report: RunReport) -> str:
    """The table per operation, the departures and what was not covered, as printed at the end."""
    rows = _rows(report.results)
    width = max([len("operation"), *(len(r[0]) for r in rows)])
    lines = [f"{'operation':<{width}}  checks  passed  failed"]
    lines += [f"{op:<{width}}  {n:>6}  {p:>6}  {f:>6}" for op, n, p, f in rows]
    for departure in report.new + report.accepted:
        accepted = " (accepted by baseline)" if departure in report.accepted else ""
        lines += _terminal_entry("FAILED", departure, accepted)
    for departure in report.advisories:
        lines += _terminal_entry("ADVISORY", departure)
    if report.replay_hint and (report.new or report.accepted or report.advisories):
        lines += ["", report.replay_hint]
    for note in report.results.notes:
        lines.append(f"note: {note}")
    for item in report.not_covered:
        lines.append(f"not covered: {item.operation} × {item.check}: {item.why}")
    if report.media is not None:
        lines.append(media_line(report))
    lines += ["", headline(report)]
    return "\n".join(lines)


def headline(report: RunReport) -> str:
    """One line: the outcome and what it rests on."""
    state = report.outcome.label
    if report.new:
        state += f" ({len(report.new)} cause(s))"
    if report.interrupted:
        state += ", interrupted"
    if report.stopped_by:
        state += f", {report.stopped_by.removeprefix('the run ')}"
    if report.outcome is Outcome.INCOMPLETE and report.not_covered:
        state += f", {len(report.not_covered)} not covered"
    accepted = f", {len(report.accepted)} accepted by baseline" if report.accepted else ""
    if report.advisories:
        accepted += f", {len(report.advisories)} advisory(ies)"
    auth = ", auth none: authentication not checked" if report.open_gateway else ""
    return (
        f"{report.target}: {state}{accepted} (profile {report.profile}{auth}, "
        f"{report.requests_sent}/{report.request_budget} requests, "
        f"{report.elapsed_seconds:.1f} s)"
    )


def markdown(report: RunReport) -> str:
    """A Markdown summary suitable for a CI job summary."""
    lines = [
        "# Conformance report",
        "",
        f"**{headline(report)}**",
        "",
        "| operation | checks | passed | failed |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| `{op}` | {n} | {p} | {f} |" for op, n, p, f in _rows(report.results)]
    if report.new or report.accepted:
        lines += ["", "## Departures", ""]
    for departure in report.new + report.accepted:
        accepted = " (accepted by baseline)" if departure in report.accepted else ""
        lines += _markdown_entry(departure, accepted)
    if report.advisories:
        lines += [
            "",
            f"## Advisories ({len(report.advisories)})",
            "",
            "Departures from this project's `recommended` rules: listed, not failing under"
            f" profile {report.profile}.",
            "",
        ]
    for departure in report.advisories:
        lines += _markdown_entry(departure, "")
    if report.replay_hint and (report.new or report.accepted or report.advisories):
        lines += ["", report.replay_hint, ""]
    lines += [
        "",
        "## Schedule",
        "",
        f"GPU work of the accepted requests: {report.results.work_done:,} "
        "(output pixels × inference steps × images).",
        "",
        "| operation | phase | planned | spent |",
        "| --- | --- | ---: | ---: |",
    ]
    lines += [f"| `{op}` | {ph} | {pl} | {sp} |" for op, ph, pl, sp in schedule_rows(report)]
    if report.media is not None:
        lines += ["", media_line(report) + ".", ""]
        lines += ["| operation | media planned | media fetched |", "| --- | ---: | ---: |"]
        lines += [f"| `{op}` | {pl} | {got} |" for op, pl, got in media_rows(report)]
    if report.not_covered or report.results.notes:
        lines += ["", "## Not covered", ""]
        lines += [f"- {note}" for note in report.results.notes]
        lines += [f"- `{n.operation}` × `{n.check}`: {n.why}" for n in report.not_covered]
    return "\n".join(lines) + "\n"


def _markdown_entry(departure: Departure, accepted: str) -> list[str]:
    return [
        f"### `{departure.check}` on `{departure.operation}`{accepted}",
        "",
        f"Source: **{departure.source.kind}** ({departure.source.text}).",
        "",
        f"Cause: `{departure.cause}`. {departure.title} — {departure.reason} "
        f"({departure.count}x, first at request {departure.first_seen.requests})",
        "",
        *(f"- {line}" for line in _evidence_lines(departure.evidence)),
        "",
        "```sh",
        departure.reproducer,
        "```",
        "",
    ]


def as_json(report: RunReport) -> str:
    """The whole report as JSON."""
    results = report.results
    document = {
        "outcome": report.outcome.label,
        "exit_code": report.outcome.exit_code,
        "conforms": report.conforms,
        "interrupted": report.interrupted,
        "stopped_by": report.stopped_by,
        "auth": "none" if report.open_gateway else "bearer",
        "target": report.target,
        "profile": report.profile,
        "requests_sent": report.requests_sent,
        "request_budget": report.request_budget,
        "elapsed_seconds": round(report.elapsed_seconds, 3),
        "checks": [
            {
                "operation": operation,
                "check": check,
                "passed": results.passed[(operation, check)],
                "failed": results.failed[(operation, check)],
            }
            for operation in results.operations()
            for check in results.checks_of(operation)
        ],
        "departures": [d.to_dict() for d in report.new],
        "accepted_by_baseline": [d.to_dict() for d in report.accepted],
        "advisory_count": len(report.advisories),
        "advisories": [d.to_dict() for d in report.advisories],
        "not_covered": [n.to_dict() for n in report.not_covered],
        "notes": results.notes,
        "replay": report.replay_hint,
        "gpu_work_spent": results.work_done,
        "schedule": [
            {"operation": op, "phase": ph, "planned": pl, "spent": sp}
            for op, ph, pl, sp in schedule_rows(report)
        ],
        "media": _media_json(report),
    }
    return json.dumps(document, indent=2) + "\n"


def _media_json(report: RunReport) -> dict[str, object] | None:
    if report.media is None:
        return None
    planned = {op: pl for op, pl, _ in media_rows(report) if pl}
    return report.media.to_dict(planned)


def junit(report: RunReport) -> str:
    """JUnit XML: one test suite per operation, one test case per check."""
    results = report.results
    root = ET.Element("testsuites", name="livepeer-conformance")
    by_check: dict[tuple[str, str], list[Departure]] = {}
    for departure in report.new:
        by_check.setdefault((departure.operation, departure.check), []).append(departure)
    missing = {(n.operation, n.check): n for n in report.not_covered}
    operations = sorted(set(results.operations()) | {op for op, _ in missing})
    for operation in operations:
        checks = sorted(
            set(results.checks_of(operation)) | {c for op, c in missing if op == operation}
        )
        failures = sum(1 for c in checks if (operation, c) in by_check)
        suite = ET.SubElement(
            root, "testsuite", name=operation, tests=str(len(checks)), failures=str(failures)
        )
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=operation, name=check)
            for departure in by_check.get((operation, check), []):
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{departure.cause or departure.title} — {departure.reason}",
                )
                failure.text = "\n".join(
                    [
                        f"{departure.count} failing request(s)",
                        _source_line(departure),
                        *_evidence_lines(departure.evidence),
                        f"reproduce: {departure.reproducer}",
                    ]
                )
            if (operation, check) in missing:
                ET.SubElement(case, "skipped", message=missing[(operation, check)].why)
    if report.advisories:
        # Listed, never failing: one passing test case per advisory, its finding as output.
        advised = ET.SubElement(
            root, "testsuite", name="advisories", tests=str(len(report.advisories)), failures="0"
        )
        for departure in report.advisories:
            case = ET.SubElement(
                advised, "testcase", classname=departure.operation, name=_title(departure)
            )
            ET.SubElement(case, "system-out").text = "\n".join(
                [
                    f"ADVISORY: {departure.title} — {departure.reason} ({departure.count}x)",
                    _source_line(departure),
                    *_evidence_lines(departure.evidence),
                    f"reproduce: {departure.reproducer}",
                ]
            )
    run = ET.SubElement(root, "testsuite", name="run", tests="1")
    case = ET.SubElement(run, "testcase", classname="run", name=COMPLETENESS_CASE)
    if report.outcome is not Outcome.CONFORMS:
        run.set("failures", "1")
        failure = ET.SubElement(case, "failure", message=headline(report))
        failure.text = "\n".join(report.results.notes)
    else:
        run.set("failures", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _redacted(report: RunReport, secrets: Iterable[str]) -> RunReport:
    """`report` with the secrets redacted from every text a gateway or a check put in it."""
    hidden = tuple(secrets)

    def clean(departure: Departure) -> Departure:
        evidence = departure.evidence
        if evidence is not None:
            evidence = Evidence(*(redact(v, hidden) for v in dataclasses.astuple(evidence)))
        return dataclasses.replace(
            departure,
            title=redact(departure.title, hidden),
            reason=redact(departure.reason, hidden),
            reproducer=redact(departure.reproducer, hidden),
            cause=redact(departure.cause, hidden),
            evidence=evidence,
        )

    notes = [redact(note, hidden) for note in report.results.notes]
    return dataclasses.replace(
        report,
        results=dataclasses.replace(report.results, notes=notes),
        new=[clean(d) for d in report.new],
        accepted=[clean(d) for d in report.accepted],
        advisories=[clean(d) for d in report.advisories],
        target=redact(report.target, hidden),
    )


def write_reports(report: RunReport, report_dir: Path, secrets: Iterable[str]) -> list[Path]:
    """Write JUnit XML, Markdown and JSON into `report_dir`; return the paths written."""
    report_dir.mkdir(parents=True, exist_ok=True)
    hidden = tuple(secrets)
    # Redacted before serialising: JSON and XML escape a secret's quotes, backslashes and
    # non-ASCII, which a search of the serialised text would then miss.
    report = _redacted(report, hidden)
    written = []
    for name, text, parses in (
        (JUNIT_FILE, junit(report), ET.fromstring),
        (MARKDOWN_FILE, markdown(report), str),
        (JSON_FILE, as_json(report), json.loads),
    ):
        path = report_dir / name
        path.write_text(_redact_serialised(text, hidden, parses), encoding="utf-8")
        written.append(path)
    return written


def _redact_serialised(text: str, hidden: tuple[str, ...], parses: Callable[[str], object]) -> str:
    """A last pass over the serialised text, kept only if the file still parses.

    Every field was redacted before serialising; this pass catches what a check may have
    missed, but a redaction cutting through an escape sequence must not break the file.
    """
    redacted = redact(text, hidden)
    try:
        parses(redacted)
    except (ValueError, ET.ParseError):
        return text
    return redacted

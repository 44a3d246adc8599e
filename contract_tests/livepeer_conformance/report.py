"""The run's verdict as a terminal table, JUnit XML, Markdown and JSON, token redacted."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from livepeer_conformance.redaction import redact
from livepeer_conformance.results import Departure, RunResults

JUNIT_FILE = "conformance.junit.xml"
MARKDOWN_FILE = "conformance.md"
JSON_FILE = "conformance.json"


@dataclass(frozen=True)
class Verdict:
    """What a finished run reports: its results, which departures are new, and its context."""

    results: RunResults
    new: list[Departure]
    accepted: list[Departure]
    target: str
    profile: str
    requests_sent: int
    request_budget: int
    elapsed_seconds: float
    #: Departures from `recommended` rules under a profile that does not fail on them.
    advisories: list[Departure] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.new


def _rows(results: RunResults) -> list[tuple[str, int, int, int]]:
    rows = []
    for operation in results.operations():
        checks = results.checks_of(operation)
        passed = sum(results.passed[(operation, c)] for c in checks)
        failed = sum(results.failed[(operation, c)] for c in checks)
        rows.append((operation, len(checks), passed, failed))
    return rows


def terminal(verdict: Verdict) -> str:
    """The table per operation and the failures, as printed at the end of a run."""
    rows = _rows(verdict.results)
    width = max([len("operation"), *(len(r[0]) for r in rows)])
    lines = [f"{'operation':<{width}}  checks  passed  failed"]
    lines += [f"{op:<{width}}  {n:>6}  {p:>6}  {f:>6}" for op, n, p, f in rows]
    for departure in verdict.new + verdict.accepted:
        accepted = " (accepted by baseline)" if departure in verdict.accepted else ""
        lines += [
            "",
            f"FAILED {departure.check} on {departure.operation}{accepted}: {departure.title}"
            f" ({departure.count}x)",
            *_source_lines(departure),
            f"  reason: {departure.reason}",
            f"  reproduce: {departure.reproducer}",
        ]
    for departure in verdict.advisories:
        lines += [
            "",
            f"ADVISORY {departure.check} on {departure.operation}: {departure.title}"
            f" ({departure.count}x)",
            *_source_lines(departure),
            f"  reason: {departure.reason}",
            f"  reproduce: {departure.reproducer}",
        ]
    for note in verdict.results.not_covered:
        lines.append(f"not covered: {note}")
    lines += ["", _summary_line(verdict)]
    return "\n".join(lines)


def _source_lines(departure: Departure) -> list[str]:
    cause = f"  cause: {departure.cause}" if departure.cause else None
    return [f"  source: {departure.source.kind}: {departure.source.text}", *filter(None, [cause])]


def _summary_line(verdict: Verdict) -> str:
    state = "conforms" if verdict.conforms else f"{len(verdict.new)} departure(s)"
    accepted = f", {len(verdict.accepted)} accepted by baseline" if verdict.accepted else ""
    if verdict.advisories:
        accepted += f", {len(verdict.advisories)} advisory(ies)"
    return (
        f"{verdict.target}: {state}{accepted} (profile {verdict.profile}, "
        f"{verdict.requests_sent}/{verdict.request_budget} requests, "
        f"{verdict.elapsed_seconds:.1f} s)"
    )


def markdown(verdict: Verdict) -> str:
    """A Markdown summary suitable for a CI job summary."""
    lines = [
        "# Conformance report",
        "",
        f"**{_summary_line(verdict)}**",
        "",
        "| operation | checks | passed | failed |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| `{op}` | {n} | {p} | {f} |" for op, n, p, f in _rows(verdict.results)]
    if verdict.new or verdict.accepted:
        lines += ["", "## Departures", ""]
    for departure in verdict.new + verdict.accepted:
        accepted = " (accepted by baseline)" if departure in verdict.accepted else ""
        lines += _markdown_entry(departure, accepted)
    if verdict.advisories:
        lines += [
            "",
            f"## Advisories ({len(verdict.advisories)})",
            "",
            "Departures from this project's `recommended` rules: listed, not failing under"
            f" profile {verdict.profile}.",
            "",
        ]
    for departure in verdict.advisories:
        lines += _markdown_entry(departure, "")
    if verdict.results.not_covered:
        lines += ["", "## Not covered", ""] + [f"- {note}" for note in verdict.results.not_covered]
    return "\n".join(lines) + "\n"


def _markdown_entry(departure: Departure, accepted: str) -> list[str]:
    cause = f", cause `{departure.cause}`" if departure.cause else ""
    return [
        f"### `{departure.check}` on `{departure.operation}`{accepted}",
        "",
        f"Source: **{departure.source.kind}** ({departure.source.text}){cause}",
        "",
        f"{departure.title} — {departure.reason} ({departure.count}x)",
        "",
        "```sh",
        departure.reproducer,
        "```",
        "",
    ]


def as_json(verdict: Verdict) -> str:
    """The whole verdict as JSON."""
    results = verdict.results
    document = {
        "target": verdict.target,
        "profile": verdict.profile,
        "conforms": verdict.conforms,
        "requests_sent": verdict.requests_sent,
        "request_budget": verdict.request_budget,
        "elapsed_seconds": round(verdict.elapsed_seconds, 3),
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
        "departures": [d.to_dict() for d in verdict.new],
        "accepted_by_baseline": [d.to_dict() for d in verdict.accepted],
        "advisory_count": len(verdict.advisories),
        "advisories": [d.to_dict() for d in verdict.advisories],
        "not_covered": results.not_covered,
    }
    return json.dumps(document, indent=2) + "\n"


def junit(verdict: Verdict) -> str:
    """JUnit XML: one test suite per operation, one test case per check."""
    results = verdict.results
    root = ET.Element("testsuites", name="livepeer-conformance")
    departures: dict[tuple[str, str], Departure] = {}
    for departure in verdict.new:  # one failure per check: its first cause
        departures.setdefault(departure.key, departure)
    for operation in results.operations():
        checks = results.checks_of(operation)
        failures = sum(1 for c in checks if (operation, c) in departures)
        suite = ET.SubElement(
            root, "testsuite", name=operation, tests=str(len(checks)), failures=str(failures)
        )
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=operation, name=check)
            departure = departures.get((operation, check))
            if departure is not None:
                failure = ET.SubElement(
                    case, "failure", message=f"{departure.title} — {departure.reason}"
                )
                failure.text = (
                    f"{departure.count} failing request(s)\nreproduce: {departure.reproducer}"
                )
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _redacted(verdict: Verdict, secrets: Iterable[str]) -> Verdict:
    """`verdict` with the secrets redacted from every text a gateway or a check put in it."""
    hidden = tuple(secrets)

    def clean(departure: Departure) -> Departure:
        return dataclasses.replace(
            departure,
            title=redact(departure.title, hidden),
            reason=redact(departure.reason, hidden),
            reproducer=redact(departure.reproducer, hidden),
            cause=redact(departure.cause, hidden),
        )

    not_covered = [redact(note, hidden) for note in verdict.results.not_covered]
    return dataclasses.replace(
        verdict,
        results=dataclasses.replace(verdict.results, not_covered=not_covered),
        new=[clean(d) for d in verdict.new],
        accepted=[clean(d) for d in verdict.accepted],
        advisories=[clean(d) for d in verdict.advisories],
        target=redact(verdict.target, hidden),
    )


def write_reports(verdict: Verdict, report_dir: Path, secrets: Iterable[str]) -> list[Path]:
    """Write JUnit XML, Markdown and JSON into `report_dir`; return the paths written."""
    report_dir.mkdir(parents=True, exist_ok=True)
    hidden = tuple(secrets)
    # Redacted before serialising: JSON and XML escape a secret's quotes, backslashes and
    # non-ASCII, which a search of the serialised text would then miss.
    verdict = _redacted(verdict, hidden)
    written = []
    for name, text in (
        (JUNIT_FILE, junit(verdict)),
        (MARKDOWN_FILE, markdown(verdict)),
        (JSON_FILE, as_json(verdict)),
    ):
        path = report_dir / name
        path.write_text(redact(text, hidden), encoding="utf-8")
        written.append(path)
    return written

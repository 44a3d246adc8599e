"""The run's report as a terminal table, JUnit XML, Markdown and JSON, token redacted.

Every form states the same outcome: the headline, each report file and the exit code agree.
Every form lists findings, one per bug with the checks its answers failed: departures (which
decide the outcome) and advisories (findings from `recommended` rules alone, under a profile
that does not fail on them) apart, each with its source.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from livepeer_gateway_spec import TOKEN_ENV
from livepeer_gateway_spec.cli import github_annotation

from livepeer_conformance.config import RunConfig
from livepeer_conformance.evidence import URL_ENV, Evidence, header_variable
from livepeer_conformance.media import MediaFetcher
from livepeer_conformance.outcome import NotCovered, Outcome
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import Example, Finding, RunResults
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
    new: list[Finding]
    accepted: list[Finding]
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
    #: The shell lines to run before pasting a reproducer (`replay_preamble`).
    replay_hint: str = ""
    #: Findings from `recommended` rules under a profile that does not fail on them: listed,
    #: never changing the outcome.
    advisories: list[Finding] = field(default_factory=list)
    #: The run's schedule: requests planned per operation × phase (what was spent is in results).
    schedule: Schedule | None = None
    #: What the run chose: profile, budget, ceilings, seed, model pins, excluded checks, ...
    options: dict[str, object] = field(default_factory=dict)
    #: The exit code the command returns (130 after Ctrl-C, `--fail-on` applied).
    exit_code: int = 0
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


def _title(finding: Finding) -> str:
    return f"{finding.bug} on {finding.operation}"


def _check_lines(finding: Finding) -> list[str]:
    """One line per check the finding's answers failed: name, source, reason."""
    return [
        f"{f.check} ({f.source.kind}): {f.reason}"
        for f in (finding.failures[c] for c in finding.checks)
    ]


def _evidence_lines(evidence: Evidence | None) -> list[str]:
    return evidence.lines() if evidence else []


def _source_line(finding: Finding) -> str:
    return f"source: {finding.source.kind}: {finding.source.text}"


def _seen(finding: Finding) -> str:
    phases = ", ".join(finding.phases)
    return f"{finding.count} answer(s), first at request {finding.first_seen.requests}" + (
        f"; met in {phases}" if phases else ""
    )


def _terminal_entry(kind: str, finding: Finding, accepted: str = "") -> list[str]:
    return [
        "",
        f"{kind} {_title(finding)}{accepted}: {finding.title} ({_seen(finding)})",
        f"  {_source_line(finding)}",
        *(f"  failed {line}" for line in _check_lines(finding)),
        *(f"  {line}" for line in _evidence_lines(finding.evidence)),
        f"  reproduce: {finding.reproducer}",
        *(f"  also {e.trigger}: {e.reproducer}" for e in _others(finding)),
    ]


def _others(finding: Finding) -> list[Example]:
    """The finding's distinct triggers beyond the first, each with its own reproducer."""
    return list(finding.examples.values())[1:]


def terminal(report: RunReport) -> str:
    """The table per operation, the departures and what was not covered, as printed at the end."""
    rows = _rows(report.results)
    width = max([len("operation"), *(len(r[0]) for r in rows)])
    lines = [f"{'operation':<{width}}  checks  passed  failed"]
    lines += [f"{op:<{width}}  {n:>6}  {p:>6}  {f:>6}" for op, n, p, f in rows]
    for finding in report.new + report.accepted:
        accepted = " (accepted by baseline)" if finding in report.accepted else ""
        lines += _terminal_entry("FAILED", finding, accepted)
    for finding in report.advisories:
        lines += _terminal_entry("ADVISORY", finding)
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
        state += f" ({len(report.new)} finding(s))"
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
        lines += ["", "## Findings", ""]
    for finding in report.new + report.accepted:
        accepted = " (accepted by baseline)" if finding in report.accepted else ""
        lines += _markdown_entry(finding, accepted)
    if report.advisories:
        lines += [
            "",
            f"## Advisories ({len(report.advisories)})",
            "",
            "Findings from this project's `recommended` rules: listed, not failing under"
            f" profile {report.profile}.",
            "",
        ]
    for finding in report.advisories:
        lines += _markdown_entry(finding, "")
    if report.replay_hint and (report.new or report.accepted or report.advisories):
        lines += ["", "## Replaying a reproducer", "", "```sh", report.replay_hint, "```", ""]
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
    lines += ["", "## Run options", "", "| option | value |", "| --- | --- |"]
    lines += [f"| `{name}` | `{_option(value)}` |" for name, value in report.options.items()]
    lines += [f"| exit code | `{report.exit_code}` |"]
    if report.media is not None:
        lines += ["", media_line(report) + ".", ""]
        lines += ["| operation | media planned | media fetched |", "| --- | ---: | ---: |"]
        lines += [f"| `{op}` | {pl} | {got} |" for op, pl, got in media_rows(report)]
    if report.not_covered or report.results.notes:
        lines += ["", "## Not covered", ""]
        lines += [f"- {note}" for note in report.results.notes]
        lines += [f"- `{n.operation}` × `{n.check}`: {n.why}" for n in report.not_covered]
    return "\n".join(lines) + "\n"


def _markdown_entry(finding: Finding, accepted: str) -> list[str]:
    failed = [
        f"| `{f.check}` | {f.source.kind} | {_cell(f.reason)} |"
        for f in (finding.failures[c] for c in finding.checks)
    ]
    return [
        f"### `{finding.bug}` on `{finding.operation}`{accepted}",
        "",
        f"{finding.title} ({_seen(finding)}). Source: **{finding.source.kind}** "
        f"({finding.source.text}).",
        "",
        "| failed check | source | reason |",
        "| --- | --- | --- |",
        *failed,
        "",
        *(f"- {line}" for line in _evidence_lines(finding.evidence)),
        "",
        "```sh",
        finding.reproducer,
        "```",
        "",
        *(
            line
            for e in _others(finding)
            for line in (f"Also triggered by {e.trigger}:", "", "```sh", e.reproducer, "```", "")
        ),
    ]


def _option(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def as_json(report: RunReport) -> str:
    """The whole report as JSON."""
    results = report.results
    document = {
        "outcome": report.outcome.label,
        "exit_code": report.exit_code,
        "options": report.options,
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
    """JUnit XML: one test suite per operation, one test case per check; a check that findings
    failed is one test case per finding, each with its one failure (CI renderers show one)."""
    results = report.results
    root = ET.Element("testsuites", name="livepeer-conformance")
    by_check: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.new:
        for check in finding.checks:
            by_check.setdefault((finding.operation, check), []).append(finding)
    missing = {(n.operation, n.check): n for n in report.not_covered}
    operations = sorted(set(results.operations()) | {op for op, _ in missing})
    for operation in operations:
        checks = sorted(
            set(results.checks_of(operation)) | {c for op, c in missing if op == operation}
        )
        cases = [(c, by_check.get((operation, c), [None])) for c in checks]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=operation,
            tests=str(sum(len(found) for _, found in cases)),
            failures=str(sum(1 for _, found in cases for f in found if f is not None)),
        )
        for check, found in cases:
            for finding in found:
                name = check if finding is None else f"{check} · {finding.bug}"
                case = ET.SubElement(suite, "testcase", classname=operation, name=name)
                if finding is not None:
                    failed = finding.failures[check]
                    failure = ET.SubElement(
                        case, "failure", message=f"{finding.bug} — {failed.reason}"
                    )
                    failure.text = "\n".join(
                        [
                            f"{finding.title} ({_seen(finding)})",
                            _source_line(finding),
                            *(f"failed {line}" for line in _check_lines(finding)),
                            *_evidence_lines(finding.evidence),
                            f"reproduce: {finding.reproducer}",
                            *(f"also {e.trigger}: {e.reproducer}" for e in _others(finding)),
                        ]
                    )
                elif (operation, check) in missing:
                    ET.SubElement(case, "skipped", message=missing[(operation, check)].why)
    if report.advisories:
        # Listed, never failing: one passing test case per advisory, its finding as output.
        advised = ET.SubElement(
            root, "testsuite", name="advisories", tests=str(len(report.advisories)), failures="0"
        )
        for finding in report.advisories:
            case = ET.SubElement(
                advised, "testcase", classname=finding.operation, name=_title(finding)
            )
            ET.SubElement(case, "system-out").text = "\n".join(
                [
                    f"ADVISORY: {finding.title} ({_seen(finding)})",
                    _source_line(finding),
                    *(f"failed {line}" for line in _check_lines(finding)),
                    *_evidence_lines(finding.evidence),
                    f"reproduce: {finding.reproducer}",
                ]
            )
    run = ET.SubElement(root, "testsuite", name="run", tests="1")
    properties = ET.SubElement(run, "properties")
    for name, value in [*report.options.items(), ("exit_code", report.exit_code)]:
        ET.SubElement(properties, "property", name=name, value=_option(value))
    if report.replay_hint:
        ET.SubElement(run, "system-out").text = report.replay_hint
    case = ET.SubElement(run, "testcase", classname="run", name=COMPLETENESS_CASE)
    if report.outcome is not Outcome.CONFORMS:
        run.set("failures", "1")
        failure = ET.SubElement(case, "failure", message=headline(report))
        failure.text = "\n".join(report.results.notes)
    else:
        run.set("failures", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def github_lines(report: RunReport) -> list[str]:
    """GitHub Actions workflow commands: an error per failing finding, a warning per advisory,
    and one for an incomplete run."""
    lines = [
        github_annotation(
            "error",
            f"{f.title}: {f.reason}",
            title=f"{f.operation}: {f.bug} ({', '.join(f.checks)})",
        )
        for f in report.new
    ]
    lines += [
        github_annotation(
            "warning", f"{f.title}: {f.reason}", title=f"advisory {f.operation}: {f.bug}"
        )
        for f in report.advisories
    ]
    if report.outcome is Outcome.INCOMPLETE:
        lines.append(github_annotation("warning", headline(report), title="conformance incomplete"))
    return lines


def redacted(report: RunReport, secrets: Iterable[str]) -> RunReport:
    """`report` with the secrets redacted from every text a gateway or a check put in it."""
    hidden = tuple(secrets)

    def clean_evidence(evidence: Evidence | None) -> Evidence | None:
        if evidence is None:
            return None
        return Evidence(*(redact(v, hidden) for v in dataclasses.astuple(evidence)))

    def clean(finding: Finding) -> Finding:
        evidence = clean_evidence(finding.evidence)
        failures = {
            check: dataclasses.replace(
                failed,
                title=redact(failed.title, hidden),
                reason=redact(failed.reason, hidden),
                cause=redact(failed.cause, hidden),
            )
            for check, failed in finding.failures.items()
        }
        examples = {
            label: Example(
                redact(e.trigger, hidden),
                redact(e.reproducer, hidden),
                clean_evidence(e.evidence),
            )
            for label, e in finding.examples.items()
        }
        return dataclasses.replace(
            finding,
            bug=redact(finding.bug, hidden),
            failures=failures,
            reproducer=redact(finding.reproducer, hidden),
            evidence=evidence,
            examples=examples,
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
    report = redacted(report, hidden)
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


def replay_preamble(config: RunConfig) -> list[str]:
    """The shell lines to run once before pasting any reproducer of the run: the variables
    reproducers read (the secrets' only named), and how to start the embedded gateway again."""
    report_dir = shlex.quote(str(config.report_dir.resolve()))
    lines = [
        "# Replay: set these variables, then paste any reproducer as it is, from any directory",
        f"# (each one first changes to {report_dir}, whose inputs/ holds the files it sends;",
        "# if you move the report, change that cd).",
    ]
    sends_token = bool(config.token) and not config.open_gateway
    url = config.base_url
    if url is None:
        from livepeer_reference_gateway import ServerSettings

        options = [f"--fault {name}" for name in sorted(config.faults)]
        if config.media_urls != "data":
            options.append(f"--media-urls {config.media_urls}")
        serve = f"make serve ARGS={shlex.quote(' '.join(options))}" if options else "make serve"
        token = f" with a token of yours in ${TOKEN_ENV}" if sends_token else ""
        lines += [
            "# The embedded gateway stopped with the run: start the same one in another shell,",
            f"# from the repository{token}:  {serve}",
        ]
        url = f"http://{ServerSettings.host}:{ServerSettings.port}"
    lines.append(f"export {URL_ENV}={shlex.quote(url)}")
    if sends_token:
        lines.append(f"# the token, never written here:  export {TOKEN_ENV}=<token>")
    for name, _ in config.transport.headers:
        lines.append(
            f"# your -H {shlex.quote(name)} value, never written here:  "
            f"export {header_variable(name)}=<value>"
        )
    return lines

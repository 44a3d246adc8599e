"""Writing a comparison: plain text for a terminal, Markdown for a CI job summary, one JSON
document for other tools, or GitHub Actions annotations for a pull request's diff."""

from __future__ import annotations

import json
from typing import Any

from livepeer_gateway_spec.cli import AnnotationLevel, github_annotation

from livepeer_gateway_compat.findings import Comparison, Finding
from livepeer_gateway_compat.rules import Severity

_VERDICT_LINE = {
    "breaking": "BREAKING: existing clients or gateways break",
    "behaviour": "compatible, with behaviour changes to review",
    "compatible": "compatible",
}
#: The annotation each severity becomes: breaking fails the check, behaviour is to review.
LEVELS: dict[Severity, AnnotationLevel] = {
    Severity.BREAKING_CLIENT: "error",
    Severity.BREAKING_GATEWAY: "error",
    Severity.BEHAVIOUR: "warning",
    Severity.COMPATIBLE: "notice",
}


def _counts(comparison: Comparison) -> str:
    """`1 breaking-client, 0 breaking-gateway, ...`."""
    return ", ".join(f"{comparison.count(severity)} {severity}" for severity in Severity)


def _verdict(comparison: Comparison) -> str:
    return (
        f"{comparison.old_label} -> {comparison.new_label}: {_VERDICT_LINE[comparison.verdict]}"
        f" ({_counts(comparison)})"
    )


def render_text(comparison: Comparison) -> str:
    """The comparison as text: a verdict line, then one block per finding."""
    lines = [_verdict(comparison)]
    for finding in comparison.findings:
        lines.append(f"{finding.severity:<17} {finding.pointer}")
        lines.append(f"    {finding.reason}")
        lines.append(f"    in: {', '.join(finding.where)}")
        if finding.location is not None:
            lines.append(f"    at: {finding.location}")
    return "\n".join(lines) + "\n"


def render_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: a heading, the verdict, and a table of findings."""
    icon = {"breaking": "❌", "behaviour": "⚠️", "compatible": "✅"}[comparison.verdict]
    lines = [
        "## OpenAPI compatibility",
        "",
        f"{icon} **{_VERDICT_LINE[comparison.verdict]}** — `{comparison.old_label}` → "
        f"`{comparison.new_label}` ({_counts(comparison)})",
        "",
    ]
    if comparison.findings:
        lines += ["| severity | pointer | at | why | where |", "| --- | --- | --- | --- | --- |"]
        lines += [_markdown_row(finding) for finding in comparison.findings]
    else:
        lines.append("No differences on the wire.")
    return "\n".join(lines) + "\n"


def _markdown_row(finding: Finding) -> str:
    """One finding as a Markdown table row, pipes escaped."""
    cells = (
        f"`{finding.severity}`",
        f"`{finding.pointer}`",
        f"`{finding.location}`" if finding.location is not None else "",
        finding.reason,
        ", ".join(finding.where),
    )
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def finding_record(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON report writes it."""
    location = finding.location
    return {
        "severity": str(finding.severity),
        "level": LEVELS[finding.severity],
        "pointer": finding.pointer,
        "document": finding.document,
        "file": location.file if location else None,
        "line": location.line if location else None,
        "column": location.column if location else None,
        "reason": finding.reason,
        "where": list(finding.where),
        "client_functions": list(finding.client_functions),
    }


def render_json(comparison: Comparison) -> str:
    """The comparison as one JSON document: both versions, the verdict, counts and findings."""
    report = {
        "old": comparison.old_label,
        "new": comparison.new_label,
        "verdict": comparison.verdict,
        "counts": {str(severity): comparison.count(severity) for severity in Severity},
        "findings": [finding_record(finding) for finding in comparison.findings],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def render_github(comparison: Comparison) -> str:
    """The verdict line, then one annotation per finding on the new file's line: an error for a
    breaking change, a warning for a behaviour change, a notice for a compatible one."""
    lines = [_verdict(comparison)]
    for finding in comparison.findings:
        if finding.anchor is None:
            continue
        message = f"{finding.pointer}: {finding.reason} (in: {', '.join(finding.where)})"
        if finding.document == "old" and finding.location is not None:
            message += f"; removed from {finding.location}"
        lines.append(
            github_annotation(
                LEVELS[finding.severity],
                message,
                file=finding.anchor.file,
                line=finding.anchor.line,
                column=finding.anchor.column,
                title=f"compat {finding.severity}",
            )
        )
    return "\n".join(lines) + "\n"


#: `--format` -> the function writing that format.
RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "github": render_github,
}

"""Writing a comparison as plain text for a terminal or as Markdown for a CI job summary."""

from __future__ import annotations

from livepeer_gateway_compat.findings import Comparison, Finding
from livepeer_gateway_compat.rules import Severity

_VERDICT_LINE = {
    "breaking": "BREAKING: existing clients or gateways break",
    "behaviour": "compatible, with behaviour changes to review",
    "compatible": "compatible",
}


def _counts(comparison: Comparison) -> str:
    """`1 breaking-client, 0 breaking-gateway, ...`."""
    return ", ".join(f"{comparison.count(severity)} {severity}" for severity in Severity)


def render_text(comparison: Comparison) -> str:
    """The comparison as text: a verdict line, then one block per finding."""
    lines = [
        f"{comparison.old_label} -> {comparison.new_label}: {_VERDICT_LINE[comparison.verdict]}"
        f" ({_counts(comparison)})"
    ]
    for finding in comparison.findings:
        lines.append(f"{finding.severity:<17} {finding.pointer}")
        lines.append(f"    {finding.reason}")
        lines.append(f"    in: {', '.join(finding.where)}")
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
        lines += ["| severity | pointer | why | where |", "| --- | --- | --- | --- |"]
        lines += [_markdown_row(finding) for finding in comparison.findings]
    else:
        lines.append("No differences on the wire.")
    return "\n".join(lines) + "\n"


def _markdown_row(finding: Finding) -> str:
    """One finding as a Markdown table row, pipes escaped."""
    cells = (
        f"`{finding.severity}`",
        f"`{finding.pointer}`",
        finding.reason,
        ", ".join(finding.where),
    )
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

"""Run Optic's breaking-change check over the compat corpus, next to ours, and write docs/compat.md.

Needs Optic (`npm install --prefix /tmp/optic @useoptic/optic`, see docs/compat.md); our own check
needs nothing external, and this comparison is not part of `make test`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from livepeer_gateway_compat import Comparison, compare
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, load_spec
from livepeer_gateway_spec.cli import OneLineParser

from livepeer_gateway_bench.compat_corpus import CorpusCase, Score, load_cases, score

REPORT = Path(__file__).resolve().parents[2] / "docs" / "compat.md"
DEFAULT_OPTIC = Path("/tmp/optic/node_modules/.bin/optic")
BEGIN, END = "<!-- BEGIN comparison -->", "<!-- END comparison -->"
#: Optic's own word for a failed rule in its text output: `x [rule name] message`.
_OPTIC_RULE = re.compile(r"^\s*x \[([^\]]+)\]", re.MULTILINE)


@dataclass(frozen=True)
class ToolVerdict:
    """One tool's answer on one case: its verdict and the rules or severities it named."""

    verdict: str
    detail: str


def optic_verdict(
    optic: Path, old: dict[str, Any], new: dict[str, Any], workdir: Path
) -> ToolVerdict:
    """`optic diff OLD NEW --check` on two documents: exit 1 means it found a breaking change."""
    old_path, new_path = workdir / "old.yaml", workdir / "new.yaml"
    old_path.write_text(yaml.safe_dump(old, sort_keys=False), encoding="utf-8")
    new_path.write_text(yaml.safe_dump(new, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "OPTIC_TELEMETRY_LEVEL": "none", "CI": "true", "NO_COLOR": "1"}
    completed = subprocess.run(
        [str(optic), "diff", str(old_path), str(new_path), "--check"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    rules = sorted(set(_OPTIC_RULE.findall(completed.stdout + completed.stderr)))
    if completed.returncode == 0:
        return ToolVerdict("compatible", ", ".join(rules))
    if completed.returncode == 1:
        return ToolVerdict("breaking", ", ".join(rules) or "exit 1")
    last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
    return ToolVerdict("error", f"exit {completed.returncode}: {last[:80]}")


def ours_verdict(old: dict[str, Any], new: dict[str, Any]) -> tuple[ToolVerdict, Comparison]:
    """Our checker's verdict on two documents, with the severities it found."""
    comparison = Comparison("old", "new", compare(old, new))
    severities = sorted({str(f.severity) for f in comparison.findings if f.severity.breaking})
    return ToolVerdict(comparison.verdict, ", ".join(severities)), comparison


def _optic_version(optic: Path) -> str:
    """Optic's reported version, or `unknown`."""
    completed = subprocess.run(
        [str(optic), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "OPTIC_TELEMETRY_LEVEL": "none"},
    )
    return completed.stdout.strip() or "unknown"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def render_comparison(
    cases: list[CorpusCase],
    ours: list[ToolVerdict],
    ours_score: Score,
    optic: list[ToolVerdict],
    optic_score: Score,
    version: str,
    seconds: float,
) -> str:
    """The Markdown of the comparison section: the scores, then one row per case."""
    lines = [
        f"Written by `python -m livepeer_gateway_bench.optic_compare` with Optic {version};"
        f" {len(cases)} cases, {seconds:.0f} s in all.",
        "",
        "Breaking is the positive class: precision is the share of cases a tool called breaking"
        " that are labelled breaking, recall the share of breaking cases it called breaking."
        " Findings are scored as (severity, JSON pointer) pairs; Optic names no pointer in"
        " our sense, so it gets verdict scores only.",
        "",
        "| tool | breaking precision | breaking recall | findings precision | findings recall |",
        "| --- | --- | --- | --- | --- |",
        f"| livepeer-spec-compat | {_pct(ours_score.verdict_precision)} |"
        f" {_pct(ours_score.verdict_recall)} | {_pct(ours_score.finding_precision)} |"
        f" {_pct(ours_score.finding_recall)} |",
        f"| Optic {version} (`optic diff --check`) | {_pct(optic_score.verdict_precision)} |"
        f" {_pct(optic_score.verdict_recall)} | n/a | n/a |",
        "",
        "| case | labelled | ours | Optic | Optic's failed rules |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case, mine, theirs in zip(cases, ours, optic, strict=True):
        agree = "" if (theirs.verdict == "breaking") == (case.verdict == "breaking") else " ✗"
        lines.append(
            f"| `{case.name}` | {case.verdict} | {mine.verdict} | {theirs.verdict}{agree} |"
            f" {theirs.detail.replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def write_section(report: Path, section: str) -> None:
    """Replace the text between the comparison markers of `report` with `section`."""
    text = report.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{report} has no {BEGIN} ... {END} markers")
    report.write_text(text[: start + len(BEGIN)] + "\n" + section + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Score both tools over the corpus, print the table, and rewrite the comparison section."""
    parser = OneLineParser(
        prog="python -m livepeer_gateway_bench.optic_compare", description=__doc__
    )
    parser.add_argument("--optic", type=Path, default=Path(os.environ.get("OPTIC", DEFAULT_OPTIC)))
    parser.add_argument("--output", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    if not args.optic.exists():
        print(
            f"compat_compare: Optic not found at {args.optic} (see docs/compat.md)", file=sys.stderr
        )
        return 2

    cases = load_cases()
    spec = load_spec(DEFAULT_SPEC_PATH)
    started = time.perf_counter()
    ours: list[ToolVerdict] = []
    our_findings = []
    optic: list[ToolVerdict] = []
    with tempfile.TemporaryDirectory(prefix="compat-compare-") as scratch:
        for case in cases:
            old, new = case.documents(spec)
            verdict, comparison = ours_verdict(old, new)
            ours.append(verdict)
            our_findings.append(
                frozenset((str(f.severity), f.pointer) for f in comparison.findings)
            )
            optic.append(optic_verdict(args.optic, old, new, Path(scratch)))
            print(
                f"{case.name:<45} labelled {case.verdict:<10} ours {verdict.verdict:<10}"
                f" optic {optic[-1].verdict}",
                flush=True,
            )
    seconds = time.perf_counter() - started
    section = render_comparison(
        cases,
        ours,
        score(cases, [v.verdict for v in ours], our_findings),
        optic,
        score(cases, [v.verdict for v in optic]),
        _optic_version(args.optic),
        seconds,
    )
    print(section)
    write_section(args.output, section)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

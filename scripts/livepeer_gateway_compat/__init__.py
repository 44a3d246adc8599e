"""Breaking-change detection between two versions of the spec, for clients and for gateways.

Exit status: 0 compatible (behaviour changes are listed but do not fail), 1 breaking, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from livepeer_gateway_spec import SPEC_ENV, SpecError
from livepeer_gateway_spec.cli import OneLineParser

from livepeer_gateway_compat.errors import (
    CompatError,
    ReportNotWritten,
    VersionNotFound,
    exit_status,
)
from livepeer_gateway_compat.findings import (
    WHERE,
    Comparison,
    Finding,
    SourceLocation,
    compare,
    compare_versions,
)
from livepeer_gateway_compat.load import DEFAULT_SPEC_IN_REPO, SpecVersion, load_version
from livepeer_gateway_compat.render import RENDERERS, render_markdown
from livepeer_gateway_compat.rules import Severity

__all__ = [
    "CompatError",
    "Comparison",
    "Finding",
    "ReportNotWritten",
    "Severity",
    "SourceLocation",
    "SpecError",
    "SpecVersion",
    "VersionNotFound",
    "WHERE",
    "compare",
    "compare_versions",
    "load_version",
    "main",
]

EXIT_COMPATIBLE, EXIT_BREAKING = 0, 1


def main(argv: list[str] | None = None) -> int:
    """Compare OLD and NEW, print the findings, and return the exit status."""
    parser = OneLineParser(
        prog="livepeer-spec-compat",
        description="Classify every difference between two versions of openapi.yaml.",
        epilog="exit status: 0 compatible, 1 breaking, 2 bad input",
    )
    parser.add_argument(
        "old", help="old spec: a file, a git ref (spec at openapi.yaml) or REF:path"
    )
    parser.add_argument(
        "new",
        nargs="?",
        default=None,
        help="new spec (same forms; default $LIVEPEER_OPENAPI or openapi.yaml)",
    )
    parser.add_argument(
        "--format",
        choices=tuple(RENDERERS),
        default="text",
        help="report format: text, markdown, json, or github (annotations for a pull request)",
    )
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--summary", type=Path, help="append the Markdown report here (e.g. $GITHUB_STEP_SUMMARY)"
    )
    args = parser.parse_args(argv)
    args.new = args.new or os.environ.get(SPEC_ENV) or DEFAULT_SPEC_IN_REPO

    try:
        return _run(args)
    except (SpecError, CompatError) as exc:
        print(f"livepeer-spec-compat: {exc}", file=sys.stderr)
        return exit_status(exc)


def _run(args: argparse.Namespace) -> int:
    """Load, compare, report; errors are raised for `main` to map to an exit status."""
    comparison = compare_versions(load_version(args.old), load_version(args.new))
    report = RENDERERS[args.format](comparison)
    print(report, end="")
    try:
        if args.output is not None:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(report, encoding="utf-8")
        if args.summary is not None:
            args.summary.parent.mkdir(parents=True, exist_ok=True)
            with args.summary.open("a", encoding="utf-8") as summary:
                summary.write(render_markdown(comparison))
    except OSError as exc:
        raise ReportNotWritten(f"cannot write report: {exc}") from None
    return EXIT_BREAKING if comparison.breaking else EXIT_COMPATIBLE

"""Known findings a run accepts, by bug, so that CI fails only on new ones.

A baseline names bugs (operation and bug, e.g. `500 Server error on loras`), not checks: a new
bug under a check the baseline already knows still fails the run.
"""

from __future__ import annotations

import json
from pathlib import Path

from livepeer_conformance.bounded import AnswerOutOfBounds, parse_json
from livepeer_conformance.errors import BaselineError
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import Finding

BASELINE_VERSION = 3
#: The largest baseline read: thousands of bugs fit in far less.
MAX_BASELINE_BYTES = 8 * 2**20

BugKey = tuple[str, str]


def load_baseline(path: Path) -> frozenset[BugKey]:
    """The (operation, bug) pairs recorded in the baseline at `path`, read within
    `MAX_BASELINE_BYTES` and the JSON nesting limit of answers."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BASELINE_BYTES + 1)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BASELINE_BYTES:
        raise BaselineError(f"baseline {path} is larger than {MAX_BASELINE_BYTES} bytes")
    try:
        document = parse_json(data)
    except AnswerOutOfBounds as exc:
        raise BaselineError(f"baseline {path}: {exc}") from None
    if document is None:
        raise BaselineError(f"baseline {path} is not JSON")
    if isinstance(document, dict) and document.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"baseline {path} is version {document.get('version')!r}, not {BASELINE_VERSION} "
            "(one entry per bug): write it again with --write-baseline"
        )
    entries = document.get("departures") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and all(isinstance(e.get(k), str) for k in ("operation", "bug"))
        for e in entries
    ):
        raise BaselineError(f"baseline {path} has no list of departures with operation and bug")
    return frozenset((e["operation"], e["bug"]) for e in entries)


def split_by_baseline(
    departures: list[Finding], known: frozenset[BugKey]
) -> tuple[list[Finding], list[Finding]]:
    """(new, accepted): findings whose bug is not in the baseline, and those it accepts."""
    new = [d for d in departures if d.key not in known]
    accepted = [d for d in departures if d.key in known]
    return new, accepted


def write_baseline(path: Path, departures: list[Finding], secrets: tuple[str, ...] = ()) -> None:
    """Record `departures` as the baseline at `path`, the secrets redacted."""
    entries = [
        {
            "operation": d.operation,
            "bug": redact(d.bug, secrets),
            "checks": d.checks,
            "title": redact(d.title, secrets),
        }
        for d in departures
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"version": BASELINE_VERSION, "departures": entries}, indent=2) + "\n", "utf-8"
    )

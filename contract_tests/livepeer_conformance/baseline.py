"""Known departures a run accepts, so that CI fails only on new ones."""

from __future__ import annotations

import json
from pathlib import Path

from livepeer_conformance.results import Departure

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not a baseline; the message says why in one line."""


def load_baseline(path: Path) -> frozenset[tuple[str, str]]:
    """The (operation, check) pairs recorded in the baseline at `path`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise BaselineError(f"baseline {path} is not JSON") from None
    entries = document.get("departures") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("operation"), str)
        and isinstance(e.get("check"), str)
        for e in entries
    ):
        raise BaselineError(f"baseline {path} has no list of departures with operation and check")
    return frozenset((e["operation"], e["check"]) for e in entries)


def split_by_baseline(
    departures: list[Departure], known: frozenset[tuple[str, str]]
) -> tuple[list[Departure], list[Departure]]:
    """(new, accepted): departures not in the baseline, and those it accepts."""
    new = [d for d in departures if d.key not in known]
    accepted = [d for d in departures if d.key in known]
    return new, accepted


def write_baseline(path: Path, departures: list[Departure]) -> None:
    """Record `departures` as the baseline at `path`."""
    entries = [{"operation": d.operation, "check": d.check, "title": d.title} for d in departures]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"version": BASELINE_VERSION, "departures": entries}, indent=2) + "\n", "utf-8"
    )

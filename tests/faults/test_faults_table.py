"""`make faults` renders misses, false positives and first detections as they were reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from livepeer_conformance.config import DEFAULT_MAX_REQUESTS
from livepeer_gateway_bench.fault_table import (
    Outcome,
    SuiteRun,
    budget_rows,
    budget_table,
    document,
    summarize,
    terminal_table,
)


def _departure(check: str, requests: int, seconds: float) -> dict[str, object]:
    return {
        "operation": "POST /upscale",
        "check": check,
        "requests_to_first_detection": requests,
        "seconds_to_first_detection": seconds,
    }


def _outcomes() -> list[Outcome]:
    caught = Outcome(
        SuiteRun("upscale_not_4x", 1),
        1,
        (
            _departure("not_a_server_error", 5, 0.4),  # not the fault's check: never "first"
            _departure("upscale_is_four_times_input", 333, 2.8),
        ),
        347,
        4.0,
    )
    # Exit 1, but for a check the fault does not name: not a detection.
    missed = Outcome(
        SuiteRun("size_ignored", 1), 1, (_departure("not_a_server_error", 9, 0.5),), 347, 4.0
    )
    quiet = Outcome(SuiteRun(None, 1), 0, (), 347, 4.0)
    flagged = Outcome(SuiteRun(None, 2), 1, (_departure("ignored_auth", 3, 0.3),), 347, 4.0)
    return [caught, missed, quiet, flagged]


def test_first_detection_is_the_earliest_expected_check() -> None:
    caught, missed, *_ = _outcomes()
    first = caught.first_detection()
    assert first is not None and (first.check, first.requests) == (
        "upscale_is_four_times_input",
        333,
    )
    assert caught.detected
    assert not missed.detected and missed.first_detection() is None


def test_totals_count_misses_and_false_positives() -> None:
    summary = summarize(_outcomes(), wall_seconds=12.0)
    assert (summary.detected, len(summary.faults)) == (1, 2)
    assert (summary.false_positives, len(summary.clean)) == (1, 2)
    assert summary.median_requests() == 333
    text = terminal_table(summary)
    assert "Detected 1/2" in text and "false positives 1/2" in text
    markdown = document(summary)
    assert "| `size_ignored` | semantics | **no** |" in markdown
    assert "| `upscale_not_4x` | semantics | yes | `upscale_is_four_times_input`" in markdown


def test_wrong_argument_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "faults.md"
    result = subprocess.run(
        [sys.executable, "-m", "livepeer_gateway_bench.fault_table", "--output", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no directory" in result.stderr
    assert not missing.parent.exists()


def test_budget_table_counts_detection_and_median_per_budget() -> None:
    caught, missed, *_ = _outcomes()
    small = [
        Outcome(SuiteRun("upscale_not_4x", 1, 30), 3, (), 30, 1.0),  # incomplete: not detected
        Outcome(
            SuiteRun("size_ignored", 1, 30),
            1,
            (_departure("text_to_image_has_requested_size", 17, 0.4),),
            30,
            1.0,
        ),
    ]
    rows = budget_rows(small, summarize([caught, missed], 1.0))
    assert [(r.budget, r.detected, r.faults, r.median_requests) for r in rows] == [
        (30, 1, 2, 17),
        (DEFAULT_MAX_REQUESTS, 1, 2, 333),
    ]
    table = budget_table(rows)
    assert "| 30 | 1/2 | 50% | 17 |" in table
    assert "## Detection against the budget" in document(summarize([caught, missed], 1.0), rows)


def test_budgets_must_be_integers(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livepeer_gateway_bench.fault_table", "--budgets", "30,lots"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--budgets" in result.stderr

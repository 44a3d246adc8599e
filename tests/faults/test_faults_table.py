"""`make faults` renders misses, false positives and first detections as they were reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from livepeer_conformance.config import DEFAULT_MAX_REQUESTS
from livepeer_gateway_bench import detection_budget, forked
from livepeer_gateway_bench.detection_budget import PlainRun, plain_run, read_plain
from livepeer_gateway_bench.fault_table import (
    Outcome,
    SuiteRun,
    document,
    progress_line,
    summarize,
    terminal_table,
)
from livepeer_gateway_bench.plot import detection_plot
from PIL import Image


def _departure(check: str, requests: int, seconds: float) -> dict[str, object]:
    """A finding of the JSON report whose answers failed `check` alone."""
    return {
        "operation": "POST /upscale",
        "check": check,
        "checks": [{"check": check}],
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


def test_progress_lines_name_the_fault_the_budget_and_the_outcome() -> None:
    lines = [progress_line(o, i + 1, 4) for i, o in enumerate(_outcomes())]
    assert lines[0] == (
        "[1/4] fault upscale_not_4x, budget 500: detected by upscale_is_four_times_input at "
        "request 333 (4.0 s)"
    )
    assert lines[1].startswith("[2/4] fault size_ignored, budget 500: NOT detected")
    assert lines[2].startswith("[3/4] clean gateway (seed 1), budget 500: quiet")
    assert "FLAGGED by ignored_auth" in lines[3]
    cheap = Outcome(SuiteRun("upscale_not_4x", 1, 30), 3, (), 30, 1.0)
    assert ", budget 30: NOT detected" in progress_line(cheap, 1, 1)


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


def test_budget_rows_count_both_tools_at_each_budget() -> None:
    """The suite's runs at each budget (none: the default) and schemathesis's single run cut at
    each budget give the rows; misses and false departures are counted, not hidden."""
    caught, missed, quiet, _ = _outcomes()
    small = [
        Outcome(SuiteRun("upscale_not_4x", 1, 30), 3, (), 30, 1.0),  # incomplete: not detected
        Outcome(
            SuiteRun("size_ignored", 1, 30),
            1,
            (_departure("text_to_image_has_requested_size", 17, 0.4),),
            30,
            1.0,
        ),
        Outcome(SuiteRun(None, 1, 30), 3, (), 30, 1.0),
    ]
    plain = {
        "upscale_not_4x": PlainRun(300, {"not_a_server_error": 4}),  # not the fault's check
        "size_ignored": PlainRun(300, {}),
        None: PlainRun(280, {"positive_data_acceptance": 40}),
    }
    names = ["upscale_not_4x", "size_ignored"]
    table = detection_budget.rows(
        [caught, missed, quiet, *small], plain, names, [30, DEFAULT_MAX_REQUESTS]
    )
    assert [(r.budget, r.suite_detected, r.suite_median, r.suite_missed) for r in table] == [
        (30, 1, 17, ("upscale_not_4x",)),
        (DEFAULT_MAX_REQUESTS, 1, 333, ("size_ignored",)),
    ]
    assert [(r.plain_detected, r.plain_false, r.plain_spent) for r in table] == [
        (0, 0, 30),
        (0, 1, 280),
    ]
    text = detection_budget.markdown(detection_budget.Comparison(table, 2, 1, 3.0, 4.0, 5))
    assert "| 30 | 1/2 (50%) | 17 | 30, 0 | 0/2 (0%) | — | 30, 0 |" in text
    assert "30: `upscale_not_4x`" in text
    page = document(summarize([caught, missed], 1.0), text)
    assert "## Detection against the budget" in page and "detection-vs-budget.png" in page


def test_plain_schemathesis_runs_are_read_request_by_request(tmp_path: Path) -> None:
    """A real schemathesis run, in a forked child, against a gateway with a response-shape
    fault: its HAR and NDJSON give the request at which the expected check first failed."""
    runs = [
        (plain_run, ("media_field_missing", tmp_path / "fault")),
        (plain_run, (None, tmp_path / "clean")),
    ]
    forked.run_all(runs, workers=2, timeout=120)
    fault, clean = read_plain(tmp_path / "fault"), read_plain(tmp_path / "clean")
    first = fault.first_detection(frozenset({"response_schema_conformance"}))
    assert first is not None and 1 <= first <= fault.requests
    assert clean.requests > 100 and "response_schema_conformance" not in clean.first_failure


def test_the_plot_is_a_png_with_both_curves(tmp_path: Path) -> None:
    output = detection_plot(
        {"suite": [(30, 0.8), (500, 1.0)], "schemathesis": [(30, 0.5), (500, 0.6)]},
        "detected",
        tmp_path / "plot.png",
    )
    with Image.open(output) as image:
        assert image.format == "PNG" and image.size == (700, 420)


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

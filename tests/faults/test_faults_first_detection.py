"""Each departure in the JSON report says how many requests and seconds its first detection took."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from livepeer_conformance.cli import main
from livepeer_conformance.report import JSON_FILE
from livepeer_conformance.results import Moment, RunResults
from livepeer_conformance.schedule import GUARANTEED, REACHABILITY


def test_a_finding_keeps_its_earliest_moment() -> None:
    moments = iter([Moment(9, 1.5), Moment(12, 2.0)])
    results = RunResults(clock=lambda: next(moments))
    results.record_failure("POST /upscale", "not_a_server_error", "title", "late", "curl ...")
    # A scenario reported after the fact brings a failure seen before the one already recorded.
    results.record_failure(
        "POST /upscale", "not_a_server_error", "title", "early", "curl ...", Moment(4, 0.5)
    )
    results.record_failure("POST /upscale", "status_code_conformance", "title", "later", "curl ...")
    by_check = {finding.check: finding for finding in results.sorted_findings()}
    first, second = by_check["not_a_server_error"], by_check["status_code_conformance"]
    assert (first.count, first.first_seen) == (2, Moment(4, 0.5))
    assert first.reason == "late"  # the example stays the first one recorded
    assert second.first_seen == Moment(12, 2.0)
    assert first.to_dict()["requests_to_first_detection"] == 4
    assert first.to_dict()["seconds_to_first_detection"] == 0.5


def _report(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / JSON_FILE).read_text(encoding="utf-8"))


def test_report_places_each_first_detection_within_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every success is answered 201, and so is the first request of the spec phase.
    code = main(
        [
            *("run", "--report-dir", str(tmp_path), "--seed", "3"),
            *("--max-requests", "60", "--max-examples", "2"),
            *("--fault", "undeclared_success_status"),
        ]
    )
    capsys.readouterr()
    assert code == 1
    report = _report(tmp_path)
    departures = report["departures"]
    assert isinstance(departures, list) and departures
    for departure in departures:
        assert 1 < departure["requests_to_first_detection"] <= report["requests_sent"]
        assert 0 < departure["seconds_to_first_detection"] <= report["elapsed_seconds"]
    # Request 1 is the reachability probe; request 2, the first credentials check, is judged
    # like every answer (its status among them), and is where the 201 is first seen.
    first = min(d["requests_to_first_detection"] for d in departures)
    assert first == 2 <= _guaranteed(report)
    assert {d["check"] for d in departures if d["requests_to_first_detection"] == 2} == {
        "status_code_conformance"
    }


def _guaranteed(report: dict[str, Any]) -> int:
    """Requests the schedule sends before the spec phase, whatever the budget."""
    first = (REACHABILITY, *GUARANTEED)
    return sum(row["planned"] for row in report["schedule"] if row["phase"] in first)


def test_property_phase_failures_are_found_before_the_spec_phase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only the property phase sees the ignored image count; its first requests are among the
    # schedule's guaranteed ones, before the spec phase spends anything.
    code = main(
        [
            *("run", "--report-dir", str(tmp_path), "--seed", "3"),
            *("--max-requests", "60", "--max-examples", "2"),
            *("--fault", "images_per_prompt_ignored"),
        ]
    )
    capsys.readouterr()
    assert code == 1
    report = _report(tmp_path)
    departures = {d["check"]: d for d in report["departures"]}
    first = departures["images_count_matches_request"]["requests_to_first_detection"]
    assert first <= _guaranteed(report)

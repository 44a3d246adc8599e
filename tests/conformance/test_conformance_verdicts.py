"""The suite's verdict on the embedded reference gateway, clean and with one fault switched on."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from livepeer_reference_gateway.faults import FAULTS


def test_clean_reference_gateway_conforms(
    run_cli: Callable[..., Any], small_budget: tuple[str, ...]
) -> None:
    """The embedded default passes: exit 0, no departure, and every kind of check ran."""
    result = run_cli(*small_budget)
    assert result.code == 0, result.stdout
    report = result.report()
    assert report["conforms"] is True
    assert report["departures"] == []
    checks_run = {entry["check"] for entry in report["checks"]}
    assert {
        "not_a_server_error",
        "response_schema_conformance",
        "negative_data_rejection",
    } <= checks_run
    assert {"images_count_matches_request", "upscale_is_four_times_input"} <= checks_run
    assert "conforms" in result.stdout


@pytest.mark.parametrize(
    ("fault", "check", "extra"),
    [
        ("media_field_missing", "response_schema_conformance", ("--profile", "core")),
        ("auth_not_enforced", "ignored_auth", ("--profile", "core")),
        (
            "images_per_prompt_ignored",
            "images_count_matches_request",
            ("--operation", "textToImage"),
        ),
        (
            "upscale_not_4x",
            "upscale_is_four_times_input",
            ("--operation", "upscale"),
        ),
        ("server_error_on_bad_image", "not_a_server_error", ("--operation", "imageToImage")),
        ("slow_response", "responds_within_timeout", ("--timeout", "1")),
    ],
)
def test_fault_is_reported_under_its_check(
    run_cli: Callable[..., Any],
    small_budget: tuple[str, ...],
    fault: str,
    check: str,
    extra: tuple[str, ...],
) -> None:
    """A gateway with one fault gives exit 1 and names the check the fault catalogue expects."""
    assert check in FAULTS[fault].detected_by
    result = run_cli(*small_budget, "--fault", fault, *extra)
    assert result.code == 1, result.stdout
    assert check in result.failed_checks()
    assert f"\n  failed {check} (" in result.stdout


def test_reports_name_each_departure(
    run_cli: Callable[..., Any], small_budget: tuple[str, ...]
) -> None:
    """JUnit XML, Markdown and JSON all carry the departure with a reproducer."""
    result = run_cli(
        *small_budget, "--operation", "textToImage", "--fault", "images_per_prompt_ignored"
    )
    assert result.code == 1
    junit = ET.parse(result.report_dir / "conformance.junit.xml").getroot()
    # A failed check is one test case per finding (`check · bug`), each with its one failure.
    failing = [case for case in junit.iter("testcase") if case.find("failure") is not None]
    assert all(len(case.findall("failure")) == 1 for case in failing)
    failed = {(case.get("classname"), case.get("name").split(" · ")[0]) for case in failing}
    assert ("POST /text-to-image", "images_count_matches_request") in failed
    markdown = (result.report_dir / "conformance.md").read_text(encoding="utf-8")
    assert "| `POST /text-to-image` |" in markdown
    assert "| `images_count_matches_request` | documented |" in markdown
    departure = next(
        d for d in result.report()["departures"] if d["check"] == "images_count_matches_request"
    )
    report_dir = shlex.quote(str(result.report_dir.resolve()))
    assert departure["reproducer"].startswith(
        f'cd {report_dir} && curl -sS -X POST "$LIVEPEER_GATEWAY_URL/text-to-image"'
    )
    assert '"Authorization: Bearer $LIVEPEER_GATEWAY_TOKEN"' in departure["reproducer"]
    assert departure["count"] >= 1 and "\n" not in departure["reason"]
    # The embedded gateway stopped with the run: the report says how to start the same one.
    assert "make serve ARGS='--fault images_per_prompt_ignored'" in result.stdout
    assert "make serve ARGS='--fault images_per_prompt_ignored'" in result.report()["replay"]
    # The embedded gateway's port died with it: the URL to replay against is `make serve`'s.
    assert "export LIVEPEER_GATEWAY_URL=http://127.0.0.1:8000" in result.report()["replay"]


def test_same_check_on_same_operation_is_one_departure(
    run_cli: Callable[..., Any], small_budget: tuple[str, ...]
) -> None:
    """Many failing requests of one check on one operation collapse into one counted departure."""
    result = run_cli(*small_budget, "--profile", "core", "--fault", "auth_not_enforced")
    ignored = [d for d in result.report()["departures"] if d["check"] == "ignored_auth"]
    assert ignored and max(d["count"] for d in ignored) > 1


def test_budget_stops_the_run_and_says_what_it_missed(run_cli: Callable[..., Any]) -> None:
    """A budget smaller than the spec phase needs is respected and listed as not covered."""
    result = run_cli("--max-requests", "30", "--seed", "3")
    report = result.report()
    assert report["requests_sent"] <= 30
    assert any("budget" in note for note in report["notes"])
    # A run that did not check everything never conforms: it is incomplete (exit 3).
    assert result.code == 3 and report["outcome"] == "incomplete"
    assert report["not_covered"] and all(n["why"] for n in report["not_covered"])
    # The edge probes count in the budget too: those left unsent are not covered.
    assert any(n["check"] == "edge probes" for n in report["not_covered"])
    assert "not covered:" in result.stdout


@pytest.mark.slow
def test_baseline_accepts_known_departures(
    run_cli: Callable[..., Any], small_budget: tuple[str, ...], tmp_path: Path
) -> None:
    """`--write-baseline` then `--baseline` on the same faulty gateway turns exit 1 into exit 0."""
    baseline = tmp_path / "baseline.json"
    args = (*small_budget, "--operation", "textToImage", "--fault", "images_per_prompt_ignored")
    first = run_cli(*args, "--write-baseline", str(baseline))
    assert first.code == 1 and baseline.exists()
    # With one image per answer, no batch ever shows distinct seeds: that check is left out.
    second = run_cli(
        *args, "--baseline", str(baseline), "--exclude-check", "seeds_distinct_without_seed"
    )
    assert second.code == 0, second.stdout
    assert second.report()["accepted_by_baseline"]
    assert "accepted by baseline" in second.stdout
    third = run_cli(
        *small_budget,
        "--operation",
        "upscale",
        "--fault",
        "upscale_not_4x",
        "--profile",
        "strict",
        "--baseline",
        str(baseline),
    )
    assert third.code == 1
    assert "upscale_is_four_times_input" in third.failed_checks()


def test_http_media_urls_conform_at_the_default_budget(run_cli: Callable[..., Any]) -> None:
    """The reference gateway answering with http media URLs (`--media-urls http`) conforms at
    the default request budget: each URL is fetched and decoded outside that budget."""
    result = run_cli("--media-urls", "http", "--seed", "7")
    assert result.code == 0, result.stdout
    report = result.report()
    checks = {(c["operation"], c["check"]): c for c in report["checks"]}
    for operation in ("POST /text-to-image", "POST /image-to-image", "POST /upscale"):
        assert checks[(operation, "urls_fetch_and_decode")]["passed"] > 0
        assert report["media"]["fetched"][operation] > 0
    assert report["media"]["bound_reached"] == ""
    assert report["requests_sent"] <= report["request_budget"]
    assert report["requests_sent"] == sum(row["spent"] for row in report["schedule"])


def test_causes_are_kept_apart_and_baselines_match_causes(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Two faults under one check are two or more causes; a baseline of one accepts only it."""
    core = ("--profile", "core", "--max-requests", "150", "--seed", "7")
    core += ("--operation", "imageToImage")
    baseline = tmp_path / "baseline.json"
    first = run_cli(*core, "--fault", "accepts_missing_prompt", "--write-baseline", str(baseline))
    assert first.code == 1
    second = run_cli(
        *core,
        *("--fault", "accepts_missing_prompt", "--fault", "accepts_out_of_range"),
        *("--baseline", str(baseline)),
    )
    assert second.code == 1, second.stdout
    report = second.report()
    accepted = {d["cause"] for d in report["accepted_by_baseline"]}
    new = {d["cause"] for d in report["departures"]}
    assert any("prompt.required" in cause for cause in accepted)
    # Out-of-range strength breaks a documented bound; the other bounds are advisories.
    assert any("strength." in cause for cause in new)
    assert all(d["check"] == "negative_data_rejection" for d in report["departures"])
    for departure in report["departures"]:
        assert departure["evidence"]["status_line"].startswith("HTTP/1.1 200")
        assert departure["requests_to_first_detection"] > 0

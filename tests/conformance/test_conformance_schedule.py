"""The schedule: whatever the budget, every operation first gets its valid example and its refusal
probes, round-robin; the reports show what was planned and spent where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from livepeer_conformance.schedule import (
    CREDENTIALS,
    EDGE_PROBES,
    FIRST_PROPERTIES,
    PROPERTIES,
    REFUSAL_PROBES,
    SPEC_CHECKS,
    plan,
)

OPERATIONS = ("POST /a", "POST /b", "POST /c")
DEMAND = {
    op: {CREDENTIALS: 1, REFUSAL_PROBES: 4, FIRST_PROPERTIES: 2, EDGE_PROBES: 30, PROPERTIES: 10}
    for op in OPERATIONS
}


@pytest.mark.parametrize("budget", [1, 4, 7, 12, 30, 60, 120, 500])
def test_plan_serves_every_operation_round_robin_within_the_budget(budget: int) -> None:
    schedule = plan(budget, DEMAND)
    assert schedule.total() <= budget
    credentials = [schedule.planned[op].get(CREDENTIALS, 0) for op in OPERATIONS]
    refusals = [schedule.planned[op].get(REFUSAL_PROBES, 0) for op in OPERATIONS]
    # Round-robin: no operation is two requests ahead of another in a guaranteed phase.
    assert max(credentials) - min(credentials) <= 1
    assert max(refusals) - min(refusals) <= 1
    if budget >= 1 + len(OPERATIONS) * 2:
        assert min(credentials) == 1 and min(refusals) >= 1
    if budget >= 60:
        assert all(schedule.planned[op].get(SPEC_CHECKS, 0) > 0 for op in OPERATIONS)
        assert schedule.total() == budget


def test_thirty_requests_reach_every_operation_and_are_incomplete(
    run_cli: Callable[..., Any],
) -> None:
    """30 requests: each operation's valid example and at least one refusal probe, judged;
    the budget cannot reach every check, so the outcome is incomplete."""
    result = run_cli("--max-requests", "30", "--seed", "5")
    report = result.report()
    assert (result.code, report["outcome"]) == (3, "incomplete")
    spent = {(row["operation"], row["phase"]): row["spent"] for row in report["schedule"]}
    operations = {c["operation"] for c in report["checks"]}
    assert len(operations) == 3
    for operation in operations:
        assert spent[(operation, CREDENTIALS)] == 1
        assert spent[(operation, REFUSAL_PROBES)] >= 1
    refusals_judged = {
        c["operation"] for c in report["checks"] if c["check"] == "negative_data_rejection"
    }
    assert refusals_judged == operations
    assert sum(row["spent"] for row in report["schedule"]) <= 30
    assert "| refusal probes |" in (result.report_dir / "conformance.md").read_text()


@pytest.mark.parametrize(
    "fault",
    ["accepts_missing_prompt", "server_error_on_missing_field", "server_error_on_bad_image"],
)
def test_refusal_faults_are_found_with_thirty_requests(
    run_cli: Callable[..., Any], fault: str
) -> None:
    result = run_cli("--max-requests", "30", "--seed", "5", "--fault", fault)
    assert (result.code, result.report()["outcome"]) == (1, "departures"), result.stdout


def test_dry_run_sends_nothing_and_bounds_what_a_run_spends(run_cli: Callable[..., Any]) -> None:
    """The plan needs no gateway (nothing listens on port 9); the real run with the same options
    spends the planned requests and no more GPU work than the estimate."""
    options = ("--max-requests", "60", "--seed", "5")
    planned = run_cli("--base-url", "http://127.0.0.1:9", "--dry-run", *options)
    assert planned.code == 0, planned.stderr
    assert not planned.report_dir.exists()
    lines = planned.stdout.splitlines()
    assert "requests planned: 60" in lines
    (total,) = [line for line in lines if line.startswith("GPU work, at most: ")]
    (worst,) = [line for line in lines if line.startswith("worst single request: ")]
    estimate = int(total.split(": ")[1].split()[0].replace(",", ""))
    assert int(worst.split(": ")[1].split(", POST")[0].replace(",", "")) > 0
    rows = [line.split() for line in lines if line.startswith("POST /")]
    assert {row[1] for row in rows} >= {"/text-to-image", "/image-to-image", "/upscale"}

    result = run_cli(*options)
    report = result.report()
    assert 0 < report["gpu_work_spent"] <= estimate
    assert "GPU work of the accepted requests" in (result.report_dir / "conformance.md").read_text()

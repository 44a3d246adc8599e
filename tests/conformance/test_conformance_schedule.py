"""The schedule: whatever the budget, every operation first gets its valid example and its refusal
probes, round-robin; the reports show what was planned and spent where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.answer_conformance import CONTENT_TYPE, RESPONSE_SCHEMA, STATUS_CODE
from livepeer_conformance.config import RunConfig
from livepeer_conformance.plan import GUARANTEED_EXTREMES, plan_run
from livepeer_conformance.plan_edges import IGNORED_AUTH, interleave, probes_for
from livepeer_conformance.planned import MISSING_REQUIRED
from livepeer_conformance.results import (
    GATEWAY_AVAILABLE,
    Moment,
    RunResults,
    too_often_unavailable,
)
from livepeer_conformance.runner import demand_of, judge_availability
from livepeer_conformance.schedule import (
    CREDENTIALS,
    EDGE_PROBES,
    FIELD_PROBES,
    FIRST_PROPERTIES,
    PROPERTIES,
    REFUSAL_PROBES,
    SPEC_CHECKS,
    plan,
)
from livepeer_gateway_spec import spec_path
from livepeer_reference_gateway import FAULTS

#: The spec core's view of each operation, by path.
OPS = spec.served_operations(spec.load_spec(spec.spec_path()))

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
    for check in ("negative_data_rejection", IGNORED_AUTH, STATUS_CODE, CONTENT_TYPE):
        judged = {c["operation"] for c in report["checks"] if c["check"] == check and c["passed"]}
        assert judged == operations, check
    # The valid examples' answers are held to the response schema, whatever phase sent them.
    schema_judged = {c["operation"] for c in report["checks"] if c["check"] == RESPONSE_SCHEMA}
    assert schema_judged == operations
    assert sum(row["spent"] for row in report["schedule"]) <= 30
    assert "| refusal probes |" in (result.report_dir / "conformance.md").read_text()


def test_sixty_requests_probe_every_required_field_and_the_cheap_extremes() -> None:
    """Within 60 requests each operation is sent a request without each of its required fields
    and one at the most steps and the largest batch, all at the smallest size; within 30, each
    operation still gets its first field probe, after its first property requests."""
    config = RunConfig(spec_path=spec_path(), token="t")
    plans = plan_run(config)
    wide = plan(60, demand_of(config, plans))
    narrow = plan(30, demand_of(config, plans))
    assert sum(row.get(FIELD_PROBES, 0) for row in wide.planned.values()) > len(plans)
    for one in plans:
        operation, properties = one.operation, one.operation.properties
        row = wide.planned[operation.label]
        assert row[FIELD_PROBES] == len(one.fields)
        sent = one.refusals[: row[REFUSAL_PROBES]] + one.fields
        missing = {p.rule for p in sent if p.refusal == MISSING_REQUIRED}
        assert missing == {f"{name}.required" for name in operation.schema["required"]}
        extremes = {p.rule for p in sent if p.expect == "accept"}
        assert extremes == {
            rule for rule in GUARANTEED_EXTREMES if rule.split(".")[0] in properties
        }, operation.label
        for probe in one.fields:
            sizes = {k: v for k, v in probe.params.items() if k in ("width", "height")}
            assert sizes == {k: properties[k]["minimum"] for k in sizes}
        assert narrow.planned[operation.label][FIELD_PROBES] >= 1
        assert narrow.planned[operation.label][FIRST_PROPERTIES] == row[FIRST_PROPERTIES]


@pytest.mark.parametrize(
    "fault",
    [
        "accepts_missing_prompt",
        # Found by the field probes: the upload left out, the most steps.
        "server_error_on_missing_upload",
        "server_error_at_most_steps",
        "server_error_on_missing_field",
        "server_error_on_bad_image",
        # Found on the credentials check's and the first properties' answers.
        "media_field_missing",
        "json_as_text_plain",
        # Found by the credentials probes among the refusal classes.
        "auth_not_enforced",
        "any_token_accepted",
        "unauthorized_without_body",
        "unauthorized_without_challenge",
    ],
)
def test_guaranteed_probes_find_their_faults_with_thirty_requests(
    run_cli: Callable[..., Any], fault: str
) -> None:
    result = run_cli("--max-requests", "30", "--seed", "5", "--fault", fault)
    report = result.report()
    assert (result.code, report["outcome"]) == (1, "departures"), result.stdout
    departed = {c["check"] for d in report["departures"] for c in d["checks"]}
    assert departed & FAULTS[fault].detected_by, departed


def test_edge_probes_reach_every_family_before_any_family_twice() -> None:
    """The sending order takes one probe of each family in turn, the telling edges first."""
    config = RunConfig(spec_path=spec_path(), token="t")
    for path, operation in OPS.items():
        probes = probes_for(operation, config)
        families = [p.family for p in probes]
        first_seconds = [i for i, f in enumerate(families) if families[:i].count(f) == 1]
        last_first = max(families.index(f) for f in set(families))
        assert not first_seconds or min(first_seconds) > last_first, (path, families)
        assert interleave(probes) == probes  # already in sending order
        seeds = [p.purpose for p in probes if p.family == "seed"]
        assert not seeds or seeds[0] == "seed=0"
        assert {"no credentials", "a wrong token"} <= {p.purpose for p in probes}


def test_an_open_gateway_gets_no_credentials_probes() -> None:
    config = RunConfig(spec_path=spec_path(), token=None, open_gateway=True)
    for operation in OPS.values():
        assert all(p.family != "auth" for p in probes_for(operation, config))


def test_cost_ceilings_hold_drawn_requests_and_name_the_edges_left_out(
    run_cli: Callable[..., Any],
) -> None:
    """With --max-side/--max-steps/--max-images the plan's worst request is within them; edge
    probes a conforming gateway would serve above them are not sent, so the run is
    incomplete and says which; the work spent stays within the estimate."""
    ceilings = ("--max-side", "64", "--max-steps", "2", "--max-images", "1")
    options = ("--max-requests", "200", "--seed", "5", *ceilings)
    planned = run_cli("--dry-run", *options)
    assert planned.code == 0, planned.stderr
    lines = planned.stdout.splitlines()
    (worst,) = [line for line in lines if line.startswith("worst single request: ")]
    # upscale returns 4x a 64x64 upload at most: 256 x 256 pixels, 2 steps, 1 image.
    assert (
        int(worst.split(": ")[1].split(",  ")[0].split(", ")[0].replace(",", "")) <= 256 * 256 * 2
    )
    (total,) = [line for line in lines if line.startswith("GPU work, at most: ")]
    estimate = int(total.split(": ")[1].split()[0].replace(",", ""))
    result = run_cli(*options)
    report = result.report()
    assert report["outcome"] == "incomplete"
    over = [n for n in report["not_covered"] if "ceilings" in n["why"]]
    assert over and all("(maximum)" in n["why"] for n in over)
    assert 0 < report["gpu_work_spent"] <= estimate


def test_a_ceiling_below_the_spec_minimum_is_a_usage_error(run_console: Any) -> None:
    result = run_console(["run", "--dry-run", "--max-side", "8"])
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "--max-side 8" in lines[0], lines


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
    # The probes sent before the spec phase are listed: upscale's upload left out, its most steps.
    (upscale,) = [line for line in lines if line.startswith("  POST /upscale field probes: ")]
    most = OPS["/upscale"].properties["num_inference_steps"]["maximum"]
    assert upscale.split(": ", 1)[1] == f"no file part; num_inference_steps={most} (maximum)"

    result = run_cli(*options)
    report = result.report()
    assert 0 < report["gpu_work_spent"] <= estimate
    assert "GPU work of the accepted requests" in (result.report_dir / "conformance.md").read_text()


def test_unavailability_is_dated_when_the_503s_pass_their_share() -> None:
    """503 is never a departure on its own: only a share above the recommended one, once
    enough answers came back, dated at the answer that passed it."""
    results = RunResults()
    results.clock = lambda: Moment(sum(results.answered.values()), 0.0)
    statuses = [200, 503, 200, 200, 200, 200, 200, 503, 503, 503]
    for status in statuses:
        results.record_status("POST /a", status)
    assert not too_often_unavailable(1, 7) and too_often_unavailable(3, 8)
    # After 9 answers, 3 are 503 (33%, over a quarter of at least 8): dated at the ninth.
    assert results.unavailable_since["POST /a"].requests == 9
    config = RunConfig(spec_path=spec_path())
    judge_availability(config, results)
    (departure,) = results.sorted_findings()
    assert (departure.check, departure.source.kind) == (GATEWAY_AVAILABLE, "recommended")
    assert departure.first_seen.requests == 9 and "4 of its 10" in departure.reason


@pytest.mark.parametrize(("profile", "code"), [("livepeer", 3), ("strict", 1)])
def test_an_often_unavailable_gateway_is_an_advisory_unless_strict(
    run_cli: Callable[..., Any], profile: str, code: int
) -> None:
    result = run_cli(
        "--max-requests",
        "30",
        "--seed",
        "5",
        "--profile",
        profile,
        "--fault",
        "intermittent_unavailable",
    )
    report = result.report()
    assert result.code == code
    found = report["departures"] if profile == "strict" else report["advisories"]
    assert {d["check"] for d in found} == {GATEWAY_AVAILABLE}
    assert "not_a_server_error" not in {d["check"] for d in report["departures"]}

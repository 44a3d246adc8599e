"""`run --dry-run`: the schedule a run would follow and its GPU work, with no request sent.

The dry run reads the same plan a run sends (`livepeer_conformance.plan`) and builds no HTTP
client. GPU work is output pixels × inference steps × images. The estimate is an upper bound:
every request counts as if the gateway served it. The credentials check, the explicit examples
and the edge probes are fixed requests, counted as planned; a request the spec phase or the
property phase draws counts at the largest it may be (the run's ceilings: `cheap.CHEAP`'s,
`--max-side`, `--max-steps`, `--max-images`, or the spec's maxima with `--allow-large`). Media
fetches count likewise: one per image each answer judged by the properties may point to. The
worst single request is the largest a conforming gateway serves; a probe it must refuse (one step
past a maximum, say) is counted apart, as what it would cost if a gateway served it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from livepeer_gateway_spec import Operation

from livepeer_conformance.bounded import MediaLimits
from livepeer_conformance.config import RunConfig
from livepeer_conformance.gpu_work import work
from livepeer_conformance.plan import media_plan, plan_run
from livepeer_conformance.runner import demand_of
from livepeer_conformance.schedule import (
    FIELD_PROBES,
    PHASES,
    REACHABILITY,
    REFUSAL_PROBES,
    Schedule,
    plan,
)


@dataclass
class Estimate:
    """A run's schedule and its GPU work, per operation × phase, and the worst single request."""

    schedule: Schedule
    work: dict[tuple[str, str], int]
    worst: int
    worst_where: str
    #: The costliest probe a conforming gateway refuses, were it served anyway.
    worst_refused: int = 0
    worst_refused_where: str = ""
    #: (operation, phase) -> what each planned probe of a guaranteed probe phase tries.
    probes: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.work.values())


#: The probe phases whose requests the dry run lists: those sent before the spec phase.
SHOWN_PROBES = (REFUSAL_PROBES, FIELD_PROBES)


def _largest(operation: Operation, config: RunConfig) -> int:
    """GPU work of the largest request the spec or property phase may draw on `operation`."""
    body: dict[str, Any] = {}
    for name in ("width", "height", "num_inference_steps", "num_images_per_prompt"):
        if name in operation.properties:
            schema = operation.properties[name]
            ceiling = config.limits.ceiling(name)
            high = schema.get("maximum", schema.get("default", 1))
            body[name] = min(high, ceiling) if ceiling is not None else high
    side = config.limits.max_upload_side
    return work(operation, body, (side, side))


def estimate(config: RunConfig) -> Estimate:
    """The schedule of a run with `config` and its GPU work, from its plan; nothing is sent."""
    plans = plan_run(config)
    schedule = plan(config.max_requests, demand_of(config, plans))
    media_plan(config, plans, schedule)
    amounts: dict[tuple[str, str], int] = {}
    worst, worst_where = 0, ""
    refused, refused_where = 0, ""
    probes: dict[tuple[str, str], list[str]] = {}
    for one in plans:
        operation = one.operation.label
        row = schedule.planned.get(operation, {})
        largest = _largest(one.operation, config)
        for phase in PHASES:
            planned = row.get(phase, 0)
            if not planned:
                continue
            fixed = one.fixed(phase)[:planned]
            if phase in SHOWN_PROBES:
                probes[(operation, phase)] = [p.purpose for p in fixed]
            # A drawn request (spec phase, drawn properties) counts at the largest it may be.
            costs = [(p.cost, p.expect == "refuse") for p in fixed]
            costs += [(largest, False)] * (planned - len(fixed))
            amounts[(operation, phase)] = sum(cost for cost, _ in costs)
            for cost, must_refuse in costs:
                if must_refuse and cost > refused:
                    refused, refused_where = cost, f"{operation} ({phase})"
                elif not must_refuse and cost > worst:
                    worst, worst_where = cost, f"{operation} ({phase})"
    return Estimate(schedule, amounts, worst, worst_where, refused, refused_where, probes)


def describe(estimate: Estimate, media: MediaLimits) -> str:
    """The plan as a table, then the GPU work and media estimates, for the terminal."""
    schedule = estimate.schedule
    lines = [
        f"plan for {schedule.budget} requests (no request sent):",
        f"{'operation':<24} {'phase':<18} {'requests':>8} {'GPU work':>16} {'media':>6}",
    ]
    for operation, phase, planned in schedule.rows():
        amount = estimate.work.get((operation, phase), 0) if phase != REACHABILITY else 0
        fetches = schedule.media.get(operation, {}).get(phase, 0)
        lines.append(f"{operation:<24} {phase:<18} {planned:>8} {amount:>16,} {fetches:>6}")
    if estimate.probes:
        lines.append("probes sent before the spec phase, in order:")
    for (operation, phase), purposes in estimate.probes.items():
        lines.append(f"  {operation} {phase}: {'; '.join(purposes)}")
    lines += [
        f"requests planned: {schedule.total()}",
        f"media fetches, at most: {schedule.media_total()} if every image is an http(s) URL "
        f"(outside the request budget; bounds: {media.fetches} fetches, {media.total_bytes:,} "
        f"bytes, {media.seconds:g} s)",
        f"GPU work, at most: {estimate.total:,} (output pixels × inference steps × images)",
        f"worst single request: {estimate.worst:,}, {estimate.worst_where}",
    ]
    if estimate.worst_refused > estimate.worst:
        lines.append(
            f"worst probe a conforming gateway refuses, if served anyway: "
            f"{estimate.worst_refused:,}, {estimate.worst_refused_where}"
        )
    return "\n".join(lines)

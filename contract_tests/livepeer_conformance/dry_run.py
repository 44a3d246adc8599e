"""`run --dry-run`: the schedule a run would follow and its GPU work, with no request sent.

GPU work is output pixels × inference steps × images. The estimate is an upper bound: every
request counts as if the gateway served it. The credentials check, the first property requests
and the edge probes are fixed requests, counted as sent; a request the spec phase or the property
phase draws counts at the largest it may be (the run's ceilings: `livepeer_gateway_spec.CHEAP`'s,
`--max-side`, `--max-steps`, `--max-images`, or the spec's maxima with `--allow-large`). The
worst single request is the largest a conforming gateway serves; a probe it must refuse (one step
past a maximum, say) is counted apart, as what it would cost if a gateway served it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import livepeer_gateway_spec as spec

from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.edge_probes import EdgeProber
from livepeer_conformance.gpu_work import work
from livepeer_conformance.property_phase import PropertyRunner, _explicit_examples
from livepeer_conformance.results import RunResults
from livepeer_conformance.runner import demand_of
from livepeer_conformance.schedule import (
    CREDENTIALS,
    EDGE_PROBES,
    FIRST_PROPERTIES,
    PHASES,
    REACHABILITY,
    REFUSAL_PROBES,
    Schedule,
    plan,
)

#: Side of the image the credentials check and the first property requests upload.
FIXED_UPLOAD = (16, 24)
#: Nowhere: the objects that would send requests are built, never used.
NO_GATEWAY = "http://127.0.0.1:9"


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

    @property
    def total(self) -> int:
        return sum(self.work.values())


def _largest(document: dict[str, Any], path: str, config: RunConfig) -> int:
    """GPU work of the largest request the spec or property phase may send on `path`."""
    properties = spec.request_body(document, path)[1].get("properties", {})
    body: dict[str, Any] = {}
    for name in ("width", "height", "num_inference_steps", "num_images_per_prompt"):
        if name in properties:
            ceiling = config.limits.ceiling(name)
            high = properties[name].get("maximum", properties[name].get("default", 1))
            body[name] = min(high, ceiling) if ceiling is not None else high
    side = config.limits.max_upload_side
    return work(document, path, body, (side, side))


def estimate(config: RunConfig) -> Estimate:
    """The schedule of a run with `config` and its GPU work, without sending any request."""
    budget = RequestBudget(config.max_requests)
    results = RunResults()
    base_url = config.base_url or NO_GATEWAY
    properties = PropertyRunner(config, base_url, budget, results, lambda _: None)
    prober = EdgeProber(config, base_url, budget, results, lambda _: None, properties)
    try:
        schedule = plan(config.max_requests, demand_of(config, properties, prober))
        document = properties.document
        amounts: dict[tuple[str, str], int] = {}
        worst, worst_where = 0, ""
        refused, refused_where = 0, ""

        def count(
            operation: str, phase: str, each: list[int], refuse: list[bool] | None = None
        ) -> None:
            nonlocal worst, worst_where, refused, refused_where
            amounts[(operation, phase)] = sum(each)
            for amount, must_refuse in zip(each, refuse or [False] * len(each), strict=True):
                if must_refuse and amount > refused:
                    refused, refused_where = amount, f"{operation} ({phase})"
                elif not must_refuse and amount > worst:
                    worst, worst_where = amount, f"{operation} ({phase})"

        for operation, row in schedule.planned.items():
            if operation not in prober.probes:
                continue
            path, probes = prober.probes[operation]
            upload = FIXED_UPLOAD if probes and probes[-1].image is not None else None
            example = work(document, path, _explicit_examples(document, path, config)[0], upload)
            refusals = prober.refusal_probes(operation)
            rest = [i for i in range(len(probes)) if i not in refusals]

            def probe_work(index: int, path: str = path, probes: list[Any] = probes) -> int:
                image = probes[index].image
                side = (16, 16) if image is not None else None
                return work(document, path, probes[index].params, side)

            largest = _largest(document, path, config)
            for phase in PHASES:
                planned = row.get(phase, 0)
                if not planned:
                    continue
                if phase in (CREDENTIALS, FIRST_PROPERTIES):
                    each = [example] * planned
                elif phase in (REFUSAL_PROBES, EDGE_PROBES):
                    chosen = (refusals if phase == REFUSAL_PROBES else rest)[:planned]
                    each = [probe_work(i) for i in chosen]
                    count(operation, phase, each, [probes[i].expect == "refuse" for i in chosen])
                    continue
                else:
                    each = [largest] * planned
                count(operation, phase, each)
    finally:
        properties.close()
        prober.close()
    return Estimate(schedule, amounts, worst, worst_where, refused, refused_where)


def describe(estimate: Estimate) -> str:
    """The plan as a table, then the GPU work estimate, for the terminal."""
    schedule = estimate.schedule
    lines = [
        f"plan for {schedule.budget} requests (no request sent):",
        f"{'operation':<24} {'phase':<18} {'requests':>8} {'GPU work':>16}",
    ]
    for operation, phase, planned in schedule.rows():
        amount = estimate.work.get((operation, phase), 0) if phase != REACHABILITY else 0
        lines.append(f"{operation:<24} {phase:<18} {planned:>8} {amount:>16,}")
    lines += [
        f"requests planned: {schedule.total()}",
        f"GPU work, at most: {estimate.total:,} (output pixels × inference steps × images)",
        f"worst single request: {estimate.worst:,}, {estimate.worst_where}",
    ]
    if estimate.worst_refused > estimate.worst:
        lines.append(
            f"worst probe a conforming gateway refuses, if served anyway: "
            f"{estimate.worst_refused:,}, {estimate.worst_refused_where}"
        )
    return "\n".join(lines)

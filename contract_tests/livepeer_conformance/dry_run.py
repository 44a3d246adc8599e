"""`run --dry-run`: the schedule a run would follow and its GPU work, with no request sent.

GPU work is output pixels × inference steps × images. The estimate is an upper bound: every
request counts as if the gateway served it. The credentials check, the first property requests
and the edge probes are fixed requests, counted as sent; a request the spec phase or the property
phase draws counts at the largest it may be (`livepeer_gateway_spec.CHEAP`'s ceilings, or the
spec's maxima with `--allow-large`; images per request at the spec's maximum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import CHEAP

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

    @property
    def total(self) -> int:
        return sum(self.work.values())


def _largest(document: dict[str, Any], path: str, config: RunConfig) -> int:
    """GPU work of the largest request the spec or property phase may send on `path`."""
    properties = spec.request_body(document, path)[1].get("properties", {})
    body: dict[str, Any] = {}
    for name in ("width", "height", "num_inference_steps", "num_images_per_prompt"):
        if name in properties:
            ceiling = None if config.allow_large else CHEAP.ceiling(name)
            high = properties[name].get("maximum", properties[name].get("default", 1))
            body[name] = min(high, ceiling) if ceiling is not None else high
    side = CHEAP.max_upload_side
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

        def count(operation: str, phase: str, each: list[int]) -> None:
            nonlocal worst, worst_where
            amounts[(operation, phase)] = sum(each)
            if each and max(each) > worst:
                worst, worst_where = max(each), f"{operation} ({phase})"

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
                elif phase == REFUSAL_PROBES:
                    each = [probe_work(i) for i in refusals[:planned]]
                elif phase == EDGE_PROBES:
                    each = [probe_work(i) for i in rest[:planned]]
                else:
                    each = [largest] * planned
                count(operation, phase, each)
    finally:
        properties.close()
        prober.close()
    return Estimate(schedule, amounts, worst, worst_where)


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
    return "\n".join(lines)

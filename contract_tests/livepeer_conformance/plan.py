"""The run's plan: what each phase's planner returns for every operation, before anything is sent.

A run sends it and `run --dry-run` prints it (with its GPU cost); both read the same data, so
the dry run builds no HTTP client. The spec phase is schemathesis's: its requests are not known
before it runs, and it takes what the schedule leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Operation

from livepeer_conformance.config import RunConfig
from livepeer_conformance.gpu_work import images_asked, most_images
from livepeer_conformance.plan_edges import probes_for
from livepeer_conformance.plan_properties import (
    credentials_request,
    drawn_requests,
    example_requests,
)
from livepeer_conformance.planned import MISSING_REQUIRED, REFUSAL_CLASSES, Planned
from livepeer_conformance.schedule import (
    CREDENTIALS,
    EDGE_PROBES,
    FIELD_PROBES,
    FIRST_PROPERTIES,
    PHASES,
    PROPERTIES,
    REFUSAL_PROBES,
    SPEC_CHECKS,
    Schedule,
)

#: The accepted extremes every operation is probed at among the guaranteed requests, where
#: runners break at little cost: the most steps (a scheduler's tables) and the largest batch
#: (memory), each at the smallest output size, which every cheap request already asks for.
GUARANTEED_EXTREMES = ("num_inference_steps.maximum", "num_images_per_prompt.maximum")


@dataclass
class OperationPlan:
    """Every planned request of one operation, by phase."""

    operation: Operation
    credentials: Planned
    #: The first probe of each refusal class, in class order: sent before any phase explores.
    refusals: list[Planned]
    #: Then, after the first properties: a probe without each other required field, and one at
    #: each of `GUARANTEED_EXTREMES` (all still sent before the spec phase).
    fields: list[Planned]
    #: The other edge probes, in sending order.
    edges: list[Planned]
    #: The first explicit example (sent before the spec phase), then the others.
    first_examples: list[Planned]
    examples: list[Planned]
    drawn: int
    #: Edge probes a conforming gateway serves that pass the run's ceilings: never sent.
    over_limits: list[Planned] = field(default_factory=list)

    def demand(self, runs_properties: bool) -> dict[str, int]:
        """Phase -> requests sent on the operation when nothing stops the run early."""
        first = sum(1 + p.repeat for p in self.first_examples) if runs_properties else 0
        later = sum(1 + p.repeat for p in self.examples) + self.drawn if runs_properties else 0
        return {
            CREDENTIALS: 1,
            REFUSAL_PROBES: len(self.refusals),
            FIRST_PROPERTIES: first,
            FIELD_PROBES: len(self.fields),
            EDGE_PROBES: len(self.edges),
            PROPERTIES: later,
        }

    def fixed(self, phase: str) -> list[Planned]:
        """The fixed requests of `phase` on the operation, in sending order, repeats included."""
        requests = {
            CREDENTIALS: [self.credentials],
            REFUSAL_PROBES: self.refusals,
            FIRST_PROPERTIES: self.first_examples,
            FIELD_PROBES: self.fields,
            EDGE_PROBES: self.edges,
            PROPERTIES: self.examples,
        }.get(phase, [])
        return [p for p in requests for _ in range(1 + p.repeat)]

    def media_fetches(self, phase: str, requests: int, config: RunConfig) -> int:
        """At most how many media URLs the answers to `requests` requests of `phase` point to:
        one per image each asks for, a drawn one at the most it may ask for. Only the semantic
        properties fetch media: the spec phase's answers and the refusals expected fetch none."""
        if not config.runs_properties or phase not in PHASES:
            return 0
        fixed = self.fixed(phase)[:requests]
        judged = [
            p
            for p in fixed
            if p.judged_by_properties and p.credentials == "run" and p.expect != "refuse"
        ]
        most = most_images(self.operation, config.limits.ceiling("num_images_per_prompt"))
        drawn = 0 if phase == SPEC_CHECKS else requests - len(fixed)
        return sum(images_asked(self.operation, dict(p.params)) for p in judged) + drawn * most


def operations_of(config: RunConfig) -> list[Operation]:
    """The operations the run checks, in the spec's order (`SpecError` for an unknown kind)."""
    document = spec.load_spec(config.spec_path)
    return [
        op for op in spec.served_operations(document).values() if config.checks_operation(op.path)
    ]


def plan_operation(operation: Operation, config: RunConfig) -> OperationPlan:
    """What every planner returns for `operation`."""
    kept: list[Planned] = []
    over: list[Planned] = []
    for probe in probes_for(operation, config):
        too_big = probe.expect != "refuse" and config.user_limits.exceeded(dict(probe.params))
        (over if too_big else kept).append(probe)
    first_of_class: dict[str, Planned] = {}
    for probe in kept:
        first_of_class.setdefault(probe.refusal, probe)
    refusals = [first_of_class[name] for name in REFUSAL_CLASSES if name in first_of_class]
    missing = [p for p in kept if p.refusal == MISSING_REQUIRED]
    extremes = [p for p in kept if p.expect == "accept" and p.rule in GUARANTEED_EXTREMES]
    fields = [p for p in missing + extremes if all(p is not r for r in refusals)]
    examples = example_requests(operation, config)
    return OperationPlan(
        operation,
        credentials_request(operation, config),
        refusals,
        fields,
        [probe for probe in kept if all(probe is not r for r in [*refusals, *fields])],
        examples[:1],
        examples[1:],
        drawn_requests(operation, config),
        over,
    )


def plan_run(config: RunConfig) -> list[OperationPlan]:
    """The plan of every operation the run checks."""
    return [plan_operation(operation, config) for operation in operations_of(config)]


def media_plan(config: RunConfig, plans: list[OperationPlan], schedule: Schedule) -> None:
    """Set the schedule's media fetches: the most each operation's planned answers point to."""
    for one in plans:
        operation = one.operation.label
        row = schedule.planned.get(operation, {})
        fetches = {phase: one.media_fetches(phase, row.get(phase, 0), config) for phase in row}
        schedule.media[operation] = {phase: n for phase, n in fetches.items() if n}


def round_robin(lists: list[list[Planned]]) -> list[Planned]:
    """One of each list in turn: the first of every operation before any operation's second."""
    rounds = max((len(one) for one in lists), default=0)
    return [one[i] for i in range(rounds) for one in lists if i < len(one)]

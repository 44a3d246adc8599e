"""The run's schedule as data: how many requests each operation gets in each phase.

Whatever the budget, the first requests go round-robin across the operations to what finds
the most per request: the credentials check (one valid request each), one edge probe per
refusal class (missing required field, wrong type, out of range, not an image), the first
semantic-property requests, then the field probes: a request without each other required field
and one at each cheap accepted extreme (the most steps, the largest batch). What is left is
shared by the spec phase (schemathesis's examples, coverage and fuzzing, operation by
operation), the remaining edge probes and the remaining property requests. A report shows the
plan next to what each phase actually spent, and the
media fetches planned and made per operation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: The reachability probe (`GET /`), before any operation's request.
REACHABILITY = "reachability"
CREDENTIALS = "credentials"
REFUSAL_PROBES = "refusal probes"
FIRST_PROPERTIES = "first properties"
FIELD_PROBES = "field probes"
SPEC_CHECKS = "spec checks"
#: Also what the "not covered" list names for an operation whose probes were not all sent.
EDGE_PROBES = "edge probes"
PROPERTIES = "properties"
#: Phases in the order a run sends them; the first four are guaranteed, round-robin.
PHASES: tuple[str, ...] = (
    CREDENTIALS,
    REFUSAL_PROBES,
    FIRST_PROPERTIES,
    FIELD_PROBES,
    SPEC_CHECKS,
    EDGE_PROBES,
    PROPERTIES,
)
GUARANTEED: tuple[str, ...] = (CREDENTIALS, REFUSAL_PROBES, FIRST_PROPERTIES, FIELD_PROBES)
#: The operation the reachability probe is counted under.
NO_OPERATION = "GET /"


@dataclass
class Schedule:
    """Requests planned for each operation × phase, within `budget`."""

    budget: int
    operations: list[str]
    planned: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Media fetches planned for each operation × phase: the most its planned answers point to
    #: (`plan.media_plan`), fetched outside the request budget within the run's media bounds.
    media: dict[str, dict[str, int]] = field(default_factory=dict)

    def media_of(self, operation: str) -> int:
        return sum(self.media.get(operation, {}).values())

    def media_total(self) -> int:
        return sum(sum(row.values()) for row in self.media.values())

    def phase_total(self, phase: str) -> int:
        return sum(row.get(phase, 0) for row in self.planned.values())

    def total(self) -> int:
        return sum(sum(row.values()) for row in self.planned.values())

    def rows(self) -> Iterable[tuple[str, str, int]]:
        """(operation, phase, planned) in run order, phases with nothing planned left out."""
        for phase in (REACHABILITY, *PHASES):
            for operation, row in self.planned.items():
                if row.get(phase):
                    yield operation, phase, row[phase]


def _round_robin(
    planned: dict[str, dict[str, int]],
    phase: str,
    wants: Mapping[str, int],
    remaining: int,
) -> int:
    """Give each operation one request of `phase` in turn until each has what it wants."""
    while remaining > 0:
        gave = False
        for operation, want in wants.items():
            if remaining > 0 and planned[operation].get(phase, 0) < want:
                planned[operation][phase] = planned[operation].get(phase, 0) + 1
                remaining -= 1
                gave = True
        if not gave:
            break
    return remaining


def plan(budget: int, demand: Mapping[str, Mapping[str, int]]) -> Schedule:
    """The schedule of a run with `budget` requests over the operations of `demand`.

    `demand[operation][phase]` is what a phase sends on the operation when nothing stops it
    (the spec phase's demand is not known before it runs: it takes what is left). The guaranteed
    phases are served first, round-robin; then the remaining edge probes and property requests
    keep at most half, and a quarter, of what is left, and the spec phase has the rest, split
    evenly across the operations (a share one operation leaves unused passes to the next).
    """
    operations = list(demand)
    planned: dict[str, dict[str, int]] = {operation: {} for operation in operations}
    schedule = Schedule(budget, operations, planned)
    remaining = budget
    if remaining > 0:
        planned[NO_OPERATION] = {REACHABILITY: 1}
        remaining -= 1
    for phase in GUARANTEED:
        wants = {operation: demand[operation].get(phase, 0) for operation in operations}
        remaining = _round_robin(planned, phase, wants, remaining)
    for phase, share in ((EDGE_PROBES, remaining // 2), (PROPERTIES, remaining // 4)):
        wants = {operation: demand[operation].get(phase, 0) for operation in operations}
        remaining -= share - _round_robin(planned, phase, wants, share)
    for index, operation in enumerate(operations):
        share = remaining // (len(operations) - index)
        if share:
            planned[operation][SPEC_CHECKS] = share
        remaining -= share
    return schedule

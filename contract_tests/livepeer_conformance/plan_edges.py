"""The edge probes' planner: a fixed set of cheap requests per operation where gateways break.

Fuzzing reaches an edge only by chance; these requests reach each one every run, in the same
order, at minimal cost (the smallest size, step count and batch, a 16x16 upload) with one field
at its edge:

- each bounded number at its extremes and one step past them, and off its `multipleOf`;
- seeds 0, 1, 2^32-1, 2^64 and -1;
- prompts that are empty, only whitespace, only the `|` separator, or very long;
- `loras` as `{}`, the pages' example mapping, `"[]"`, `"9"` and text that is not JSON;
- a multipart body without its boundary, or without its file part;
- uploads that are not images, truncated images, and each image type the spec's encoding lists;
- the cheapest valid request without credentials, and with a token no gateway issued.

A pure function of the spec and the run's options: the engine sends what it returns, and the
dry run prints it.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, TypeVar

from livepeer_gateway_spec import Operation

from livepeer_conformance.config import RunConfig
from livepeer_conformance.edge_families import (
    IGNORED_AUTH,
    Probe,
    auth_probes,
    loras_probes,
    numeric_probes,
    prompt_probes,
    required_probes,
    seed_probes,
    type_probes,
    upload_probes,
)
from livepeer_conformance.planned import Expect, Planned, cheapest_image, cheapest_params
from livepeer_conformance.valid_requests import LORAS

__all__ = ["IGNORED_AUTH", "interleave", "probes_for"]


class _Ordered(Protocol):
    @property
    def family(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def expect(self) -> Expect: ...


P = TypeVar("P", bound=_Ordered)


def probes_for(operation: Operation, config: RunConfig) -> list[Planned]:
    """The edge probes of `operation`, always the same for the same spec, in sending order."""
    schema, properties = operation.schema, operation.properties
    base = cheapest_params(operation, config)
    probes: list[Probe] = required_probes(schema, base) + type_probes(
        properties, base, multipart=operation.multipart
    )
    for name, prop in properties.items():
        if name == "seed":
            probes += seed_probes(prop, base)
        elif prop.get("type") in ("integer", "number") and ("minimum" in prop or "maximum" in prop):
            probes += numeric_probes(name, prop, base)
    if "prompt" in properties:
        probes += prompt_probes(properties["prompt"], base)
    if LORAS in properties:
        probes += loras_probes(base)
    if config.token and not config.open_gateway:
        probes += auth_probes(base)
    image = cheapest_image(operation)
    probes = [dataclasses.replace(probe, image=image) for probe in probes]
    if operation.multipart:
        probes += upload_probes(operation, base)
    return [
        Planned(
            operation,
            p.family,
            p.purpose,
            p.params,
            p.image,
            p.expect,
            p.rule,
            p.source,
            p.drop_boundary,
            p.credentials,
        )  # type: ignore[arg-type]
        for p in interleave(probes)
    ]


#: Within a family, the edges real gateways break most often go first (lower sorts first): a
#: seed of 0 read as "no seed" and seeds past 2^31, prompts that split into nothing, `loras`
#: that parse but are not objects; and every refusal before the matching accepted extreme.
_FIRST_WITHIN_FAMILY: dict[str, tuple[str, ...]] = {
    "seed": ("seed=0", "seed=4294967295", "seed=18446744073709551616", "seed=-1"),
    "prompt": ("prompt only the | separator", "prompt only whitespace", 'prompt="" (empty)'),
    "loras": ('loras="[]"', 'loras="9"', "loras=not JSON"),
}


def _within_family(probe: _Ordered) -> tuple[int, int]:
    firsts = _FIRST_WITHIN_FAMILY.get(probe.family, ())
    rank = next((i for i, edge in enumerate(firsts) if probe.purpose.startswith(edge)), len(firsts))
    return (rank, 0 if probe.expect == "refuse" else 1)


def interleave(probes: list[P]) -> list[P]:
    """The probes in sending order: one of each family in turn (in the order the families first
    appear), each family's own most telling edges first, so that a small budget reaches every
    family before any family's second probe."""
    families: dict[str, list[P]] = {}
    for probe in probes:
        families.setdefault(probe.family, []).append(probe)
    queues = [sorted(members, key=_within_family) for members in families.values()]
    ordered: list[P] = []
    for round_ in range(max((len(queue) for queue in queues), default=0)):
        ordered += [queue[round_] for queue in queues if round_ < len(queue)]
    return ordered

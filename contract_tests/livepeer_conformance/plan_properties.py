"""The property phase's planner: the requests whose answers the semantic properties judge.

Two explicit examples per operation (a two-image batch with a seed, sent twice for the
same-seed properties, and the same without a seed), then requests hypothesis draws within the
spec's bounds and the run's ceilings. A pure function of the spec and the run's options.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st
from livepeer_gateway_spec import Operation

from livepeer_conformance.config import RunConfig
from livepeer_conformance.planned import PROMPT, Planned, cheapest_params, pin_model
from livepeer_conformance.strategies import encode_image

#: Drawn requests per operation that are sent twice, for the same-seed properties.
REPEATS_PER_OPERATION = 1
#: The seed of the explicit example that has one: 0, a valid seed that gateways are known to
#: read as "no seed", so that the first property requests of a run already meet that edge.
EXAMPLE_SEED = 0


def _example_image(operation: Operation) -> tuple[str, bytes] | None:
    if not operation.multipart:
        return None
    return ("image/png", encode_image(16, 24, (200, 120, 40), "PNG"))


def explicit_examples(operation: Operation, config: RunConfig) -> list[dict[str, Any]]:
    """A two-image batch with a seed (when the operation has both), and the same without one."""
    base = cheapest_params(operation, config)
    batch = operation.properties.get("num_images_per_prompt")
    if batch is not None:
        ceiling = config.limits.ceiling("num_images_per_prompt")
        base["num_images_per_prompt"] = max(
            int(batch.get("minimum", 1)),
            min(2, int(batch.get("maximum", 1)), ceiling if ceiling is not None else 2),
        )
    if "seed" not in operation.properties:
        return [base]
    return [{**base, "seed": EXAMPLE_SEED}, base]


def example_requests(operation: Operation, config: RunConfig) -> list[Planned]:
    """The explicit examples as planned requests, the seeded one sent twice."""
    image = _example_image(operation)
    return [
        Planned(operation, "example", "explicit example", params, image, repeat="seed" in params)
        for params in explicit_examples(operation, config)
    ]


def credentials_request(operation: Operation, config: RunConfig) -> Planned:
    """One cheap valid request, sent before anything else to learn whether the run's
    credentials are accepted."""
    params = explicit_examples(operation, config)[-1]
    return Planned(operation, "credentials", "credentials check", params, _example_image(operation))


def drawn_requests(operation: Operation, config: RunConfig) -> int:
    """How many requests the phase draws on `operation` (repeats included)."""
    return config.max_examples + REPEATS_PER_OPERATION


def _bounded_integers(schema: dict[str, Any], ceiling: int | None) -> st.SearchStrategy[int]:
    low, high = int(schema.get("minimum", 0)), int(schema.get("maximum", 2**31))
    step = int(schema.get("multipleOf", 1))
    if ceiling is not None:
        high = max(min(high, ceiling), low)
    first = -(-low // step)
    return st.integers(first, high // step).map(lambda k: k * step)


def drawn_params(operation: Operation, config: RunConfig) -> st.SearchStrategy[dict[str, Any]]:
    """Request fields drawn within the spec's bounds and the run's ceilings, model pinned."""
    properties = operation.properties
    prompt = properties.get("prompt", {})
    required: dict[str, st.SearchStrategy[Any]] = {
        "prompt": st.text(
            string.ascii_lowercase + " ", min_size=prompt.get("minLength", 1), max_size=24
        ).filter(str.strip)
        if "prompt" in properties
        else st.just(PROMPT)
    }
    for name in ("width", "height", "num_inference_steps", "num_images_per_prompt"):
        if name in properties:
            required[name] = _bounded_integers(properties[name], config.limits.ceiling(name))
    optional = {"seed": _bounded_integers(properties["seed"], None)} if "seed" in properties else {}
    drawn = st.fixed_dictionaries(required, optional=optional)
    return drawn.map(lambda params: pin_model(params, operation, config))

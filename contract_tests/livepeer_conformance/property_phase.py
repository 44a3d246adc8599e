"""The property phase: hypothesis draws small requests within the spec's bounds, and the engine
sends and judges each one like any other planned request."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from livepeer_gateway_spec import Operation

from livepeer_conformance.engine import BudgetSpent, Engine
from livepeer_conformance.plan_properties import REPEATS_PER_OPERATION, drawn_params
from livepeer_conformance.planned import Planned
from livepeer_conformance.strategies import any_image


def explore(engine: Engine, operations: list[Operation]) -> None:
    """Draw and send `max_examples` requests on each operation, until the budget stops them."""
    try:
        for operation in operations:
            _explore(engine, operation)
    except BudgetSpent:
        engine.results.record_note(f"semantic properties: stopped early, {engine.stop_reason()}")


def _explore(engine: Engine, operation: Operation) -> None:
    config = engine.config
    repeats_left = [REPEATS_PER_OPERATION]
    spent = [False]
    images = any_image() if operation.multipart else st.none()

    # No shrinking and no report: a spent budget raised from an example ends the exploration
    # at once, and is caught below rather than shown as a failing example.
    @settings(
        max_examples=config.max_examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
    )
    @given(params=drawn_params(operation, config), image=images)
    def draw(params: dict[str, Any], image: tuple[str, bytes] | None) -> None:
        if spent[0]:
            raise BudgetSpent
        repeat = "seed" in params and repeats_left[0] > 0
        planned = Planned(operation, "drawn", "drawn request", params, image, repeat=repeat)
        try:
            exchange = engine.run(planned)
        except BudgetSpent:
            spent[0] = True
            raise
        if exchange is not None and exchange.repeat is not None:
            repeats_left[0] -= 1

    if config.seed is not None:
        draw = hypothesis_seed(config.seed)(draw)
    try:
        draw()
    except BudgetSpent:
        raise
    except Exception:
        if not spent[0]:
            raise
    if spent[0]:
        raise BudgetSpent

"""schemathesis over `openapi.yaml` finds nothing in the reference gateway: the suite's baseline."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from livepeer_conformance.answer_conformance import CHECKS as ANSWER_CHECKS
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.engine import Engine
from livepeer_conformance.plan import operations_of
from livepeer_conformance.results import RunResults
from livepeer_conformance.spec_checks import SPEC_CHECKS, run_spec_checks
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED
from livepeer_gateway_spec import spec_path
from livepeer_reference_gateway.server import running_gateway
from livepeer_reference_gateway.settings import GatewaySettings


@pytest.mark.slow
def test_schemathesis_finds_no_departure_in_the_reference_gateway() -> None:
    """All checks, positive and negative data, real images, every phase completed: no failure."""
    token = secrets.token_urlsafe(16)
    config = RunConfig(spec_path=Path(spec_path()), token=token, profile="core", seed=1)
    budget = RequestBudget(limit=2000)
    results = RunResults()
    with running_gateway(GatewaySettings(token=token)) as base_url:
        engine = Engine(config, base_url, budget, results, lambda message: None)
        engine.operations = operations_of(config)
        run_spec_checks(config, base_url, engine, progress=lambda message: None)
        engine.close()
    assert results.sorted_findings() == []
    assert results.notes == []
    assert budget.spent < budget.limit  # the run completed rather than stopping at the budget
    checks_run = {check for _, check in results.passed}
    # schemathesis's own checks, and the engine's on every answer schemathesis got.
    assert {*SPEC_CHECKS, *ANSWER_CHECKS, TOKEN_NOT_ECHOED} <= checks_run
    operations = {operation for operation, _ in results.passed}
    assert operations == {"POST /text-to-image", "POST /image-to-image", "POST /upscale"}

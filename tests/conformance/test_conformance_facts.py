"""Facts the suite reads from the spec, not restates: operations, request counts, the factor."""

from __future__ import annotations

import copy
import io
import secrets
from pathlib import Path
from typing import Any

import livepeer_gateway_spec as spec
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.engine import Engine
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.plan import plan_run
from livepeer_conformance.properties import PROPERTIES
from livepeer_conformance.property_phase import explore
from livepeer_conformance.results import RunResults
from livepeer_conformance.schedule import FIRST_PROPERTIES
from livepeer_conformance.schedule import PROPERTIES as PROPERTY_PHASE
from livepeer_conformance.strategies import encode_image
from livepeer_reference_gateway.server import running_gateway
from livepeer_reference_gateway.settings import GatewaySettings
from PIL import Image


def test_property_phase_fits_the_requests_its_plan_says_it_needs(tmp_path: Path) -> None:
    """Given exactly what the plan demands, the property phase finishes: nothing stops it early."""
    token = secrets.token_urlsafe(16)
    config = RunConfig(spec_path=Path(spec.spec_path()), token=token, seed=2, report_dir=tmp_path)
    plans = plan_run(config)
    needed = sum(p.demand(True)[FIRST_PROPERTIES] + p.demand(True)[PROPERTY_PHASE] for p in plans)
    results = RunResults()
    budget = RequestBudget(needed)
    with running_gateway(GatewaySettings(token=token)) as base_url:
        engine = Engine(config, base_url, budget, results, lambda m: None)
        engine.operations = [p.operation for p in plans]
        examples = [one for p in plans for one in (*p.first_examples, *p.examples)]
        engine.run_all(examples, set(), "semantic properties")
        explore(engine, engine.operations)
        engine.close()
    assert results.notes == []
    assert 0 < budget.spent <= needed
    # One operation per POST path of the spec, none named in the suite.
    operations = {
        op.path for op in spec.served_operations(spec.load_spec(config.spec_path)).values()
    }
    assert {op.removeprefix("POST ") for op in results.operations()} == operations


def _upscale_exchange(document: dict[str, Any], factor: int) -> Exchange:
    operation = next(
        op for op in spec.served_operations(document).values() if op.upscale_factor is not None
    )
    data = encode_image(8, 6, (1, 2, 3), "PNG")
    out = io.BytesIO()
    Image.new("RGB", (8 * factor, 6 * factor)).save(out, format="PNG")
    exchange = Exchange(
        operation, {"prompt": "x"}, ("image/png", data), 200, None, lambda url, operation: b""
    )
    exchange._decoded = [Image.open(io.BytesIO(out.getvalue()))]
    return exchange


def test_upscale_property_reads_the_factor_from_the_spec() -> None:
    """Change `x-upscale-factor` in the spec and the property expects the new factor."""
    document = spec.load_spec(spec.spec_path())
    check = PROPERTIES["upscale_is_four_times_input"].check
    upscale = next(
        op for op in spec.served_operations(document).values() if op.upscale_factor is not None
    )
    operation_id, declared = upscale.operation_id, upscale.upscale_factor
    assert declared is not None
    assert check(_upscale_exchange(document, declared), document) is None
    changed = copy.deepcopy(document)
    for _, _, op in spec.iter_operations(changed):
        if op.get("operationId") == operation_id:
            op[spec.UPSCALE_FACTOR_KEY] = declared + 1
    assert check(_upscale_exchange(changed, declared + 1), changed) is None
    assert check(_upscale_exchange(changed, declared), changed) is not None

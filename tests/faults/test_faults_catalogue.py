"""The suite catches every fault of the catalogue within its default budget, and never flags the
clean gateway: each run is `livepeer-conformance run` as its own process, two at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from livepeer_gateway_bench.fault_table import (
    CLEAN_SEEDS,
    SEED,
    Outcome,
    SuiteRun,
    catalogue_runs,
    run_all,
    suite_arguments,
)
from livepeer_reference_gateway.faults import FAULTS

#: Options that would shrink or grow the default budget: no catalogue run may carry them.
BUDGET_OPTIONS = {"--max-requests", "--max-examples", "--allow-large"}


def _selected_runs(request: pytest.FixtureRequest) -> list[SuiteRun]:
    """The runs the selected tests of this module need, so that `-k` runs only those."""
    wanted: list[SuiteRun] = []
    for item in request.session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.module is not request.module:
            continue
        if "name" in params:
            wanted.append(SuiteRun(params["name"], SEED))
        elif "seed" in params:
            wanted.append(SuiteRun(None, params["seed"]))
    return wanted


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[SuiteRun, Outcome]:
    """The outcome of every run the selected tests need, run two at a time."""
    runs = _selected_runs(request)
    workdir: Path = tmp_path_factory.mktemp("catalogue")
    return dict(zip(runs, run_all(runs, workdir), strict=True))


def test_catalogue_covers_every_fault_and_the_clean_seeds() -> None:
    runs = catalogue_runs()
    assert {run.fault for run in runs if run.fault} == set(FAULTS)
    assert len(FAULTS) >= 25
    clean_seeds = [run.seed for run in runs if run.fault is None]
    assert sorted(clean_seeds) == sorted(set(clean_seeds)) and len(clean_seeds) == 5


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_runs_keep_the_default_budget(name: str) -> None:
    arguments = suite_arguments(FAULTS[name])
    assert arguments[:2] == ["--fault", name]
    assert not BUDGET_OPTIONS & set(arguments)


DEPARTURES = sorted(name for name, fault in FAULTS.items() if not fault.conformant)
CONFORMANT = sorted(name for name, fault in FAULTS.items() if fault.conformant)


@pytest.mark.slow
@pytest.mark.parametrize("name", DEPARTURES)
def test_default_run_names_the_faults_check(name: str, outcomes: dict[SuiteRun, Outcome]) -> None:
    outcome = outcomes[SuiteRun(name, SEED)]
    assert outcome.exit_code == 1, outcome.error or "the run found no departure"
    expected = FAULTS[name].detected_by
    assert expected & outcome.departed_checks, (
        f"expected one of {sorted(expected)}, the report names {sorted(outcome.departed_checks)}"
    )
    first = outcome.first_detection()
    assert first is not None and 1 < first.requests <= outcome.requests_sent


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFORMANT)
def test_conformant_variant_stays_quiet(name: str, outcomes: dict[SuiteRun, Outcome]) -> None:
    outcome = outcomes[SuiteRun(name, SEED)]
    assert outcome.exit_code == 0, sorted(outcome.departed_checks) or outcome.error
    assert outcome.departures == () and outcome.detected


@pytest.mark.slow
@pytest.mark.parametrize("seed", CLEAN_SEEDS)
def test_clean_gateway_conforms_with_every_seed(
    seed: int, outcomes: dict[SuiteRun, Outcome]
) -> None:
    outcome = outcomes[SuiteRun(None, seed)]
    assert outcome.exit_code == 0, sorted(outcome.departed_checks) or outcome.error
    assert outcome.departures == ()
    assert outcome.requests_sent > 100  # a real run, not one that stopped at the probe

"""The labelled corpus: every spec edit gets its expected verdict and findings, at 100% / 100%."""

from __future__ import annotations

import pytest
from livepeer_gateway_bench.compat_corpus import CorpusCase, load_cases, oasdiff_rules, score
from livepeer_gateway_compat import Comparison, compare
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, load_spec

CASES = load_cases()
CATEGORIES = ("breaking-client", "breaking-gateway", "behaviour", "compatible")


def _findings(comparison: Comparison) -> frozenset[tuple[str, str]]:
    return frozenset((str(f.severity), f.pointer) for f in comparison.findings)


def _compare(old: dict, new: dict) -> Comparison:
    return Comparison("old", "new", compare(old, new))


def test_corpus_is_large_and_balanced() -> None:
    """At least 40 cases, at least 8 per category, each exercising what its category says."""
    assert len(CASES) >= 40
    for category in CATEGORIES:
        assert sum(case.category == category for case in CASES) >= 8, category
    for case in CASES:
        severities = {severity for severity, _ in case.findings}
        assert case.category in severities or case.category == "compatible", case.name


def test_every_edit_changes_the_spec() -> None:
    """Each case's edits really change the spec (no case passes by editing nothing)."""
    spec = load_spec(DEFAULT_SPEC_PATH)
    for case in CASES:
        old, new = case.documents(spec)
        assert old != new, case.name


def test_cases_name_only_mapped_oasdiff_rules() -> None:
    """A case names only rule ids docs/compat.md's table maps, none it calls not applicable."""
    rules = oasdiff_rules()
    for case in CASES:
        assert set(case.oasdiff) <= rules.applicable, (
            case.name,
            set(case.oasdiff) - rules.applicable,
        )


def test_every_applicable_oasdiff_rule_has_a_case() -> None:
    """Every oasdiff rule id that can apply to an OpenAPI 3.1 document like ours is exercised by
    at least one labelled case (the table has the rest, each with why it cannot apply)."""
    rules = oasdiff_rules()
    assert len(rules.applicable) > 250  # the table was read, not an empty section
    named = {rule for case in CASES for rule in case.oasdiff}
    missing = sorted(rules.applicable - named)
    assert not missing, f"{len(missing)} rule(s) without a case: {', '.join(missing)}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus_case(case: CorpusCase) -> None:
    """The checker gives the case its labelled verdict and exactly its labelled findings."""
    comparison = _compare(*case.documents())
    assert comparison.verdict == case.verdict
    assert _findings(comparison) == case.findings


def test_score_counts_misses_and_false_alarms() -> None:
    """The scorer itself: the labels score 100%, and a checker that calls everything breaking
    loses precision, not recall; the real checker's scores are printed as a summary."""
    perfect = score(CASES, [case.verdict for case in CASES], [case.findings for case in CASES])
    always_breaking = score(CASES, ["breaking"] * len(CASES))
    never_breaking = score(CASES, ["compatible"] * len(CASES))
    assert (perfect.verdict_precision, perfect.verdict_recall) == (1.0, 1.0)
    assert (perfect.finding_precision, perfect.finding_recall) == (1.0, 1.0)
    assert always_breaking.verdict_recall == 1.0 and always_breaking.verdict_precision < 1.0
    assert never_breaking.verdict_recall == 0.0
    # test_corpus_case holds each case exact; this only shows the totals in the test log.
    spec = load_spec(DEFAULT_SPEC_PATH)
    comparisons = [_compare(*case.documents(spec)) for case in CASES]
    result = score(CASES, [c.verdict for c in comparisons], [_findings(c) for c in comparisons])
    print(
        f"\ncompat corpus: {len(CASES)} cases; breaking verdicts precision "
        f"{result.verdict_precision:.0%} recall {result.verdict_recall:.0%}; findings precision "
        f"{result.finding_precision:.0%} recall {result.finding_recall:.0%}"
    )

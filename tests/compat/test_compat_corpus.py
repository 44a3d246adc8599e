"""The labelled corpus: every spec edit gets its expected verdict and findings, at 100% / 100%."""

from __future__ import annotations

import pytest
from livepeer_gateway_bench.compat_corpus import (
    OWN_SUITE,
    CorpusCase,
    checker_answer,
    load_cases,
    main,
    oasdiff_rules,
    render_suites,
    score,
    score_suites,
)
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, load_spec

CASES = load_cases()
CATEGORIES = ("breaking-client", "breaking-gateway", "behaviour", "compatible")
#: The suite of cases drawn from other APIs' histories and the specifications' examples.
EXTERNAL = "external"


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


def test_external_cases_cite_their_source() -> None:
    """At least 40 cases come from outside the checker's own writing, each naming its source;
    only those may be known misses, each saying why."""
    external = [case for case in CASES if case.suite == EXTERNAL]
    assert len(external) >= 40
    assert {case.suite for case in CASES} == {OWN_SUITE, EXTERNAL}
    for case in external:
        assert case.source, case.name
    for case in CASES:
        assert not case.known_miss or case.suite == EXTERNAL, case.name


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus_case(case: CorpusCase) -> None:
    """The checker gives the case its labelled verdict and exactly its labelled findings; a
    known miss must still be missed (fixing it should drop the mark)."""
    verdict, findings = checker_answer(*case.documents())
    answered_as_labelled = verdict == case.verdict and findings == case.findings
    assert answered_as_labelled != bool(case.known_miss), (verdict, sorted(findings))


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
    # test_corpus_case holds each case; this shows the totals per suite in the test log.
    results = score_suites(CASES, load_spec(DEFAULT_SPEC_PATH))
    assert [r.suite for r in results] == [OWN_SUITE, EXTERNAL]
    own = results[0]
    assert own.missed == () and own.score.verdict_precision == own.score.verdict_recall == 1.0
    external_misses = {case.name for case in CASES if case.known_miss}
    assert set(results[1].missed) == external_misses
    print("\n" + render_suites(results))


def test_scoring_one_suite_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`--suite` scores only that suite; an unknown suite is one line and exit 2."""
    assert main(["--suite", EXTERNAL]) == 0
    table = capsys.readouterr().out
    assert f"| {EXTERNAL} | {sum(c.suite == EXTERNAL for c in CASES)} |" in table
    assert f"| {OWN_SUITE} |" not in table
    with pytest.raises(SystemExit) as stopped:
        main(["--suite", "nosuch"])
    assert stopped.value.code == 2
    assert "unknown suite 'nosuch'" in capsys.readouterr().err

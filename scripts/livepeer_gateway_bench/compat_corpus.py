"""The labelled corpus of spec edits: loading cases, applying their edits, scoring a checker."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from livepeer_gateway_compat import Comparison, compare
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, load_spec, pointer_tokens
from livepeer_gateway_spec.cli import OneLineParser

#: Where the cases live: one YAML file per case.
CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "compat" / "corpus"
#: The page whose table maps oasdiff's rule ids to this checker's classification.
COMPAT_DOC = Path(__file__).resolve().parents[2] / "docs" / "compat.md"
#: The heading of that table's section.
OASDIFF_SECTION = "## Side by side with oasdiff's rule catalogue"

#: The suite of a case that names none: written together with the checker.
OWN_SUITE = "own"

#: A case's expected verdict: "breaking", "behaviour" or "compatible".
Label = str
FindingKey = tuple[str, str]  # (severity, JSON pointer)


@dataclass(frozen=True)
class CorpusCase:
    """One labelled edit of the real spec: what it is, how to make it, what a checker should say."""

    name: str
    description: str
    category: str
    base: tuple[dict[str, Any], ...]
    edits: tuple[dict[str, Any], ...]
    verdict: Label
    findings: frozenset[FindingKey]
    #: oasdiff rule ids the case exercises (docs/compat.md maps each to our classification).
    oasdiff: tuple[str, ...] = ()
    #: Which set the case belongs to, scored apart: `own` (written with the checker) or
    #: `external` (drawn from other APIs' spec histories and the specifications' own examples).
    suite: str = OWN_SUITE
    #: Where an `external` case's edit comes from (repository, file, commit or section).
    source: str = ""
    #: Why the checker still answers this case otherwise than its label (empty: it must not).
    known_miss: str = ""

    def documents(
        self, spec: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(old, new): the spec with `base` applied, and that with `edits` applied on top."""
        old = apply_edits(spec if spec is not None else load_spec(DEFAULT_SPEC_PATH), self.base)
        return old, apply_edits(old, self.edits)


def load_cases(directory: Path = CORPUS_DIR) -> list[CorpusCase]:
    """Every case in `directory`, in file-name order."""
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.append(
            CorpusCase(
                name=path.stem,
                description=raw["description"],
                category=raw["category"],
                base=tuple(raw.get("base") or ()),
                edits=tuple(raw["edits"]),
                verdict=raw["verdict"],
                findings=frozenset(
                    (f["severity"], f["pointer"]) for f in raw.get("findings") or ()
                ),
                oasdiff=tuple(raw.get("oasdiff") or ()),
                suite=raw.get("suite", OWN_SUITE),
                source=raw.get("source", ""),
                known_miss=raw.get("known_miss", ""),
            )
        )
    return cases


@dataclass(frozen=True)
class OasdiffRules:
    """The oasdiff rule ids of docs/compat.md's mapping table, split by whether they apply."""

    applicable: frozenset[str]
    not_applicable: frozenset[str]


_RULE_ID = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`")


def oasdiff_rules(document: Path = COMPAT_DOC) -> OasdiffRules:
    """Every rule id named in the first column of the mapping table; a row whose classification
    says "not applicable" puts its ids among those that cannot apply to an OpenAPI 3.1 document
    like ours."""
    applicable: set[str] = set()
    not_applicable: set[str] = set()
    text = document.read_text(encoding="utf-8")
    section = text.split(OASDIFF_SECTION, 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        ids = set(_RULE_ID.findall(cells[0]))
        (not_applicable if cells[2].startswith("not applicable") else applicable).update(ids)
    return OasdiffRules(frozenset(applicable - not_applicable), frozenset(not_applicable))


def apply_edits(document: dict[str, Any], edits: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A copy of `document` with JSON-pointer edits applied: `set`, `remove`, `move`."""
    result = copy.deepcopy(document)
    for edit in edits:
        operation = edit["op"]
        if operation == "set":
            parent, key = _parent(result, edit["path"])
            _assign(parent, key, copy.deepcopy(edit["value"]))
        elif operation == "remove":
            parent, key = _parent(result, edit["path"])
            del parent[int(key) if isinstance(parent, list) else key]
        elif operation == "move":
            source_parent, source_key = _parent(result, edit["from"])
            value = source_parent.pop(
                int(source_key) if isinstance(source_parent, list) else source_key
            )
            parent, key = _parent(result, edit["path"])
            _assign(parent, key, value)
        else:
            raise ValueError(f"unknown edit operation {operation!r}")
    return result


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    """The container holding the last token of `pointer`, and that token."""
    tokens = pointer_tokens(pointer)
    node = document
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, tokens[-1]


def _assign(parent: Any, key: str, value: Any) -> None:
    """Set `parent[key]`; for a list, `-` appends and an index inserts."""
    if isinstance(parent, list):
        if key == "-":
            parent.append(value)
        else:
            parent.insert(int(key), value)
    else:
        parent[key] = value


@dataclass(frozen=True)
class Score:
    """Precision and recall of a checker over the corpus, for verdicts and for findings."""

    verdict_precision: float
    verdict_recall: float
    finding_precision: float | None
    finding_recall: float | None


def _ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator, 1.0 when there is nothing to count."""
    return numerator / denominator if denominator else 1.0


def score(
    cases: Sequence[CorpusCase],
    verdicts: Sequence[Label],
    findings: Sequence[frozenset[FindingKey]] | None = None,
) -> Score:
    """Precision and recall of predicted verdicts (breaking is the positive class) and findings."""
    predicted = [v == "breaking" for v in verdicts]
    expected = [case.verdict == "breaking" for case in cases]
    true_positive = sum(p and e for p, e in zip(predicted, expected, strict=True))
    verdict_precision = _ratio(true_positive, sum(predicted))
    verdict_recall = _ratio(true_positive, sum(expected))
    if findings is None:
        return Score(verdict_precision, verdict_recall, None, None)
    matched = sum(len(f & c.findings) for f, c in zip(findings, cases, strict=True))
    produced = sum(len(f) for f in findings)
    wanted = sum(len(c.findings) for c in cases)
    return Score(
        verdict_precision, verdict_recall, _ratio(matched, produced), _ratio(matched, wanted)
    )


def checker_answer(old: dict[str, Any], new: dict[str, Any]) -> tuple[Label, frozenset[FindingKey]]:
    """The checker's verdict on `old` -> `new` and its findings as (severity, pointer) pairs."""
    comparison = Comparison("old", "new", compare(old, new))
    return comparison.verdict, frozenset((str(f.severity), f.pointer) for f in comparison.findings)


@dataclass(frozen=True)
class SuiteResult:
    """The checker's score on one suite of cases, and the cases it answers otherwise."""

    suite: str
    cases: int
    score: Score
    missed: tuple[str, ...]


def score_suites(
    cases: Sequence[CorpusCase], spec: dict[str, Any] | None = None
) -> list[SuiteResult]:
    """Run the checker on every case and score each suite apart, in order of first appearance."""
    spec = spec if spec is not None else load_spec(DEFAULT_SPEC_PATH)
    answers = [checker_answer(*case.documents(spec)) for case in cases]
    results = []
    for suite in dict.fromkeys(case.suite for case in cases):
        chosen = [i for i, case in enumerate(cases) if case.suite == suite]
        subset = [cases[i] for i in chosen]
        verdicts = [answers[i][0] for i in chosen]
        findings = [answers[i][1] for i in chosen]
        missed = tuple(
            case.name
            for case, verdict, found in zip(subset, verdicts, findings, strict=True)
            if verdict != case.verdict or found != case.findings
        )
        results.append(SuiteResult(suite, len(subset), score(subset, verdicts, findings), missed))
    return results


def _pct(value: float | None) -> str:
    """A ratio as a whole percentage."""
    return "n/a" if value is None else f"{value:.0%}"


def render_suites(results: Sequence[SuiteResult]) -> str:
    """The scores as a Markdown table, then the cases each suite misses."""
    lines = [
        "| suite | cases | breaking precision | breaking recall | findings precision |"
        " findings recall |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        s = result.score
        lines.append(
            f"| {result.suite} | {result.cases} | {_pct(s.verdict_precision)} |"
            f" {_pct(s.verdict_recall)} | {_pct(s.finding_precision)} | {_pct(s.finding_recall)} |"
        )
    for result in results:
        if result.missed:
            lines.append(
                f"\n{result.suite}: answered otherwise than labelled: "
                + ", ".join(f"`{name}`" for name in result.missed)
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Score the checker on the corpus, each suite apart (or only the suites named)."""
    parser = OneLineParser(
        prog="python -m livepeer_gateway_bench.compat_corpus", description=main.__doc__
    )
    parser.add_argument("--suite", action="append", help="score only this suite (repeatable)")
    args = parser.parse_args(argv)
    cases = load_cases()
    known = {case.suite for case in cases}
    unknown = sorted(set(args.suite or ()) - known)
    if unknown:
        parser.error(f"unknown suite {unknown[0]!r} (known: {', '.join(sorted(known))})")
    if args.suite:
        cases = [case for case in cases if case.suite in args.suite]
    print(render_suites(score_suites(cases)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

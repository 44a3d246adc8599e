"""Compat's findings located in the source (file, line, column) and written as JSON and as
GitHub Actions annotations; the annotation-only kinds the release notes count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_bench.compat_corpus import load_cases
from livepeer_gateway_compat import SpecVersion, compare_versions, main
from livepeer_gateway_compat.findings import WIRE_NEUTRAL_KINDS
from livepeer_gateway_compat.rules import Change, Kind, classify
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, parse_spec, unescape_token
from livepeer_gateway_spec.cli import github_annotation

SPEC_TEXT = DEFAULT_SPEC_PATH.read_text(encoding="utf-8")
#: Every 50th labelled case: composing and parsing YAML is slow enough that all 400 would cost
#: minutes; the sample still holds removals (pointers into the old version) and additions.
SAMPLE = load_cases()[::50]


def _version(label: str, document: dict[str, Any]) -> SpecVersion:
    text = yaml.safe_dump(document, sort_keys=False)
    return SpecVersion(label, parse_spec(text, label), text, label)


def _written_at(version: SpecVersion, line: int, column: int) -> str:
    return version.text.splitlines()[line - 1][column - 1 :]


@pytest.mark.parametrize("case", SAMPLE, ids=[case.name for case in SAMPLE])
def test_every_finding_is_at_the_line_of_its_pointer(case: Any) -> None:
    """Each finding's line and column are where its pointer's key is written in its version."""
    before, after = case.documents()
    old, new = _version("old", before), _version("new", after)
    comparison = compare_versions(old, new)
    assert comparison.findings, case.name
    for finding in comparison.findings:
        version = old if finding.document == "old" else new
        assert finding.location is not None and finding.location.file == version.label
        position = version.source_map.position(finding.pointer)
        assert (finding.location.line, finding.location.column) == (position.line, position.column)
        key = unescape_token(position.pointer.rsplit("/", 1)[-1])
        written = _written_at(version, position.line, position.column)
        assert written.startswith(f"{key}:") or key.isdigit(), (finding, written)
        assert finding.anchor is not None and finding.anchor.file == "new"


def _write_spec(path: Path, seed_max: int | None = None, drop: str | None = None) -> Path:
    document = yaml.safe_load(SPEC_TEXT)
    schemas = document["components"]["schemas"]
    if seed_max is not None:
        schemas["Seed"]["maximum"] = seed_max
    if drop is not None:
        del schemas["TextToImageParams"]["properties"][drop]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Verdict, counts, and each finding with severity, file, line, column and client modules."""
    new = _write_spec(tmp_path / "new.yaml", seed_max=65535, drop="negative_prompt")
    assert main([str(DEFAULT_SPEC_PATH), str(new), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "breaking" and report["counts"]["breaking-gateway"] == 2
    by_pointer = {finding["pointer"]: finding for finding in report["findings"]}

    bound = by_pointer["/components/schemas/Seed/maximum"]
    assert (bound["file"], bound["document"]) == (str(new), "new")
    assert (bound["line"], bound["column"]) == (_line_of(new, "      maximum: 65535"), 7)
    assert bound["severity"] == "breaking-gateway" and bound["level"] == "error"
    assert bound["client_functions"] == [
        "api.generate.text_to_image",
        "api.generate.image_to_image",
        "api.generate.upscale",
    ]

    removed = by_pointer["/components/schemas/TextToImageParams/properties/negative_prompt"]
    assert (removed["file"], removed["document"]) == (str(DEFAULT_SPEC_PATH), "old")
    assert removed["line"] == _line_of(DEFAULT_SPEC_PATH, "        negative_prompt:")
    assert removed["client_functions"] == ["api.generate.text_to_image"]


def test_github_annotations_land_on_the_new_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A change is annotated at its line; a removal at the new file's node that held it."""
    new = _write_spec(tmp_path / "new.yaml", seed_max=65535, drop="negative_prompt")
    assert main([str(DEFAULT_SPEC_PATH), str(new), "--format", "github"]) == 1
    verdict, *annotations = capsys.readouterr().out.splitlines()
    assert verdict.startswith(f"{DEFAULT_SPEC_PATH} -> {new}: BREAKING")
    assert len(annotations) == 2 and all(a.startswith(f"::error file={new},") for a in annotations)
    bound_line = _line_of(new, "      maximum: 65535")
    assert any(
        f",line={bound_line},col=7,title=compat breaking-gateway::" in a for a in annotations
    )
    (removal,) = [a for a in annotations if "negative_prompt" in a]
    properties_line = _line_of(new, "      properties:")  # TextToImageParams's, the first
    assert f",line={properties_line}," in removal
    old_line = _line_of(DEFAULT_SPEC_PATH, "        negative_prompt:")
    assert removal.endswith(f"; removed from {DEFAULT_SPEC_PATH}:{old_line}:9")


def test_github_run_writes_the_markdown_summary_into_a_new_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workflow's step: annotations printed, the Markdown table in reports/ for the summary."""
    new = _write_spec(tmp_path / "new.yaml", seed_max=65535)
    summary = tmp_path / "reports" / "compat.md"
    argv = [str(DEFAULT_SPEC_PATH), str(new), "--format", "github", "--summary", str(summary)]
    assert main(argv) == 1
    assert "::error file=" in capsys.readouterr().out
    assert "| `breaking-gateway` | `/components/schemas/Seed/maximum` |" in summary.read_text()


def test_text_report_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = _write_spec(tmp_path / "new.yaml", seed_max=65535)
    assert main([str(DEFAULT_SPEC_PATH), str(new)]) == 1
    line = _line_of(new, "      maximum: 65535")
    assert f"    at: {new}:{line}:7\n" in capsys.readouterr().out


def test_annotation_escapes_what_would_end_it_early() -> None:
    """`%`, newlines, and in properties `:` and `,`, are escaped as the runner decodes them."""
    annotation = github_annotation(
        "warning", "50% off\nnext", file="a,b:c.yaml", line=3, column=1, title="t: x"
    )
    assert annotation == "::warning file=a%2Cb%3Ac.yaml,line=3,col=1,title=t%3A x::50%25 off%0Anext"


def test_wire_neutral_kinds_are_the_ones_that_change_nothing_on_the_wire() -> None:
    """The kinds the release notes count rather than list are exactly those whose rule says
    nothing on the wire changes (a new annotation-only rule must join them)."""
    said = {
        kind
        for kind in Kind
        if "nothing on the wire changes"
        in classify(Change(kind, ("x",), False, "document", "d"))[1]
    }
    assert said == WIRE_NEUTRAL_KINDS

"""`make lint-spec`'s findings: file, line and column of each, JSON and GitHub annotations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, unescape_token
from livepeer_gateway_tools import lint_spec

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
#: The three operations, the upscale one named from its method and path (its operationId is gone).
ALL_OPERATIONS = [
    "api.generate.text_to_image",
    "api.generate.image_to_image",
    "api.generate.post_upscale",
]


@pytest.fixture(scope="module")
def broken_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spec broken four ways, in four places: a shared schema, an operation, a component,
    a request field (written by PyYAML, so no line is where the checkout's file has it)."""
    document: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    schemas["Seed"]["type"] = "integr"
    del document["paths"]["/upscale"]["post"]["operationId"]
    schemas["Orphan"] = {"type": "string"}
    schemas["TextToImageParams"]["required"] = ["prompt", "width"]
    path = tmp_path_factory.mktemp("lint") / "openapi.yaml"
    path.write_text(yaml.safe_dump(copy.deepcopy(document), sort_keys=False), encoding="utf-8")
    return path


def _json_report(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert lint_spec.main([str(path), "--format", "json"]) == 1
    return json.loads(capsys.readouterr().out)


def test_each_problem_is_at_the_line_and_column_of_its_key(
    broken_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line and column given are where the pointer's last key is written in the file."""
    problems = _json_report(broken_spec, capsys)["problems"]
    lines = broken_spec.read_text(encoding="utf-8").splitlines()
    assert len(problems) >= 4
    for problem in problems:
        key = unescape_token(problem["pointer"].rsplit("/", 1)[-1])
        written = lines[problem["line"] - 1][problem["column"] - 1 :]
        assert written.startswith(f"{key}:"), (problem, written)
        assert problem["file"] == str(broken_spec)


def test_json_names_the_client_modules_each_problem_reaches(
    broken_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shared schema reaches every operation, an operation itself, an orphan none."""
    report = _json_report(broken_spec, capsys)
    by_rule = {problem["rule"]: problem for problem in report["problems"]}
    assert by_rule["openapi-spec-valid"]["client_functions"] == ALL_OPERATIONS
    assert by_rule["operation-id-present"]["client_functions"] == ["api.generate.post_upscale"]
    assert by_rule["component-used"]["client_functions"] == []
    assert by_rule["documented-source-covers"]["client_functions"] == ["api.generate.text_to_image"]
    assert {p["level"] for p in report["problems"]} == {"error"}
    assert report["rules"] == list(lint_spec.RULES)


def test_text_and_github_formats_carry_the_same_places(
    broken_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = _json_report(broken_spec, capsys)["problems"]
    assert lint_spec.main([str(broken_spec)]) == 1
    text = capsys.readouterr().out.splitlines()
    assert lint_spec.main([str(broken_spec), "--format", "github"]) == 1
    github = capsys.readouterr().out.splitlines()

    assert len(text) == len(github) == len(problems)
    for problem, line, annotation in zip(problems, text, github, strict=True):
        place = f"{broken_spec}:{problem['line']}:{problem['column']}"
        assert line == f"{place}: {problem['rule']}: {problem['pointer']}: {problem['message']}"
        assert annotation.startswith(
            f"::error file={broken_spec},line={problem['line']},col={problem['column']},"
            f"title=lint-spec {problem['rule']}::{problem['pointer']}: "
        )


def test_the_bundled_spec_is_named_by_the_file_it_links_to(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no path given, messages name the checkout's `openapi.yaml`, never the package's link
    to it; from another folder, the file itself."""
    monkeypatch.chdir(SPEC.parent)
    monkeypatch.delenv("LIVEPEER_OPENAPI", raising=False)
    assert lint_spec.main(["--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["file"] == "openapi.yaml"
    monkeypatch.chdir(SPEC.parent / "docs")
    assert lint_spec.main([]) == 0
    assert f"lint-spec: {DEFAULT_SPEC_PATH.resolve()} is valid" in capsys.readouterr().out


def test_a_clean_spec_in_json_has_no_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_spec.main([str(SPEC), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []

"""`make lint-spec` on the checkout's spec and on copies broken one rule at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_tools import lint_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "openapi.yaml"
TEXT_TO_IMAGE = "/paths/~1text-to-image/post"

Document = dict[str, Any]


def _text_to_image(document: Document) -> Document:
    return document["paths"]["/text-to-image"]["post"]


def _drop_operation_id(document: Document) -> None:
    del _text_to_image(document)["operationId"]


def _duplicate_operation_id(document: Document) -> None:
    document["paths"]["/upscale"]["post"]["operationId"] = "textToImage"


def _unsecure(document: Document) -> None:
    _text_to_image(document)["security"] = [{}]


def _break_example(document: Document) -> None:
    examples = _text_to_image(document)["requestBody"]["content"]["application/json"]["examples"]
    examples["minimal"]["value"]["width"] = "wide"


def _add_unused_component(document: Document) -> None:
    document["components"]["schemas"]["Orphan"] = {"type": "string"}


def _declare_status_without_body(document: Document) -> None:
    _text_to_image(document)["responses"]["409"] = {"description": "Conflict"}


def _break_openapi_structure(document: Document) -> None:
    document["components"]["schemas"]["Media"]["properties"]["seed"]["type"] = "integr"


def _break_parameter_location(document: Document) -> None:
    parameter = {"name": "q", "in": "body", "schema": {"type": "string"}}
    document["paths"]["/upscale"]["post"]["parameters"] = [parameter]


def _dangle_ref(document: Document) -> None:
    content = document["components"]["responses"]["ValidationFailed"]["content"]
    content["application/json"]["schema"] = {"$ref": "#/components/schemas/Gone"}


@pytest.fixture(scope="module")
def spec_document() -> Document:
    """The checkout's spec, parsed."""
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def test_checkout_spec_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """openapi.yaml as committed breaks no rule."""
    assert lint_spec.main([str(SPEC)]) == 0
    assert "is valid" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("breakage", "rule", "location"),
    [
        (_drop_operation_id, "operation-id-present", TEXT_TO_IMAGE),
        (_duplicate_operation_id, "operation-id-unique", "/paths/~1upscale/post/operationId"),
        (_unsecure, "operation-secured", TEXT_TO_IMAGE),
        (
            _break_example,
            "example-valid",
            f"{TEXT_TO_IMAGE}/requestBody/content/application~1json/examples/minimal/value",
        ),
        (_add_unused_component, "component-used", "/components/schemas/Orphan"),
        (_declare_status_without_body, "response-body-schema", f"{TEXT_TO_IMAGE}/responses/409"),
        (
            _break_openapi_structure,
            "openapi-spec-valid",
            "/components/schemas/Media/properties/seed/type",
        ),
        (
            _break_parameter_location,
            "openapi-spec-valid",
            "/paths/~1upscale/post/parameters/0/in",
        ),
        (
            _dangle_ref,
            "openapi-spec-valid",
            "/components/responses/ValidationFailed/content/application~1json/schema",
        ),
    ],
)
def test_each_rule_names_itself_and_the_location(
    spec_document: Document,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breakage: Callable[[Document], None],
    rule: str,
    location: str,
) -> None:
    """A copy broken for one rule fails with a line naming that rule and the JSON pointer."""
    broken = copy.deepcopy(spec_document)
    breakage(broken)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")

    assert lint_spec.main([str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(f": {rule}: {location}: " in line for line in lines), lines
    assert all(line.startswith(str(path)) for line in lines)


def test_example_failure_says_what_is_wrong(
    spec_document: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example-valid line names the offending field and the schema's complaint."""
    broken = copy.deepcopy(spec_document)
    _break_example(broken)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")

    lint_spec.main([str(path)])
    assert "/width: 'wide' is not of type 'integer'" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [
        None,
        b"paths: [unclosed\n",
        b"just: a mapping\n",
        b"openapi: 3.1.0\ninfo: {title: caf\xe9, version: '1'}\npaths: {}\n",  # Latin-1
        b"openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: []\n",
        b"openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {/x: []}\n",
    ],
    ids=["missing", "not-yaml", "not-openapi", "not-utf8", "paths-a-list", "path-item-a-list"],
)
def test_unreadable_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    """A missing file, broken YAML, non-UTF-8 text or a non-OpenAPI document: exit 2, one line."""
    path = tmp_path / "spec.yaml"
    if content is not None:
        path.write_bytes(content)

    assert lint_spec.main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [["--no-such-option"], ["a.yaml", "b.yaml"]])
def test_wrong_argument_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """An argument error is one line, not the whole usage block."""
    with pytest.raises(SystemExit) as raised:
        lint_spec.main(argv)
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("make lint-spec: error: ")


def test_duplicate_key_is_refused_not_silently_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """YAML lets a repeated key win last; a spec edited by hand must not lose a section that way."""
    text = (Path(__file__).resolve().parents[2] / "openapi.yaml").read_text(encoding="utf-8")
    path = tmp_path / "openapi.yaml"
    path.write_text(text + "components:\n  schemas: {}\n", encoding="utf-8")

    assert lint_spec.main([str(path)]) == 2
    assert "duplicate key 'components'" in capsys.readouterr().err


def test_malformed_document_is_reported_not_crashed_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A structurally broken document gets findings (exit 1), never a traceback."""
    path = tmp_path / "openapi.yaml"
    path.write_text(
        "openapi: 3.1.0\ninfo: {title: x, version: '1'}\n"
        "paths:\n  /x:\n    post:\n      operationId: a\n      responses: 5\n"
    )
    assert lint_spec.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert ": openapi-spec-valid: " in out and ": response-body-schema: " in out


def _lint_lines(
    document: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    assert lint_spec.main([str(path)]) == 1
    return capsys.readouterr().out.splitlines()


def test_duplicate_operation_id_is_reported_once(
    spec_document: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The validator's own duplicate report (at `/`) gives way to the rule's, which has a place."""
    broken = copy.deepcopy(spec_document)
    _duplicate_operation_id(broken)
    lines = _lint_lines(broken, tmp_path, capsys)
    assert len([line for line in lines if "textToImage" in line]) == 1, lines
    assert not any(": /: " in line for line in lines), lines


def test_dangling_ref_is_one_short_line(
    spec_document: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A $ref naming nothing: its place and the ref, not the validator's dump of the document."""
    broken = copy.deepcopy(spec_document)
    _dangle_ref(broken)
    lines = [line for line in _lint_lines(broken, tmp_path, capsys) if "openapi-spec-valid" in line]
    assert len(lines) == 1 and "'#/components/schemas/Gone' names nothing" in lines[0]
    assert len(lines[0]) < 300


def test_every_validator_error_has_a_pointer(
    spec_document: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two schema errors in two places: each line names its own node, none the document root."""
    broken = copy.deepcopy(spec_document)
    broken["components"]["schemas"]["Seed"]["minimum"] = "zero"
    _break_openapi_structure(broken)
    lines = [
        line for line in _lint_lines(broken, tmp_path, capsys) if ": openapi-spec-valid: " in line
    ]
    pointers = {line.split(": ")[2] for line in lines}
    assert pointers == {
        "/components/schemas/Seed/minimum",
        "/components/schemas/Media/properties/seed/type",
    }, lines


def test_yaml_error_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Broken YAML is one line with where the parser stopped."""
    path = tmp_path / "openapi.yaml"
    path.write_text("openapi: 3.1.0\npaths:\n  /x: {post: [\n", encoding="utf-8")
    assert lint_spec.main([str(path)]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert "(line 4, column 1)" in error

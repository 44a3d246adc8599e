"""The spec core's one view of each operation, and an operation of an unknown kind refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from livepeer_gateway_spec import (
    SPEC_ENV,
    SpecError,
    load_spec,
    operations,
    served_operations,
    spec_path,
)

#: An upstream-style operation whose answer is text, not images (the shape of an LLM route).
LLM_PATH = {
    "post": {
        "operationId": "llm",
        "tags": ["generate"],
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"prompt": {"type": "string"}}}
                }
            }
        },
        "responses": {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"response": {"type": "string"}}}
                    }
                },
            }
        },
    }
}


def test_each_operation_is_read_once_with_its_kind() -> None:
    found = served_operations(load_spec())
    kinds = {op.path: (op.pipeline, op.multipart, op.upscale_factor) for op in found.values()}
    assert kinds == {
        "/text-to-image": ("text-to-image", False, None),
        "/image-to-image": ("image-to-image", True, None),
        "/upscale": ("upscale", True, 4),
    }
    for op in found.values():
        assert op.output == "images" and op.model_field == "model_id"
        assert op.label == f"POST {op.path}"
    assert found["/upscale"].file_parts == ("image",)
    assert "image/jpeg" in found["/upscale"].file_media_types
    assert found["/text-to-image"].sized_output and not found["/upscale"].sized_output


def _with_llm(tmp_path: Path) -> Path:
    document = load_spec()
    document["paths"]["/llm"] = LLM_PATH
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_an_operation_of_unknown_output_kind_is_named_and_refused(tmp_path: Path) -> None:
    document = load_spec(_with_llm(tmp_path))
    assert operations(document)["/llm"].output is None  # the plain walk still sees it
    with pytest.raises(SpecError, match=r"^POST /llm \(llm\): its 200 answer is not a list"):
        served_operations(document)


@pytest.mark.parametrize(
    "command",
    [
        ["livepeer_reference_gateway", "--port", "0"],
        ["livepeer_conformance.cli", "run", "--dry-run"],
    ],
    ids=["gateway", "suite"],
)
def test_gateway_and_suite_refuse_the_spec_in_one_line(tmp_path: Path, command: list[str]) -> None:
    spec_file = _with_llm(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, SPEC_ENV: str(spec_file)},
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "POST /llm (llm)" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_bundled_spec_path_is_the_root_document() -> None:
    assert Path(spec_path()).resolve() == (Path(__file__).parents[2] / "openapi.yaml").resolve()

"""Regeneration and the drift check, run on temporary copies so the checkout is never touched."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from livepeer_gateway_tools import check_generated, generate
from livepeer_gateway_tools.check_generated import tree_files

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "openapi.yaml"
COMMITTED = REPO_ROOT / "generated"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client's project regenerated from the checkout's spec into a temporary folder."""
    output = tmp_path_factory.mktemp("regenerated") / "generated"
    assert generate.main(["--spec", str(SPEC), "--output", str(output)]) == 0
    return output


def test_committed_client_matches_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    """What `make check-generated` runs in CI: exit 0 on the checkout."""
    assert check_generated.main(["--output", str(COMMITTED)]) == 0
    assert "matches" in capsys.readouterr().out


def test_two_regenerations_are_byte_identical(regenerated: Path, tmp_path: Path) -> None:
    """No timestamps, absolute paths or cache files: a second run writes the same bytes."""
    second = tmp_path / "generated"
    assert generate.main(["--spec", str(SPEC), "--output", str(second)]) == 0

    first_files, second_files = tree_files(regenerated), tree_files(second)
    assert first_files == second_files
    package = "livepeer_gateway_client"
    assert {f"{package}/py.typed", f"{package}/api/generate/upscale.py"} <= first_files.keys()
    assert {"pyproject.toml", "README.md", ".gitignore"} <= first_files.keys()
    assert not any(str(tmp_path).encode() in content for content in second_files.values())


def test_spec_edit_without_regeneration_fails_with_a_diff(
    regenerated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A one-line change to the spec, not regenerated, is caught and shown as a diff."""
    spec = tmp_path / "openapi.yaml"
    text = SPEC.read_text(encoding="utf-8")
    edited = text.replace("Generate images from text prompts.", "Draw pictures from words.", 1)
    assert edited != text
    spec.write_text(edited, encoding="utf-8")

    assert check_generated.main(["--spec", str(spec), "--output", str(regenerated)]) == 1
    captured = capsys.readouterr()
    assert "-    Generate images from text prompts." in captured.out
    assert "+    Draw pictures from words." in captured.out
    assert "livepeer_gateway_client/api/generate/text_to_image.py" in captured.out
    assert "run `make generate`" in captured.err


def test_hand_edit_under_generated_fails_with_a_diff(
    regenerated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edited, an added and a removed file are all reported against a copy of the client."""
    copy = tmp_path / "generated"
    shutil.copytree(regenerated, copy)
    package = copy / "livepeer_gateway_client"
    client_module = package / "client.py"
    client_module.write_text(client_module.read_text() + "# patched by hand\n")
    (package / "extra.py").write_text("VALUE = 1\n")
    (package / "py.typed").unlink()
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")
    # What building or installing the client leaves behind is not generated code.
    (copy / "dist").mkdir()
    (copy / "dist" / "livepeer_gateway_client-1.0.0.tar.gz").write_bytes(b"\0")
    (copy / "livepeer_gateway_client.egg-info").mkdir()
    (copy / "livepeer_gateway_client.egg-info" / "PKG-INFO").write_text("Name: x\n")

    assert check_generated.main(["--spec", str(SPEC), "--output", str(copy)]) == 1
    captured = capsys.readouterr()
    assert "-# patched by hand" in captured.out
    assert "extra.py" in captured.out and "py.typed" in captured.out
    assert "__pycache__" not in captured.out
    assert "dist/" not in captured.out and "egg-info" not in captured.out
    assert "1 changed, 1 missing, 1 not produced by the spec" in captured.err


def test_generator_that_cannot_run_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A spec the generator cannot read gives exit 2 and one line, for both commands."""
    missing = tmp_path / "absent.yaml"
    output = tmp_path / "out"
    assert check_generated.main(["--spec", str(missing), "--output", str(output)]) == 2
    assert generate.main(["--spec", str(missing), "--output", str(output)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all("absent.yaml" in line for line in errors)
    assert not output.exists()


@pytest.mark.parametrize("command", [generate.main, check_generated.main])
@pytest.mark.parametrize("argv", [["--no-such-option"], ["--spec"], ["extra-argument"]])
def test_wrong_argument_exits_2_with_one_line(
    command: Callable[[list[str]], int], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """An argument error is one line naming the command, not the whole usage block."""
    with pytest.raises(SystemExit) as raised:
        command(argv)
    assert raised.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("make ") and ": error: " in captured.err


def test_failed_generation_leaves_the_output_untouched(
    regenerated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken spec never half-replaces an existing client."""
    copy = tmp_path / "generated"
    shutil.copytree(regenerated, copy)
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {/x: 5}\n")

    assert generate.main(["--spec", str(broken), "--output", str(copy)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert tree_files(copy) == tree_files(regenerated)


def test_hand_edited_pyproject_fails_the_drift_check(
    regenerated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The client's packaging is generated output too: an edited dependency is caught."""
    copy = tmp_path / "generated"
    shutil.copytree(regenerated, copy)
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"attrs>=23.1"', '"attrs>=23.1", "rich"'))

    assert check_generated.main(["--spec", str(SPEC), "--output", str(copy)]) == 1
    assert '+  "attrs>=23.1",' in capsys.readouterr().out


def test_regeneration_keeps_builds_and_removes_stale_files(
    regenerated: Path, tmp_path: Path
) -> None:
    """`make generate` over an existing project: a stale module goes, dist/ and caches stay."""
    copy = tmp_path / "generated"
    shutil.copytree(regenerated, copy)
    stale = copy / "livepeer_gateway_client" / "models" / "removed_model.py"
    stale.write_text("X = 1\n")
    (copy / "dist").mkdir()
    (copy / "dist" / "keep.whl").write_bytes(b"\0")

    assert generate.main(["--spec", str(SPEC), "--output", str(copy)]) == 0
    assert not stale.exists()
    assert (copy / "dist" / "keep.whl").exists()
    assert tree_files(copy) == tree_files(regenerated)


def _dangling(tmp_path: Path) -> Path:
    spec = tmp_path / "dangling.yaml"
    text = SPEC.read_text(encoding="utf-8")
    edited = text.replace("#/components/schemas/HTTPValidationError", "#/components/schemas/Gone")
    assert edited != text
    spec.write_text(edited, encoding="utf-8")
    return spec


@pytest.mark.parametrize("command", [generate.main, check_generated.main])
def test_dangling_ref_fails_both_commands_in_one_line(
    regenerated: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: Callable[[list[str]], int],
) -> None:
    """The generator would drop the 422 response with a warning: exit 2, naming the $ref."""
    output = tmp_path / "out"
    shutil.copytree(regenerated, output)
    before = tree_files(output)

    assert command(["--spec", str(_dangling(tmp_path)), "--output", str(output)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "'#/components/schemas/Gone'" in captured.err
    assert "/components/responses/ValidationFailed/content/application~1json/schema" in captured.err
    assert tree_files(output) == before


def test_generator_warning_fails_generation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A part of the spec the generator skips with a warning fails the run, in one line."""
    spec = tmp_path / "openapi.yaml"
    text = SPEC.read_text(encoding="utf-8")
    # A path parameter not marked required: openapi-python-client skips the whole endpoint.
    edited = text.replace(
        "      operationId: upscale\n",
        "      operationId: upscale\n      parameters:\n"
        "        - {name: session, in: path, schema: {type: string}}\n",
        1,
    )
    assert edited != text
    spec.write_text(edited, encoding="utf-8")

    assert generate.main(["--spec", str(spec), "--output", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    assert "would leave part of the spec out" in error and "POST /upscale" in error
    assert " object at 0x" not in error
    assert not (tmp_path / "out").exists()

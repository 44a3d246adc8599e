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
COMMITTED = REPO_ROOT / "generated" / "livepeer_gateway_client"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A client regenerated from the checkout's spec into a temporary folder."""
    output = tmp_path_factory.mktemp("regenerated") / "livepeer_gateway_client"
    assert generate.main(["--spec", str(SPEC), "--output", str(output)]) == 0
    return output


def test_committed_client_matches_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    """What `make check-generated` runs in CI: exit 0 on the checkout."""
    assert check_generated.main([]) == 0
    assert "matches" in capsys.readouterr().out


def test_two_regenerations_are_byte_identical(regenerated: Path, tmp_path: Path) -> None:
    """No timestamps, absolute paths or cache files: a second run writes the same bytes."""
    second = tmp_path / "livepeer_gateway_client"
    assert generate.main(["--spec", str(SPEC), "--output", str(second)]) == 0

    first_files, second_files = tree_files(regenerated), tree_files(second)
    assert first_files == second_files
    assert "py.typed" in first_files and "api/generate/upscale.py" in first_files
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
    assert "api/generate/text_to_image.py" in captured.out
    assert "run `make generate`" in captured.err


def test_hand_edit_under_generated_fails_with_a_diff(
    regenerated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edited, an added and a removed file are all reported against a copy of the client."""
    copy = tmp_path / "livepeer_gateway_client"
    shutil.copytree(regenerated, copy)
    client_module = copy / "client.py"
    client_module.write_text(client_module.read_text() + "# patched by hand\n")
    (copy / "extra.py").write_text("VALUE = 1\n")
    (copy / "py.typed").unlink()
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")

    assert check_generated.main(["--spec", str(SPEC), "--output", str(copy)]) == 1
    captured = capsys.readouterr()
    assert "-# patched by hand" in captured.out
    assert "extra.py" in captured.out and "py.typed" in captured.out
    assert "__pycache__" not in captured.out
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
    copy = tmp_path / "livepeer_gateway_client"
    shutil.copytree(regenerated, copy)
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {/x: 5}\n")

    assert generate.main(["--spec", str(broken), "--output", str(copy)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert tree_files(copy) == tree_files(regenerated)

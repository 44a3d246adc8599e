"""The spec tools' command lines: one parser for every command, one map from errors to exits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from livepeer_gateway_tools import check_generated, cli, errors, generate

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = (REPO_ROOT / "scripts", REPO_ROOT / "contract_tests")
PARSER_HOME = REPO_ROOT / "scripts" / "livepeer_gateway_spec" / "cli.py"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.GenerationError, 2),
        (errors.BadInput, 2),
        (errors.GeneratedDrift, 1),
        (errors.LintFailed, 1),
        (errors.VersionNotRaised, 1),
        (errors.ToolError, 2),
    ],
)
def test_each_error_has_its_exit_status(error: type[errors.ToolError], status: int) -> None:
    assert cli.exit_status(error("x")) == status


def test_run_turns_an_error_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def fails() -> int:
        raise errors.VersionNotRaised("breaking, same major")

    assert cli.run("release-notes", fails) == 1
    assert capsys.readouterr().err == "release-notes: breaking, same major\n"


def test_every_command_line_uses_the_one_parser() -> None:
    """No argparse.ArgumentParser built or subclassed outside the spec core's OneLineParser."""
    offenders = []
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            if path == PARSER_HOME:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                named = [node.func] if isinstance(node, ast.Call) else getattr(node, "bases", [])
                for target in named:
                    if isinstance(target, ast.Attribute | ast.Name) and (
                        getattr(target, "attr", None) == "ArgumentParser"
                        or getattr(target, "id", None) == "ArgumentParser"
                    ):
                        offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == []


def _options(command: object, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        command(["--help"])  # type: ignore[operator]
    return capsys.readouterr().out.split("options:", 1)[1]


def test_generate_and_check_share_their_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert _options(generate.main, capsys) == _options(check_generated.main, capsys)

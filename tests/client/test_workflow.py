"""The CI workflow: valid against GitHub's schema (check-jsonschema, offline), and the rules."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "contract.yml"
VENV_ACTION = REPO_ROOT / ".github" / "actions" / "venv" / "action.yml"
#: A remote action pinned to a full commit SHA, the release it is in written as a comment.
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with a schema vendored in the package: no network is needed."""
    executable = Path(sys.executable).with_name("check-jsonschema")
    command = [str(executable if executable.exists() else shutil.which("check-jsonschema"))]
    return subprocess.run(
        [*command, "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _document(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _uses_lines(path: Path) -> Iterator[str]:
    """The text after `uses:` on each line, comment included (the YAML parser drops it)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip().removeprefix("- ")
        if stripped.startswith("uses:"):
            yield stripped.removeprefix("uses:").strip()


def test_workflow_and_action_match_githubs_schemas() -> None:
    for schema, path in (
        ("vendor.github-workflows", WORKFLOW),
        ("vendor.github-actions", VENV_ACTION),
    ):
        completed = _check_jsonschema(schema, path)
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_validator_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The schema check can fail: a job with a misspelt key is refused."""
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text(encoding="utf-8").replace("timeout-minutes: 10", "timeout: 10", 1)
    broken.write_text(text, encoding="utf-8")
    completed = _check_jsonschema("vendor.github-workflows", broken)
    assert completed.returncode == 1, completed.stdout


def test_every_remote_action_is_pinned_to_a_commit() -> None:
    uses = [*_uses_lines(WORKFLOW), *_uses_lines(VENV_ACTION)]
    remote = [line for line in uses if not line.startswith("./")]
    assert remote, "no action found"
    assert [line for line in remote if not PINNED.match(line)] == []


def test_every_job_is_bounded_and_every_checkout_keeps_no_credentials() -> None:
    jobs = _document(WORKFLOW)["jobs"]
    assert all(isinstance(job.get("timeout-minutes"), int) for job in jobs.values()), jobs.keys()
    checkouts = [
        step
        for job in jobs.values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]
    assert len(checkouts) == len(jobs)
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_no_colour_switch_and_the_venv_cached_by_pyproject() -> None:
    """FORCE_COLOR set to anything turns colour on; the venv's cache key is the pyprojects' hash."""
    assert "FORCE_COLOR" not in WORKFLOW.read_text(encoding="utf-8")
    steps = _document(VENV_ACTION)["runs"]["steps"]
    (cache,) = [step for step in steps if str(step.get("uses", "")).startswith("actions/cache@")]
    assert cache["with"]["path"] == ".venv"
    assert "hashFiles('pyproject.toml', 'generated/pyproject.toml')" in cache["with"]["key"]


def test_pull_requests_run_the_release_check() -> None:
    document = _document(WORKFLOW)
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers
    runs = [step.get("run", "") for step in document["jobs"]["compat"]["steps"]]
    assert any("make release-check" in run for run in runs)
    assert document["jobs"]["compat"]["if"] == "github.event_name == 'pull_request'"


@pytest.mark.parametrize("path", [WORKFLOW, VENV_ACTION], ids=lambda p: p.name)
def test_workflow_files_are_plain_yaml(path: Path) -> None:
    assert isinstance(_document(path), dict)


def test_lint_and_compat_annotate_the_pull_request() -> None:
    """Both write GitHub annotations, through make targets that pass the format on."""
    jobs = _document(WORKFLOW)["jobs"]
    for job in ("lint-spec", "compat"):
        runs = [step.get("run", "") for step in jobs[job]["steps"]]
        assert any('ARGS="--format github' in run for run in runs), job
    for target in ("lint-spec", "compat OLD=main"):
        completed = subprocess.run(
            ["make", "--no-print-directory", "-n", *target.split(), "ARGS=--format github"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        commands = [line for line in completed.stdout.splitlines() if " -m livepeer_" in line]
        assert commands and "--format github" in commands[-1], completed.stdout

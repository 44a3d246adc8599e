"""The client's version follows `info.version`, and the toolkit's requirement admits it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from livepeer_gateway_spec import load_spec
from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[2]


def _project(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["project"]


def test_client_version_is_the_spec_version() -> None:
    client = _project(REPO_ROOT / "generated" / "pyproject.toml")
    assert client["version"] == load_spec(REPO_ROOT / "openapi.yaml")["info"]["version"]


def test_toolkit_requires_a_client_range_that_admits_the_generated_client() -> None:
    """Raising the spec's major version without widening the toolkit's range fails here."""
    client = _project(REPO_ROOT / "generated" / "pyproject.toml")
    toolkit = _project(REPO_ROOT / "pyproject.toml")
    wanted = [
        Requirement(text)
        for group in [toolkit.get("dependencies", []), *toolkit["optional-dependencies"].values()]
        for text in group
        if Requirement(text).name == client["name"]
    ]
    assert wanted, "the toolkit does not require the client"
    assert all(requirement.specifier.contains(client["version"]) for requirement in wanted)

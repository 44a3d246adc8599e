"""`make release-notes` and `make release-check`: CHANGELOG entries and the major-version gate."""

from __future__ import annotations

import copy
import datetime
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_spec import load_spec
from livepeer_gateway_tools import release_notes

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "openapi.yaml"
DATE = ["--date", "2026-01-02"]


def _write(document: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _breaking(version: str) -> dict[str, Any]:
    """The spec with `Media.seed` made a string (breaks clients reading it) at `version`."""
    document = copy.deepcopy(load_spec(SPEC))
    document["components"]["schemas"]["Media"]["properties"]["seed"]["type"] = "string"
    document["info"]["version"] = version
    return document


def _first_spec_commit() -> str | None:
    """The oldest commit of openapi.yaml, when the checkout has its history."""
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        return None
    completed = subprocess.run(
        ["git", "log", "--format=%H", "--diff-filter=A", "--", "openapi.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    commits = completed.stdout.split()
    return commits[-1] if completed.returncode == 0 and commits else None


def test_notes_on_this_repository_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the first commit of openapi.yaml to now: an entry naming the client's functions."""
    first = _first_spec_commit()
    if first is None:
        pytest.skip("needs a git checkout with the history of openapi.yaml (not a shallow one)")
    monkeypatch.chdir(REPO_ROOT)  # git refs are read from the repository in the working dir
    changelog = tmp_path / "CHANGELOG.md"

    argv = [first, str(SPEC), "--changelog", str(changelog), *DATE]
    assert release_notes.main(argv) == 0
    text = changelog.read_text(encoding="utf-8")
    version = load_spec(SPEC)["info"]["version"]
    assert text.startswith(f"# Changelog\n\n## livepeer-gateway-client {version} (2026-01-02)\n")
    assert "### Behaviour changes" in text
    assert "- `upscale` (413 response): " in text  # the 413 status added since the first spec
    entry = text.removeprefix("# Changelog\n\n")
    assert capsys.readouterr().out.startswith(entry)


def test_sections_group_breaking_behaviour_and_compatible(tmp_path: Path) -> None:
    """A breaking response change and a documentation edit land in their own sections."""
    next_major = int(load_spec(SPEC)["info"]["version"].split(".")[0]) + 1
    document = _breaking(f"{next_major}.0.0")
    document["paths"]["/upscale"]["post"]["summary"] = "Upscale an image"
    old, new = (
        _write(load_spec(SPEC), tmp_path / "old.yaml"),
        _write(document, tmp_path / "new.yaml"),
    )

    release = release_notes.load_release(str(old), str(new))
    entry = release_notes.render_entry(release, datetime.date(2026, 1, 2))
    breaking, _, rest = entry.partition("### Compatible changes")
    assert "### Breaking changes" in breaking
    assert (
        "`text_to_image`, `image_to_image`, `upscale` (200 response, `images[].seed`)" in breaking
    )
    assert "(`/components/schemas/Media/properties/seed/type`)" in breaking
    assert "- `upscale`: " in rest and "(`/paths/~1upscale/post/summary`)" in rest
    assert "major version was not raised" not in entry


def test_check_fails_when_breaking_without_a_new_major(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Breaking at 1.1.0 after 1.0.0: exit 1 and one line; the same at 2.0.0 passes."""
    old = _write(load_spec(SPEC), tmp_path / "old.yaml")
    old_version = load_spec(SPEC)["info"]["version"]
    major = int(old_version.split(".")[0])

    minor_bump = _write(_breaking(f"{major}.9.0"), tmp_path / "minor.yaml")
    assert release_notes.main([str(old), str(minor_bump), "--check"]) == 1
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1
    assert f"{old_version} -> {major}.9.0: raise its major part" in captured.err

    major_bump = _write(_breaking(f"{major + 1}.0.0"), tmp_path / "major.yaml")
    assert release_notes.main([str(old), str(major_bump), "--check"]) == 0


def test_entry_flags_a_breaking_release_without_a_new_major(tmp_path: Path) -> None:
    old = _write(load_spec(SPEC), tmp_path / "old.yaml")
    new = _write(_breaking(load_spec(SPEC)["info"]["version"]), tmp_path / "new.yaml")
    entry = release_notes.render_entry(
        release_notes.load_release(str(old), str(new)), datetime.date(2026, 1, 2)
    )
    assert "**The major version was not raised**" in entry


def test_changelog_keeps_older_entries_and_replaces_its_own(tmp_path: Path) -> None:
    """Written twice for one version: one entry; an older release's entry stays below it."""
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(
        "# Changelog\n\n## livepeer-gateway-client 0.9.0 (2025-12-01)\n\nOlder entry.\n"
    )
    old = _write(load_spec(SPEC), tmp_path / "old.yaml")
    new = _write(_breaking("2.0.0"), tmp_path / "new.yaml")
    for _ in range(2):
        assert release_notes.main([str(old), str(new), "--changelog", str(changelog), *DATE]) == 0

    text = changelog.read_text(encoding="utf-8")
    assert text.count("## livepeer-gateway-client 2.0.0 ") == 1
    assert text.index("2.0.0") < text.index("## livepeer-gateway-client 0.9.0")
    assert text.endswith("Older entry.\n")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["no-such-ref-xyz"], "no-such-ref-xyz"),
        (["--date", "yesterday", "x"], "error: argument --date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = release_notes.main(argv)
    except SystemExit as exit_:
        status = exit_.code
    assert status == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and expected in error


def test_unversioned_spec_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = copy.deepcopy(load_spec(SPEC))
    document["info"]["version"] = "next"
    new = _write(document, tmp_path / "new.yaml")
    old = _write(load_spec(SPEC), tmp_path / "old.yaml")
    assert release_notes.main([str(old), str(new), "--check"]) == 2
    assert "info.version 'next'" in capsys.readouterr().err

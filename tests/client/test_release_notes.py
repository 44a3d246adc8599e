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


def _add_optional_field(document: dict[str, Any]) -> None:
    """A new optional request field: compatible, and on the wire."""
    properties = document["components"]["schemas"]["UpscaleParams"]["properties"]
    properties["style"] = {"type": "string", "description": "A style."}


def _annotate(document: dict[str, Any]) -> None:
    """Three changes to annotations only: a summary, a description, a constraint's source."""
    document["paths"]["/upscale"]["post"]["summary"] = "Upscale an image"
    document["paths"]["/text-to-image"]["post"]["summary"] = "Make an image"
    document["components"]["schemas"]["Seed"]["x-source"]["maximum"] = {"documented": "a page"}


def test_sections_group_breaking_behaviour_and_compatible(tmp_path: Path) -> None:
    """A breaking response change and a new optional field land in their own sections."""
    next_major = int(load_spec(SPEC)["info"]["version"].split(".")[0]) + 1
    document = _breaking(f"{next_major}.0.0")
    _add_optional_field(document)
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
    assert "- `upscale` (request): optional field 'style' added" in rest
    assert "(`/components/schemas/UpscaleParams/properties/style`)" in rest
    assert "major version was not raised" not in entry


def test_annotation_only_changes_are_one_count_line(tmp_path: Path) -> None:
    """Edits that change nothing on the wire are counted on one line, never listed one by one;
    a change on the wire next to them is still listed."""
    document = copy.deepcopy(load_spec(SPEC))
    _annotate(document)
    _add_optional_field(document)
    old = _write(load_spec(SPEC), tmp_path / "old.yaml")
    new = _write(document, tmp_path / "new.yaml")

    entry = release_notes.render_entry(
        release_notes.load_release(str(old), str(new)), datetime.date(2026, 1, 2)
    )
    assert "summary" not in entry and "x-source" not in entry
    (count_line,) = [line for line in entry.splitlines() if "annotation-only" in line]
    assert count_line.startswith("Also 3 annotation-only change(s) (2 documentation, 1 ")
    assert "nothing on the wire changes" in count_line
    assert "optional field 'style' added" in entry  # the wire change is still listed

    only_annotations = copy.deepcopy(load_spec(SPEC))
    _annotate(only_annotations)
    entry = release_notes.render_entry(
        release_notes.load_release(str(old), str(_write(only_annotations, new))),
        datetime.date(2026, 1, 2),
    )
    assert "No change a client can see." in entry and "###" not in entry


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


def test_changelog_keeps_older_entries_and_replaces_its_own_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second entry for one version is refused (exit 2, one line, the file untouched) unless
    --replace, which rewrites it in place; an older release's entry stays below it."""
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(
        "# Changelog\n\n## livepeer-gateway-client 0.9.0 (2025-12-01)\n\nOlder entry.\n"
    )
    old = _write(load_spec(SPEC), tmp_path / "old.yaml")
    new = _write(_breaking("2.0.0"), tmp_path / "new.yaml")
    argv = [str(old), str(new), "--changelog", str(changelog)]
    assert release_notes.main([*argv, *DATE]) == 0
    first = changelog.read_text(encoding="utf-8")
    capsys.readouterr()

    assert release_notes.main([*argv, "--date", "2026-02-03"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "already has an entry for 2.0.0" in captured.err and "--replace" in captured.err
    assert changelog.read_text(encoding="utf-8") == first

    assert release_notes.main([*argv, "--date", "2026-02-03", "--replace"]) == 0
    text = changelog.read_text(encoding="utf-8")
    assert text.count("## livepeer-gateway-client 2.0.0 ") == 1
    assert "## livepeer-gateway-client 2.0.0 (2026-02-03)" in text
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

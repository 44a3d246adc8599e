"""`livepeer-spec-compat`: exit codes, git refs, Markdown and CI summaries, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from livepeer_gateway_compat import main
from livepeer_gateway_spec import DEFAULT_SPEC_PATH

SPEC_TEXT = DEFAULT_SPEC_PATH.read_text(encoding="utf-8")


def _dangling_ref_text() -> str:
    """The real spec with one `$ref` pointed at a schema that does not exist."""
    document = yaml.safe_load(SPEC_TEXT)
    seed = document["components"]["schemas"]["TextToImageParams"]["properties"]["seed"]
    seed["$ref"] = "#/components/schemas/Missing"
    return yaml.safe_dump(document, sort_keys=False)


DANGLING_REF_TEXT = _dangling_ref_text()


def _write_spec(path: Path, edit: dict | None = None) -> Path:
    """Write the real spec to `path`, with `Seed.maximum` set to `edit['seed_max']` if given."""
    document = yaml.safe_load(SPEC_TEXT)
    if edit:
        document["components"]["schemas"]["Seed"]["maximum"] = edit["seed_max"]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_identical_specs_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The spec against itself: exit 0 and a compatible verdict."""
    code, out, _ = _run([str(DEFAULT_SPEC_PATH), str(DEFAULT_SPEC_PATH)], capsys)
    assert code == 0
    assert "compatible" in out.splitlines()[0]


def test_breaking_edit_exits_1_and_names_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tightened shared bound: exit 1, the component's pointer and the three operations."""
    new = _write_spec(tmp_path / "new.yaml", {"seed_max": 65535})
    code, out, _ = _run([str(DEFAULT_SPEC_PATH), str(new)], capsys)
    assert code == 1
    assert "breaking-gateway  /components/schemas/Seed/maximum" in out
    assert "POST /text-to-image" in out and "POST /upscale" in out


def test_loosening_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reverse edit (a bound loosened) is compatible: exit 0, listed as compatible."""
    old = _write_spec(tmp_path / "old.yaml", {"seed_max": 65535})
    code, out, _ = _run([str(old), str(DEFAULT_SPEC_PATH)], capsys)
    assert code == 0
    assert "compatible        /components/schemas/Seed/maximum" in out


def test_markdown_output_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format markdown prints a table, --output writes it, --summary appends it."""
    new = _write_spec(tmp_path / "new.yaml", {"seed_max": 65535})
    report, summary = tmp_path / "out" / "compat.md", tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    argv = [str(DEFAULT_SPEC_PATH), str(new), "--format", "markdown", "--output", str(report)]
    code, out, _ = _run([*argv, "--summary", str(summary)], capsys)
    assert code == 1
    assert out.startswith("## OpenAPI compatibility")
    assert "| `breaking-gateway` | `/components/schemas/Seed/maximum` |" in out
    assert report.read_text(encoding="utf-8") == out
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just: [a, list\n", "is not valid YAML"),
        ("name: not a spec\n", "is not an OpenAPI document"),
        (DANGLING_REF_TEXT, "unresolvable $ref"),
    ],
    ids=["not-yaml", "not-openapi", "dangling-ref"],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """Bad input: exit 2, nothing on stdout, one line on stderr saying what is wrong."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    code, out, err = _run([str(DEFAULT_SPEC_PATH), str(bad)], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong argument is a one-line usage error with exit 2."""
    with pytest.raises(SystemExit) as raised:
        main([str(DEFAULT_SPEC_PATH), "--format", "html"])
    assert raised.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def _git(repository: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repository,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the real spec and a copy under specs/."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "openapi.yaml").write_text(SPEC_TEXT, encoding="utf-8")
    (repo / "specs").mkdir()
    (repo / "specs" / "v1.yaml").write_text(SPEC_TEXT, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    _write_spec(repo / "openapi.yaml", {"seed_max": 65535})
    return repo


def test_git_ref_as_old_through_the_real_command(repository: Path) -> None:
    """`python -m livepeer_gateway_compat HEAD` in a repository compares the committed spec."""
    completed = subprocess.run(
        [sys.executable, "-m", "livepeer_gateway_compat", "HEAD"],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith("HEAD:openapi.yaml -> openapi.yaml: BREAKING")
    assert "/components/schemas/Seed/maximum" in completed.stdout


def test_git_ref_with_path(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`REF:path` reads another path at that ref; the same content compares equal."""
    monkeypatch.chdir(repository)
    code, out, _ = _run(["HEAD:specs/v1.yaml", "HEAD"], capsys)
    assert code == 0
    assert out.startswith("HEAD:specs/v1.yaml -> HEAD:openapi.yaml: compatible")


def test_unknown_git_ref_exits_2(
    repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ref git does not know: exit 2 with one line naming it, no traceback."""
    monkeypatch.chdir(repository)
    code, out, err = _run(["no-such-branch"], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("livepeer-spec-compat: no-such-branch: no such file")
    assert "no-such-branch:openapi.yaml" in err and "Traceback" not in err

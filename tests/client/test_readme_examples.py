"""The client's README examples, run as written against the reference gateway, so they cannot rot.

The only change made to them: the documented server's URL (the spec's first server) is replaced by
the local reference gateway's. They run in a fresh interpreter, with the token in the environment,
in a folder holding the `photo.png` the upload example names.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from livepeer_gateway_spec import TOKEN_ENV, load_spec

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
CLIENT_README = REPO_ROOT / "generated" / "README.md"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
#: Longest line an example may print: a summary, never an image's data URL.
SHORT = 120


def client_section_examples() -> str:
    """The Python blocks of README.md's client section, in order, as one program."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- BEGIN client -->") : text.index("<!-- END client -->")]
    blocks = PYTHON_BLOCK.findall(section)
    assert len(blocks) >= 2, "the client section lost its examples"
    return "\n".join(blocks)


def client_readme_examples() -> str:
    """The Python blocks of the client distribution's own README (generated/README.md)."""
    blocks = PYTHON_BLOCK.findall(CLIENT_README.read_text(encoding="utf-8"))
    assert blocks, "generated/README.md lost its example"
    return "\n".join(blocks)


def _run(program: str, gateway_url: str, token: str, workdir: Path) -> list[str]:
    documented = load_spec()["servers"][0]["url"]
    assert documented in program, "the examples no longer use the spec's server"
    program = program.replace(documented, gateway_url)
    env = {**os.environ, TOKEN_ENV: token}
    completed = subprocess.run(
        [sys.executable, "-c", program],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    lines = completed.stdout.splitlines()
    assert lines and all(len(line) <= SHORT for line in lines), lines
    assert token not in completed.stdout
    return lines


@pytest.fixture
def workdir(tmp_path: Path, png_bytes: bytes) -> Path:
    (tmp_path / "photo.png").write_bytes(png_bytes)
    return tmp_path


def test_readme_examples_succeed_with_the_right_token(
    gateway_url: str, token: str, workdir: Path
) -> None:
    lines = _run(client_section_examples(), gateway_url, token, workdir)
    assert lines == ["1 image(s), first with seed " + lines[0].rsplit(" ", 1)[1], lines[1]]
    assert lines[1] == "1 image(s) of the uploaded photo's size"


def test_readme_examples_report_a_wrong_token_in_one_line(gateway_url: str, workdir: Path) -> None:
    """A refused token is printed as the gateway's message, not an AttributeError."""
    lines = _run(client_section_examples(), gateway_url, "wrong-token", workdir)
    assert lines[0].startswith("refused: ")
    assert lines[1].startswith("gateway answered 401: ")


def test_client_readme_example_runs(gateway_url: str, token: str, workdir: Path) -> None:
    (line,) = _run(client_readme_examples(), gateway_url, token, workdir)
    assert line.startswith("1 image(s), seed ")

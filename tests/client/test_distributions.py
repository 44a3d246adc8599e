"""The two distributions built and installed as users would: the client alone, the toolkit.

Both are built from copies of the checkout (nothing is written into it), checked with twine, and
installed into fresh virtualenvs with pip: the project's own wheels from the build folder, their
dependencies from the package index through pip's cache. The commands then run from a folder that
holds no spec and no source.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from livepeer_gateway_spec import load_spec

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLKIT_SOURCES = ("pyproject.toml", "README.md", "openapi.yaml", "contract_tests", "scripts")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
#: Never in the client's environment: the suite's and the gateway's dependencies.
NOT_FOR_CLIENTS = {"schemathesis", "starlette", "uvicorn", "pytest", "hypothesis", "pillow"}
#: Never in the conformance operator's environment: the maintainers' generator and linter.
NOT_FOR_OPERATORS = {"openapi-python-client", "ruff", "livepeer-ai"}


@dataclass(frozen=True)
class Dists:
    """The wheels and sdists of the client and the toolkit, all in one folder."""

    folder: Path

    def one(self, pattern: str) -> Path:
        (found,) = self.folder.glob(pattern)
        return found


def _run(command: list[str | Path], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        **kwargs,  # type: ignore[arg-type]
    )
    assert completed.returncode == 0, f"{command}\n{completed.stdout}\n{completed.stderr}"
    return completed


def _build(source: Path, outdir: Path) -> None:
    # --no-isolation: the dev extra holds the build backend, so no download is needed here.
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", outdir, source], source)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """`python -m build` of generated/ and of the toolkit, from copies of the checkout."""
    work = tmp_path_factory.mktemp("dists")
    client = work / "client-src"
    shutil.copytree(REPO_ROOT / "generated", client, ignore=IGNORED)
    toolkit = work / "toolkit-src"
    toolkit.mkdir()
    for name in TOOLKIT_SOURCES:
        source, target = REPO_ROOT / name, toolkit / name
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, ignore=IGNORED)
        else:
            shutil.copy2(source, target)
    out = work / "dist"
    _build(client, out)
    _build(toolkit, out)
    return Dists(out)


def _fresh_venv(path: Path) -> Path:
    """A new virtualenv without pip; the test's own pip installs into it (`pip --python`)."""
    venv.EnvBuilder(with_pip=False).create(path)
    return path / "bin" / "python"


def _pip_install(python: Path, dists: Dists, *requirements: str | Path) -> None:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--find-links",
            dists.folder,
            *requirements,
        ],
        dists.folder,
    )


def _installed(python: Path) -> set[str]:
    listed = _run(
        [sys.executable, "-m", "pip", "--python", python, "list", "--format=json"], Path.cwd()
    )
    return {entry["name"].lower() for entry in json.loads(listed.stdout)}


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with no openapi.yaml and no source of the project."""
    return tmp_path_factory.mktemp("elsewhere")


def test_both_distributions_pass_twine_check(dists: Dists) -> None:
    files = sorted(dists.folder.iterdir())
    assert len(files) == 4, files  # a wheel and an sdist each
    completed = _run([sys.executable, "-m", "twine", "check", "--strict", *files], dists.folder)
    assert completed.stdout.count("PASSED") == 4


def test_client_wheel_holds_the_package_typed_and_versioned(dists: Dists) -> None:
    """Only `livepeer_gateway_client`, with py.typed, at the spec's info.version."""
    version = load_spec(REPO_ROOT / "openapi.yaml")["info"]["version"]
    wheel = dists.one(f"livepeer_gateway_client-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"livepeer_gateway_client-{version}.dist-info/METADATA").decode()
    assert {name.split("/")[0] for name in names} == {
        "livepeer_gateway_client",
        f"livepeer_gateway_client-{version}.dist-info",
    }
    assert "livepeer_gateway_client/py.typed" in names
    requires = sorted(line for line in metadata.splitlines() if line.startswith("Requires-Dist:"))
    assert [line.split()[1].split(">")[0].split("<")[0] for line in requires] == ["attrs", "httpx"]
    assert "Requires-Python: >=3.11" in metadata


def test_toolkit_wheel_ships_the_spec_and_no_maintainer_code(dists: Dists) -> None:
    """openapi.yaml as a real file, distinctive top-level names, no benchmarks, no tests."""
    wheel = dists.one("livepeer_gateway_toolkit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        bundled = archive.read("livepeer_gateway_spec/openapi.yaml")
    assert bundled == (REPO_ROOT / "openapi.yaml").read_bytes()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {
        "livepeer_gateway_spec",
        "livepeer_gateway_compat",
        "livepeer_gateway_tools",
        "livepeer_conformance",
        "livepeer_reference_gateway",
    }
    assert "livepeer_gateway_tools/generator/templates/pyproject.toml.jinja" in names


@pytest.fixture(scope="module")
def client_venv(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the client wheel and what it depends on, nothing else."""
    python = _fresh_venv(tmp_path_factory.mktemp("client-venv") / "venv")
    _pip_install(python, dists, "livepeer-gateway-client")
    return python


def test_client_installs_alone(client_venv: Path) -> None:
    """httpx and attrs and what they pull in: no suite, gateway or test runner."""
    installed = _installed(client_venv)
    assert "livepeer-gateway-client" in installed
    assert {"httpx", "attrs"} <= installed
    assert not installed & NOT_FOR_CLIENTS
    assert not installed & {"livepeer-gateway-toolkit", "pyyaml"}
    print(f"client-only venv: {len(installed)} distributions: {sorted(installed)}")


def test_installed_client_drives_the_reference_gateway(
    client_venv: Path, gateway_url: str, token: str, elsewhere: Path
) -> None:
    """The wheel's client, in its own environment, generates an image on the reference gateway."""
    script = (
        "import os\n"
        "from livepeer_gateway_client import AuthenticatedClient\n"
        "from livepeer_gateway_client.api.generate import text_to_image\n"
        "from livepeer_gateway_client.models import ImageResponse, TextToImageParams\n"
        "client = AuthenticatedClient(base_url=os.environ['URL'], token=os.environ['TOKEN'])\n"
        "body = TextToImageParams(prompt='a lighthouse', width=64, height=64, seed=5)\n"
        "result = text_to_image.sync(client=client, body=body)\n"
        "assert isinstance(result, ImageResponse), result\n"
        "print(len(result.images), result.images[0].seed, text_to_image.__file__)\n"
    )
    env = {**os.environ, "URL": gateway_url, "TOKEN": token}
    env.pop("PYTHONPATH", None)
    completed = _run([client_venv, "-c", script], elsewhere, env=env)
    count, seed, module = completed.stdout.split()
    assert (count, seed) == ("1", "5")
    assert Path(module).is_relative_to(client_venv.parent.parent)  # the wheel's copy


@pytest.fixture(scope="module")
def operator_venv(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the toolkit wheel's `conformance` extra, as operators install it."""
    python = _fresh_venv(tmp_path_factory.mktemp("operator-venv") / "venv")
    wheel = dists.one("livepeer_gateway_toolkit-*.whl")
    _pip_install(python, dists, f"livepeer-gateway-toolkit[conformance] @ {wheel.as_uri()}")
    return python


def test_commands_without_their_extra_name_it_in_one_line(
    dists: Dists, tmp_path_factory: pytest.TempPathFactory, elsewhere: Path
) -> None:
    """A bare `pip install` of the toolkit's wheel: each command whose extra is missing says
    which extra to install, in one line, and exits 2."""
    python = _fresh_venv(tmp_path_factory.mktemp("bare-venv") / "venv")
    _pip_install(python, dists, dists.one("livepeer_gateway_toolkit-*.whl"))
    assert "httpx" not in _installed(python) and "starlette" not in _installed(python)
    for command, extra in (
        ("livepeer-conformance", "conformance"),
        ("livepeer-reference-gateway", "gateway"),
    ):
        completed = subprocess.run(
            [str(python.parent / command), "--help"],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 2, completed.stderr
        (line,) = completed.stderr.splitlines()
        assert f"pip install 'livepeer-gateway-toolkit[{extra}]'" in line


def test_operator_gets_no_generator_or_linter(operator_venv: Path) -> None:
    installed = _installed(operator_venv)
    assert {"livepeer-gateway-toolkit", "livepeer-gateway-client", "schemathesis"} <= installed
    assert not installed & NOT_FOR_OPERATORS


def test_installed_conformance_runs_from_another_directory(
    operator_venv: Path, elsewhere: Path
) -> None:
    """`livepeer-conformance run` reads the bundled spec and checks the embedded gateway."""
    bin_dir = operator_venv.parent
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "LIVEPEER_OPENAPI"}}
    completed = _run(
        [
            bin_dir / "livepeer-conformance",
            "run",
            "--operation",
            "upscale",
            # Room for every check and edge probe of the operation: a run that leaves some
            # unchecked is incomplete (exit 3), not conforms.
            "--max-requests",
            "80",
            "--seed",
            "1",
            "--report-dir",
            elsewhere / "reports",
        ],
        elsewhere,
        env=env,
    )
    assert "embedded reference gateway: conforms" in completed.stdout
    assert (elsewhere / "reports" / "conformance.json").is_file()

    helped = _run([bin_dir / "livepeer-reference-gateway", "--help"], elsewhere, env=env)
    assert "usage: livepeer-reference-gateway" in helped.stdout

"""`make generate`: regenerate generated/livepeer_gateway_client from openapi.yaml."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from livepeer_gateway_spec import spec_path
from livepeer_gateway_spec.cli import OneLineParser

PACKAGE_NAME = "livepeer_gateway_client"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO_ROOT / "generated" / PACKAGE_NAME
GENERATOR_DIR = Path(__file__).resolve().parent / "generator"
CONFIG_PATH = GENERATOR_DIR / "config.yaml"
TEMPLATES_DIR = GENERATOR_DIR / "templates"

# Passed on the command line with --isolated so that no ruff.toml or pyproject.toml around the
# output folder (a temporary one, or the checkout's) can change the bytes written.
RUFF_COMMON = ("--isolated", "--no-cache", "--line-length=100", "--target-version=py311")
RUFF_FIX = ("check", "--fix-only", "--extend-select=I", "--exit-zero", "--quiet")
PEP_561_MARKER = "# Marker file for PEP 561\n"


class GenerationError(Exception):
    """The client cannot be generated; the message is one line."""


def render_client(spec: Path, destination: Path) -> None:
    """Generate the formatted client package for `spec` into `destination`, a new folder."""
    if destination.exists():
        raise GenerationError(f"{destination} already exists")
    if not spec.is_file():
        raise GenerationError(f"cannot read spec {spec}: no such file")
    _run_generator(spec, destination)
    (destination / "py.typed").write_text(PEP_561_MARKER, encoding="utf-8")
    _format(destination)


def _run_generator(spec: Path, destination: Path) -> None:
    try:
        from openapi_python_client import generate
        from openapi_python_client.config import Config, ConfigFile, MetaType
    except ImportError as exc:
        raise GenerationError(f"openapi-python-client is not installed: {exc}") from None
    try:
        config = Config.from_sources(
            ConfigFile.load_from_path(CONFIG_PATH),
            MetaType.NONE,
            spec,
            "utf-8",
            overwrite=False,
            output_path=destination,
        )
        # The generator prints progress on stdout; only its returned errors matter here.
        with contextlib.redirect_stdout(io.StringIO()):
            problems = generate(config=config, custom_template_path=TEMPLATES_DIR)
    except Exception as exc:  # the generator's own failures (templates, parser) end here
        reason = f"{type(exc).__name__}: {exc}"
        raise GenerationError(f"openapi-python-client failed: {reason}") from None
    if problems:
        details = "; ".join(
            " ".join(str(part) for part in (p.level.value, p.header, p.detail) if part)
            for p in problems
        )
        raise GenerationError(f"openapi-python-client reported: {' '.join(details.split())}")
    if not (destination / "__init__.py").is_file():
        raise GenerationError(f"openapi-python-client wrote no package into {destination}")


def _format(package_dir: Path) -> None:
    # The virtualenv's pinned ruff, never whichever one is first on PATH.
    for arguments in (RUFF_FIX, ("format", "--quiet")):
        command = [sys.executable, "-m", "ruff", *arguments, *RUFF_COMMON, package_dir.name]
        try:
            result = subprocess.run(
                command, cwd=package_dir.parent, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise GenerationError(f"cannot run ruff: {exc}") from None
        if result.returncode != 0:
            reason = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
            raise GenerationError(f"ruff {arguments[0]} failed: {reason[-1]}")


def regenerate(spec: Path, output: Path) -> None:
    """Replace `output` with the client generated from `spec`; on failure `output` is untouched."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="livepeer-generate-") as workdir:
        staged = Path(workdir) / PACKAGE_NAME
        render_client(spec, staged)
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(staged, output)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit 0 when regenerated, 2 when the generator cannot run."""
    parser = OneLineParser(prog="make generate", description=__doc__)
    parser.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="OpenAPI document (default: $LIVEPEER_OPENAPI or openapi.yaml)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="package folder to write"
    )
    args = parser.parse_args(argv)
    args.spec = args.spec or spec_path()
    try:
        regenerate(args.spec, args.output)
    except GenerationError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    print(f"generate: wrote {display_path(args.output)} from {display_path(args.spec)}")
    return 0


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, for messages."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

"""`make generate`: regenerate the client's project (generated/) from openapi.yaml.

The project is the package `livepeer_gateway_client` and what makes it a distribution of its own
(`pyproject.toml`, `README.md`, `.gitignore`), all written by openapi-python-client from the
templates beside this module, and the repository's `LICENSE`. The templates also see facts the
generator does not keep (`spec_facts`), read here through the spec core. Exit 0 when written,
2 when the generator cannot run or would leave part of the spec out (a `$ref` naming nothing,
any warning of the generator).
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from livepeer_gateway_spec import SpecError, largest_answer_bytes, load_spec
from livepeer_gateway_spec.pointers import dangling_refs

from livepeer_gateway_tools import cli
from livepeer_gateway_tools.errors import GenerationError

PACKAGE_NAME = "livepeer_gateway_client"
GENERATOR_DIR = Path(__file__).resolve().parent / "generator"
CONFIG_PATH = GENERATOR_DIR / "config.yaml"
TEMPLATES_DIR = GENERATOR_DIR / "templates"
LICENSE_PATH = Path(__file__).resolve().parents[2] / "LICENSE"

# Passed on the command line with --isolated so that no ruff.toml or pyproject.toml around the
# output folder (a temporary one, or the checkout's) can change the bytes written.
RUFF_COMMON = ("--isolated", "--no-cache", "--line-length=100", "--target-version=py311")
RUFF_FIX = ("check", "--fix-only", "--extend-select=I", "--exit-zero", "--quiet")
PEP_561_MARKER = "# Marker file for PEP 561\n"

# Written when the client is used or built, never by the generator (generated/.gitignore).
IGNORED_PARTS = frozenset({"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"})
IGNORED_TOP = frozenset({"build", "dist"})
IGNORED_SUFFIXES = frozenset({".pyc", ".pyo"})

# The generator's messages carry reprs of its own string wrapper; they say nothing to a reader.
_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>")


def is_generated_path(relative: Path) -> bool:
    """Whether a path under the project folder is the generator's (not a cache or a build)."""
    parts = relative.parts
    return not (
        IGNORED_PARTS.intersection(parts)
        or (parts and parts[0] in IGNORED_TOP)
        or any(part.endswith(".egg-info") for part in parts)
        or relative.suffix in IGNORED_SUFFIXES
    )


def tree_files(root: Path) -> dict[str, bytes]:
    """Relative POSIX path -> bytes of every generated file under `root`."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and is_generated_path(path.relative_to(root))
    }


def render_client(spec: Path, destination: Path) -> None:
    """Generate the client's project for `spec` into `destination`, a new folder."""
    if destination.exists():
        raise GenerationError(f"{destination} already exists")
    if not spec.is_file():
        raise GenerationError(f"cannot read spec {spec}: no such file")
    document = load_spec(spec)
    _refuse_dangling_refs(spec, document)
    try:
        facts = spec_facts(document)
    except SpecError as exc:
        raise GenerationError(f"{cli.display_path(spec)}: {exc}") from None
    _run_generator(spec, destination, document, facts)
    package = destination / PACKAGE_NAME
    (package / "py.typed").write_text(PEP_561_MARKER, encoding="utf-8")
    # The client is a distribution of its own: it carries the license its metadata declares.
    try:
        (destination / "LICENSE").write_bytes(LICENSE_PATH.read_bytes())
    except OSError as exc:
        raise GenerationError(f"cannot copy the license: {exc}") from None
    _format(package)


def spec_facts(document: dict) -> dict[str, object]:
    """What the templates need from the spec beyond what openapi-python-client parses."""
    return {
        "max_answer_bytes": largest_answer_bytes(document),
        "servers": [server["url"] for server in document.get("servers", []) if "url" in server],
    }


def _refuse_dangling_refs(spec: Path, document: dict) -> None:
    # The generator drops a response or a field whose $ref names nothing, with only a warning.
    dangling = dangling_refs(document)
    if dangling:
        where, ref = dangling[0]
        more = f" (and {len(dangling) - 1} more)" if len(dangling) > 1 else ""
        raise GenerationError(
            f"{cli.display_path(spec)}: $ref {ref!r} at {where} names nothing{more}"
        )


def _run_generator(spec: Path, destination: Path, document: dict, facts: dict[str, object]) -> None:
    try:
        from openapi_python_client import Project
        from openapi_python_client.config import Config, ConfigFile, MetaType
        from openapi_python_client.parser import GeneratorData
    except ImportError as exc:
        raise GenerationError(f"openapi-python-client is not installed: {exc}") from None
    try:
        config = Config.from_sources(
            ConfigFile.load_from_path(CONFIG_PATH),
            # Any meta type but `none` makes the generator write pyproject.toml, README.md and
            # .gitignore beside the package; templates/pyproject.toml.jinja replaces the
            # backend-specific pyproject with the project's own (setuptools), whatever the type.
            MetaType.PDM,
            spec,
            "utf-8",
            overwrite=False,
            output_path=destination,
        )
        # The generator prints progress on stdout; only its returned problems matter here.
        with contextlib.redirect_stdout(io.StringIO()):
            # openapi-python-client's own `generate`, from the document the spec core loaded
            # (strict YAML), with the facts its parser does not keep given to the templates.
            openapi = GeneratorData.from_dict(copy.deepcopy(document), config=config)
            if isinstance(openapi, GeneratorData):
                project = Project(
                    openapi=openapi, config=config, custom_template_path=TEMPLATES_DIR
                )
                project.env.globals["spec_facts"] = facts
                problems = list(project.build())
            else:
                problems = [openapi]
    except Exception as exc:  # the generator's own failures (templates, parser) end here
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise GenerationError(f"openapi-python-client failed: {reason}") from None
    if problems:
        # A warning means part of the spec was skipped: the client would silently lack it.
        first = problems[0]
        text = " ".join(str(part) for part in (first.header, first.detail) if part)
        text = " ".join(_OBJECT_REPR.sub("a value", text).split())
        raise GenerationError(
            f"openapi-python-client would leave part of the spec out "
            f"({len(problems)} problem(s)); first: {text}"
        )
    if not (destination / PACKAGE_NAME / "__init__.py").is_file():
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


def _sync(staged: Path, output: Path) -> None:
    """Make the generated files under `output` those of `staged`; caches and builds stay."""
    expected, present = tree_files(staged), tree_files(output)
    for name in sorted(present.keys() - expected.keys()):
        (output / name).unlink()
    for name, content in expected.items():
        if present.get(name) != content:
            target = output / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    folders = sorted((p for p in output.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
    for folder in folders:
        if is_generated_path(folder.relative_to(output)) and not any(folder.iterdir()):
            folder.rmdir()


def regenerate(spec: Path, output: Path) -> None:
    """Make `output` the project generated from `spec`; on failure `output` is untouched."""
    with tempfile.TemporaryDirectory(prefix="livepeer-generate-") as workdir:
        staged = Path(workdir) / "generated"
        render_client(spec, staged)
        output.mkdir(parents=True, exist_ok=True)
        _sync(staged, output)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit 0 when regenerated, 2 when the generator cannot run."""
    parser = cli.parser("make generate", __doc__)
    cli.add_generation_arguments(parser)
    args = parser.parse_args(argv)
    spec = cli.chosen_spec(args.spec)

    def action() -> int:
        regenerate(spec, args.output)
        print(f"generate: wrote {cli.display_path(args.output)} from {cli.display_path(spec)}")
        return cli.EXIT_OK

    return cli.run("generate", action)


if __name__ == "__main__":
    sys.exit(main())

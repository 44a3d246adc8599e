"""`make check-generated`: fail with a diff when generated/ is not what openapi.yaml produces.

Exit 0 when the committed client is exactly what the spec produces, 1 when it differs (the spec
was edited without regenerating, or the generated code was edited by hand), 2 when the
generator cannot run.
"""

from __future__ import annotations

import difflib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from livepeer_gateway_spec import spec_path
from livepeer_gateway_spec.cli import OneLineParser

from livepeer_gateway_tools.generate import (
    DEFAULT_OUTPUT,
    PACKAGE_NAME,
    GenerationError,
    display_path,
    render_client,
)

# Written by Python and tools when the package is used, never by the generator.
IGNORED_PARTS = frozenset({"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"})
IGNORED_SUFFIXES = frozenset({".pyc", ".pyo"})


@dataclass(frozen=True)
class TreeDifference:
    """Files only in the expected tree, only in the actual one, and in both with other bytes."""

    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.missing or self.unexpected or self.changed)

    def summary(self) -> str:
        return (
            f"{len(self.changed)} changed, {len(self.missing)} missing, "
            f"{len(self.unexpected)} not produced by the spec"
        )


def tree_files(root: Path) -> dict[str, bytes]:
    """Relative POSIX path -> bytes of every file under `root`, caches left out."""
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not IGNORED_PARTS.intersection(path.relative_to(root).parts)
        and path.suffix not in IGNORED_SUFFIXES
    }


def compare_trees(expected: dict[str, bytes], actual: dict[str, bytes]) -> TreeDifference:
    """How `actual` departs from `expected`."""
    shared = expected.keys() & actual.keys()
    return TreeDifference(
        missing=tuple(sorted(expected.keys() - actual.keys())),
        unexpected=tuple(sorted(actual.keys() - expected.keys())),
        changed=tuple(sorted(name for name in shared if expected[name] != actual[name])),
    )


def unified_diff(expected: dict[str, bytes], actual: dict[str, bytes], label: str) -> Iterator[str]:
    """Unified diff lines from `actual` (what is committed) to `expected` (what the spec makes)."""
    for name in sorted(expected.keys() | actual.keys()):
        before, after = actual.get(name), expected.get(name)
        if before == after:
            continue
        old_label = f"{label}/{name}" if before is not None else "/dev/null"
        new_label = f"{label}/{name} (from the spec)" if after is not None else "/dev/null"
        try:
            old_lines = (before or b"").decode("utf-8").splitlines(keepends=True)
            new_lines = (after or b"").decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            yield f"Binary files {old_label} and {new_label} differ\n"
            continue
        for line in difflib.unified_diff(old_lines, new_lines, old_label, new_label):
            yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def check(spec: Path, committed: Path) -> tuple[TreeDifference, list[str]]:
    """Regenerate from `spec` into a temporary folder and compare it with `committed`."""
    with tempfile.TemporaryDirectory(prefix="livepeer-check-generated-") as workdir:
        fresh = Path(workdir) / PACKAGE_NAME
        render_client(spec, fresh)
        expected = tree_files(fresh)
    actual = tree_files(committed)
    diff = list(unified_diff(expected, actual, display_path(committed)))
    return compare_trees(expected, actual), diff


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit 0 same, 1 differs, 2 when the generator cannot run."""
    parser = OneLineParser(prog="make check-generated", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="OpenAPI document (default: $LIVEPEER_OPENAPI or openapi.yaml)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="committed package folder to check"
    )
    args = parser.parse_args(argv)
    args.spec = args.spec or spec_path()
    try:
        difference, diff = check(args.spec, args.output)
    except GenerationError as exc:
        print(f"check-generated: cannot regenerate: {exc}", file=sys.stderr)
        return 2
    if difference.is_empty:
        print(f"check-generated: {display_path(args.output)} matches {display_path(args.spec)}")
        return 0
    sys.stdout.writelines(diff)
    print(
        f"check-generated: {display_path(args.output)} differs from what {display_path(args.spec)} "
        f"produces ({difference.summary()}); run `make generate` and never edit it by hand",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())

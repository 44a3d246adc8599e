"""`make check-generated`: fail with a diff when generated/ is not what openapi.yaml produces.

Covers the whole client project: the package and its pyproject.toml, README.md and .gitignore.
Exit 0 when the committed project is exactly what the spec produces, 1 when it differs (the spec
was edited without regenerating, or the generated code was edited by hand), 2 when the
generator cannot run or would leave part of the spec out.
"""

from __future__ import annotations

import difflib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from livepeer_gateway_tools import cli
from livepeer_gateway_tools.errors import GeneratedDrift
from livepeer_gateway_tools.generate import render_client, tree_files


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
        fresh = Path(workdir) / "generated"
        render_client(spec, fresh)
        expected = tree_files(fresh)
    actual = tree_files(committed)
    diff = list(unified_diff(expected, actual, cli.display_path(committed)))
    return compare_trees(expected, actual), diff


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit 0 same, 1 differs, 2 when the generator cannot run."""
    parser = cli.parser("make check-generated", __doc__)
    cli.add_generation_arguments(parser)
    args = parser.parse_args(argv)
    spec = cli.chosen_spec(args.spec)
    output, source = cli.display_path(args.output), cli.display_path(spec)

    def action() -> int:
        difference, diff = check(spec, args.output)
        if not difference.is_empty:
            sys.stdout.writelines(diff)
            raise GeneratedDrift(
                f"{output} differs from what {source} produces ({difference.summary()}); "
                "run `make generate` and never edit it by hand"
            )
        print(f"check-generated: {output} matches {source}")
        return cli.EXIT_OK

    return cli.run("check-generated", action)


if __name__ == "__main__":
    sys.exit(main())

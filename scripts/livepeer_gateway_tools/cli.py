"""What every spec tool's command line shares: the parser, common arguments, exit statuses."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from livepeer_gateway_spec import SpecError, display_name, spec_path
from livepeer_gateway_spec.cli import EXIT_USAGE, OneLineParser

from livepeer_gateway_tools.errors import BadInput, CheckFailed, ToolError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1

#: The one place a failure becomes an exit status: 1 when a check said no, 2 for bad input.
EXIT_STATUS: dict[type[ToolError], int] = {CheckFailed: EXIT_CHECK_FAILED, BadInput: EXIT_USAGE}

#: Where `make generate` writes and `make check-generated` looks, relative to the working
#: directory (the repository's root when run through make): the client's project folder.
DEFAULT_GENERATED = Path("generated")


def exit_status(error: ToolError) -> int:
    """The exit status of `error`: that of the nearest class in `EXIT_STATUS`, else 2."""
    for cls in type(error).__mro__:
        if cls in EXIT_STATUS:
            return EXIT_STATUS[cls]
    return EXIT_USAGE


def parser(prog: str, description: str) -> OneLineParser:
    """The project's one-line argument parser, for a tool's command line."""
    return OneLineParser(prog=prog, description=description.strip().splitlines()[0])


def add_spec_argument(parser: OneLineParser) -> None:
    """`--spec PATH`, defaulting to `$LIVEPEER_OPENAPI` or the bundled openapi.yaml."""
    parser.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="OpenAPI document (default: $LIVEPEER_OPENAPI or the bundled openapi.yaml)",
    )


def add_generation_arguments(parser: OneLineParser) -> None:
    """The arguments `make generate` and `make check-generated` share: `--spec`, `--output`."""
    add_spec_argument(parser)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_GENERATED,
        help=f"the client's project folder (default: {DEFAULT_GENERATED}/)",
    )


#: How a check writes its findings: lines for a terminal, one JSON document, or GitHub Actions
#: annotations (shown on a pull request's diff).
FORMATS = ("text", "json", "github")


def add_format_argument(parser: OneLineParser) -> None:
    """`--format text|json|github`."""
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="how findings are written (text)"
    )


def chosen_spec(path: Path | None) -> Path:
    """The spec a command reads: the one named on its command line, else `spec_path()`."""
    return path if path is not None else spec_path()


def run(prog: str, action: Callable[[], int]) -> int:
    """Run `action`; a `ToolError` or `SpecError` becomes one line on stderr and its exit status."""
    try:
        return action()
    except ToolError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return exit_status(error)
    except SpecError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return EXIT_USAGE


def display_path(path: Path | str) -> str:
    """`path` as messages name it (the spec core's rule for every file a command names)."""
    return display_name(path)


__all__: Sequence[str] = (
    "DEFAULT_GENERATED",
    "EXIT_CHECK_FAILED",
    "EXIT_OK",
    "EXIT_STATUS",
    "EXIT_USAGE",
    "FORMATS",
    "add_format_argument",
    "add_generation_arguments",
    "add_spec_argument",
    "chosen_spec",
    "display_path",
    "exit_status",
    "parser",
    "run",
)

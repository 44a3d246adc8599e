"""Starting a console command of the toolkit's wheel (`pyproject.toml` declares them).

A command's module is imported only once its entry point runs, so that what can go wrong before
the command has started is one line, never a traceback: an extra that is not installed (the
command says which one, and exits 2) and Ctrl-C (exit 130).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from livepeer_gateway_spec.cli import EXIT_USAGE

#: Exit code of a command stopped by SIGINT (Ctrl-C), as shells report it.
EXIT_INTERRUPTED = 130
#: The distribution whose extras the commands need.
DISTRIBUTION = "livepeer-gateway-toolkit"


def run_command(module: str, extra: str, prog: str) -> int:
    """`module.main()` of the command `prog`; a dependency of `extra` that is missing, or
    Ctrl-C before the command handles it, is one line on stderr and exit 2 or 130."""
    try:
        try:
            main: Callable[[], int] = importlib.import_module(module).main
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] == module.split(".")[0]:
                raise  # a module of the command's own package: a broken install, not an extra
            print(
                f"{prog}: error: needs the '{extra}' extra (missing module {exc.name}): "
                f"pip install '{DISTRIBUTION}[{extra}]'",
                file=sys.stderr,
            )
            return EXIT_USAGE
        return main()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def reference_gateway() -> int:
    """`livepeer-reference-gateway`."""
    return run_command(
        "livepeer_reference_gateway.__main__", "gateway", "livepeer-reference-gateway"
    )

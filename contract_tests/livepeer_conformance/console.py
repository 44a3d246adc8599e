"""`livepeer-conformance`'s entry point: only the standard library is imported before Ctrl-C is
handled, so that the command exits 130 without a traceback from its very start."""

from __future__ import annotations

import sys

#: Exit code of a command stopped by SIGINT (Ctrl-C), as shells report it.
EXIT_INTERRUPTED = 130


def main() -> int:
    """Run `livepeer_conformance.cli.main` through the spec core's `run_command`."""
    try:
        from livepeer_gateway_spec.console import run_command

        return run_command("livepeer_conformance.cli", "conformance", "livepeer-conformance")
    except KeyboardInterrupt:
        print("livepeer-conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

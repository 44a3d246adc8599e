"""The argument parser every command line of the project uses: usage errors are one line."""

from __future__ import annotations

import argparse
from typing import NoReturn

#: Exit status of a wrong argument, as for every other kind of bad input.
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

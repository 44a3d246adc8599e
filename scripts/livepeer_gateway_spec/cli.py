"""What every command line of the project shares: the argument parser (usage errors are one line,
exit 2) and GitHub Actions annotations."""

from __future__ import annotations

import argparse
import math
from typing import Any, Literal, NoReturn

#: Exit status of bad input of any kind: a wrong argument, an unreadable file, an unreachable peer.
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit 2, and that takes no
    abbreviation of an option (`--token` is never read as `--token-env`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def positive_float(text: str) -> float:
    """An `argparse` type: a finite number above zero (refuses nan, inf, 0 and negatives)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An `argparse` type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


#: The level of a GitHub Actions annotation (a workflow command).
AnnotationLevel = Literal["error", "warning", "notice"]


def github_annotation(
    level: AnnotationLevel,
    message: str,
    *,
    title: str,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> str:
    """One GitHub Actions workflow command (`::error file=...,line=...::message`): shown on the
    pull request's diff at that line. Escaped as actions/toolkit's `command.ts` does."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def value(text: object) -> str:
        return data(str(text)).replace(":", "%3A").replace(",", "%2C")

    properties = {"file": file, "line": line, "col": column, "title": title}
    joined = ",".join(
        f"{key}={value(text)}" for key, text in properties.items() if text is not None
    )
    return f"::{level} {joined}::{data(message)}"

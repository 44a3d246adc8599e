"""The spec tools' one error tree: every failure is a `ToolError` with a one-line message.

Two kinds, told apart by the exit status the command line gives them (`cli.EXIT_STATUS`):
`BadInput` when the command cannot do its job (an unreadable spec, a generator that cannot run,
a git ref that names nothing), `CheckFailed` when it did its job and the answer is no.
"""

from __future__ import annotations


class ToolError(Exception):
    """A spec tool's failure; `str()` is one line meant for the person at the terminal."""


class BadInput(ToolError):
    """The command cannot run on what it was given (exit 2)."""


class GenerationError(BadInput):
    """The client cannot be generated, or would be generated without part of the spec."""


class CheckFailed(ToolError):
    """The command ran and its check failed (exit 1)."""


class GeneratedDrift(CheckFailed):
    """generated/ is not what the spec produces."""


class LintFailed(CheckFailed):
    """The spec breaks one of the lint rules."""


class VersionNotRaised(CheckFailed):
    """The spec breaks its clients, but `info.version`'s major part was not raised."""

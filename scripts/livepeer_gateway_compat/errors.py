"""The compat checker's errors: one base class, and the exit status each cause maps to.

An unreadable or invalid spec is the spec core's `SpecError`; the checker's own failures are
`CompatError`s. `exit_status` is the one place the command line turns either into its exit code.
"""

from __future__ import annotations

from livepeer_gateway_spec import SpecError
from livepeer_gateway_spec.cli import EXIT_USAGE


class CompatError(Exception):
    """Base of every error the compat checker raises itself."""


class VersionNotFound(CompatError):
    """A spec version names neither a readable file nor a git object."""


class ReportNotWritten(CompatError):
    """The report could not be written where it was asked for."""


#: Exit status 2 (bad input) for every cause: the message says which one.
_EXIT_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (SpecError, EXIT_USAGE),
    (VersionNotFound, EXIT_USAGE),
    (ReportNotWritten, EXIT_USAGE),
    (CompatError, EXIT_USAGE),
)


def exit_status(error: Exception) -> int:
    """The exit status for `error` (a `SpecError` or a `CompatError`)."""
    for cause, status in _EXIT_STATUS:
        if isinstance(error, cause):
            return status
    raise error

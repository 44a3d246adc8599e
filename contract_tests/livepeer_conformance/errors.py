"""The suite's errors: one tree, each subclass a reason a run could not be made.

`livepeer_conformance.cli` turns each into one line on stderr and its exit code, in one place.
`AnswerError`s are caught where answers are judged and become departures.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """A run that could not be made; the message says why, in one line."""


class UsageError(ConformanceError):
    """A wrong argument or an unusable file named by one."""


class BaselineError(ConformanceError):
    """The baseline file cannot be read or is not a baseline."""


class GatewayUnreachable(ConformanceError):
    """The gateway did not answer the first request."""


class CredentialsRefused(ConformanceError):
    """The gateway refused the run's credentials on its first, valid requests."""


class ReportNotWritten(ConformanceError):
    """A report or baseline file could not be written."""


class AnswerError(ConformanceError):
    """An answer the suite judges as a departure (never raised out of a run)."""

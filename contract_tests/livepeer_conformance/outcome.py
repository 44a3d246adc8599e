"""The four outcomes of a run and their exit codes: what an operator or CI acts on."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Outcome(enum.Enum):
    """One verdict per run. Departures outrank incomplete: a found departure is real."""

    CONFORMS = ("conforms", 0)
    DEPARTURES = ("departures", 1)
    COULD_NOT_RUN = ("could not run", 2)
    INCOMPLETE = ("incomplete", 3)

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def exit_code(self) -> int:
        return self.value[1]


#: Exit code of a run stopped by SIGINT (Ctrl-C), as shells report it.
EXIT_INTERRUPTED = 130


def exit_code(outcome: Outcome, incomplete: bool, fail_on: frozenset[str]) -> int:
    """The exit code of a run under `--fail-on`: departures exit 1 and an incomplete run (which
    a run with departures can also be) exits 3 when they fail it, and 0 when they do not."""
    if outcome is Outcome.DEPARTURES and Outcome.DEPARTURES.label in fail_on:
        return Outcome.DEPARTURES.exit_code
    if incomplete and Outcome.INCOMPLETE.label in fail_on:
        return Outcome.INCOMPLETE.exit_code
    return outcome.exit_code if outcome is Outcome.COULD_NOT_RUN else Outcome.CONFORMS.exit_code


@dataclass(frozen=True, order=True)
class NotCovered:
    """An operation x check the run did not exercise, and why."""

    operation: str
    check: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"operation": self.operation, "check": self.check, "why": self.why}

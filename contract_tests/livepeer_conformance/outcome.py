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


@dataclass(frozen=True, order=True)
class NotCovered:
    """An operation x check the run did not exercise, and why."""

    operation: str
    check: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"operation": self.operation, "check": self.check, "why": self.why}

"""What a run finds: per-operation tallies of checks, and departures deduplicated by check."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from livepeer_gateway_spec import Source

from livepeer_conformance.sources import source_of_check

#: Transport-level check names, reported next to schemathesis's checks and the properties.
RESPONDS_WITHIN_TIMEOUT = "responds_within_timeout"
GATEWAY_REACHABLE = "gateway_reachable"


@dataclass(frozen=True, order=True)
class Moment:
    """A point in a run: the requests sent so far and the seconds since the run started."""

    requests: int
    seconds: float


def _run_start() -> Moment:
    return Moment(0, 0.0)


@dataclass
class Departure:
    """One way the gateway departs from the spec: a check failing on an operation, `count` times."""

    operation: str
    check: str
    title: str
    reason: str
    reproducer: str
    count: int = 1
    #: When the first failing request of this departure was answered.
    first_seen: Moment = field(default_factory=_run_start)
    #: Where the broken rule comes from (documented, protocol, recommended), and what it says.
    source: Source = field(default=None)  # type: ignore[assignment]  # the check's, when None
    #: What made the check fail, when one check has several causes (e.g. the bound broken).
    cause: str = ""

    def __post_init__(self) -> None:
        if self.source is None:
            self.source = source_of_check(self.check)

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.check)

    @property
    def cause_key(self) -> tuple[str, str, str]:
        """What tells this departure from another: the operation, the check and the cause."""
        return (self.operation, self.check, self.cause)

    def to_dict(self) -> dict[str, object]:
        """The departure as plain JSON-ready data."""
        return {
            "operation": self.operation,
            "check": self.check,
            "source": self.source.kind,
            "source_text": self.source.text,
            "cause": self.cause,
            "title": self.title,
            "reason": self.reason,
            "reproducer": self.reproducer,
            "count": self.count,
            "requests_to_first_detection": self.first_seen.requests,
            "seconds_to_first_detection": round(self.first_seen.seconds, 3),
        }


@dataclass
class RunResults:
    """Thread-safe accumulator of check outcomes and departures shared by every phase."""

    passed: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    departures: dict[tuple[str, str, str], Departure] = field(default_factory=dict)
    not_covered: list[str] = field(default_factory=list)
    #: Tells the current moment of the run; the runner points it at its budget and clock.
    clock: Callable[[], Moment] = field(default=_run_start, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_pass(self, operation: str, check: str) -> None:
        """Count one passing run of `check` on `operation`."""
        with self._lock:
            self.passed[(operation, check)] += 1

    def record_failure(
        self,
        operation: str,
        check: str,
        title: str,
        reason: str,
        reproducer: str,
        seen: Moment | None = None,
        source: Source | None = None,
        cause: str = "",
    ) -> None:
        """Count one failing run; the first failure of an (operation, check, cause) is its example.

        `seen` is when the failing answer came, for failures recorded after the fact; by
        default it is now. `source` is the broken rule's, by default the check's own.
        """
        seen = seen or self.clock()
        with self._lock:
            self.failed[(operation, check)] += 1
            key = (operation, check, cause)
            if key in self.departures:
                departure = self.departures[key]
                departure.count += 1
                departure.first_seen = min(departure.first_seen, seen)
            else:
                reason_line = " ".join(reason.split()) or title
                self.departures[key] = Departure(
                    operation,
                    check,
                    title,
                    reason_line,
                    reproducer,
                    first_seen=seen,
                    source=source or source_of_check(check),
                    cause=cause,
                )

    def record_not_covered(self, what: str) -> None:
        """Note something the run could not check (budget spent, gateway stopped answering)."""
        with self._lock:
            if what not in self.not_covered:
                self.not_covered.append(what)

    def operations(self) -> list[str]:
        """Every operation with at least one check run, sorted."""
        return sorted({op for op, _ in self.passed} | {op for op, _ in self.failed})

    def checks_of(self, operation: str) -> list[str]:
        """Every check run on `operation`, sorted."""
        keys = set(self.passed) | set(self.failed)
        return sorted(check for op, check in keys if op == operation)

    def sorted_departures(self) -> list[Departure]:
        """Departures ordered by operation, then check, then cause."""
        return [self.departures[key] for key in sorted(self.departures)]

"""What a run finds: per-operation tallies of checks, and departures kept apart by cause."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from livepeer_gateway_spec import Source

from livepeer_conformance.answer_conformance import UNAVAILABLE
from livepeer_conformance.evidence import Evidence
from livepeer_conformance.sources import source_of_check

#: Transport-level check names, reported next to schemathesis's checks and the properties.
RESPONDS_WITHIN_TIMEOUT = "responds_within_timeout"
GATEWAY_REACHABLE = "gateway_reachable"

#: Where a phase reports what it is doing, one short line at a time.
ProgressSink = Callable[[str], None]


@dataclass(frozen=True, order=True)
class Moment:
    """A point in a run: the requests sent so far and the seconds since the run started."""

    requests: int
    seconds: float


def _run_start() -> Moment:
    return Moment(0, 0.0)


def cause_of(status: int | None, what: str) -> str:
    """A departure's cause: the answer's status (when there was one) and what is at fault.

    `what` is the rule broken when one is known, as `field.keyword` (`seed.maximum`), so that
    the cause names the rule whose source decides the verdict; otherwise a reason class, stable
    across requests (numbers and quoted values left out).
    """
    return f"{status} {what}" if status is not None else what


def reason_class(text: str) -> str:
    """An objection with its numbers and quoted values left out: a class stable across requests."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\d+", "#", " ".join(text.split()))
    # A list of like items (`#x#, #x#`) is one item, whatever its length.
    return re.sub(r"([^\s,]+)(?:, \1)+", r"\1", text)[:120]


@dataclass
class Departure:
    """One cause of departure: a check failing on an operation for one reason, `count` times.

    Its cause key is (operation, check, cause); `source` is where the broken rule comes from
    (documented, protocol, recommended), which decides whether it fails the run.
    """

    operation: str
    check: str
    title: str
    reason: str
    reproducer: str
    count: int = 1
    #: When the first failing request of this departure was answered.
    first_seen: Moment = field(default_factory=_run_start)
    #: The reason class: the status and the field or rule at fault, stable across requests.
    cause: str = ""
    evidence: Evidence | None = None
    #: Where the broken rule comes from, and what it says; by default the check's own.
    source: Source = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.source is None:
            self.source = source_of_check(self.check)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operation, self.check, self.cause)

    def to_dict(self) -> dict[str, object]:
        """The departure as plain JSON-ready data."""
        return {
            "operation": self.operation,
            "check": self.check,
            "cause": self.cause,
            "source": self.source.kind,
            "source_text": self.source.text,
            "title": self.title,
            "reason": self.reason,
            "reproducer": self.reproducer,
            "count": self.count,
            "evidence": self.evidence.to_dict() if self.evidence else None,
            "requests_to_first_detection": self.first_seen.requests,
            "seconds_to_first_detection": round(self.first_seen.seconds, 3),
        }


#: The check that a gateway serves most requests: 503 ("no capacity") is a declared, retryable
#: answer, never a departure on its own, but a gateway that gives it to more than this share
#: of an operation's answers (once it has answered `UNAVAILABLE_MIN_ANSWERS`) is unavailable.
GATEWAY_AVAILABLE = "gateway_available"
UNAVAILABLE_SHARE = 0.25
UNAVAILABLE_MIN_ANSWERS = 8


def too_often_unavailable(unavailable: int, answered: int) -> bool:
    """Whether `unavailable` 503s among `answered` answers pass the recommended share."""
    return answered >= UNAVAILABLE_MIN_ANSWERS and unavailable > UNAVAILABLE_SHARE * answered


@dataclass
class RunResults:
    """Thread-safe accumulator of check outcomes and departures shared by every phase."""

    passed: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    departures: dict[tuple[str, str, str], Departure] = field(default_factory=dict)
    #: What stopped a phase early or could not be checked, one line each.
    notes: list[str] = field(default_factory=list)
    #: Requests the gateway accepted (answered 2xx), by operation.
    accepted: Counter[str] = field(default_factory=Counter)
    #: Requests sent, by (operation, phase of the schedule); the runner sets `phase`.
    spent: Counter[tuple[str, str]] = field(default_factory=Counter)
    phase: str = ""
    #: GPU work of the accepted requests: output pixels × inference steps × images.
    work_done: int = 0
    #: Answers, and 503 answers ("no capacity"), by operation.
    answered: Counter[str] = field(default_factory=Counter)
    unavailable: Counter[str] = field(default_factory=Counter)
    #: When each operation's 503 answers first passed `UNAVAILABLE_SHARE` of its answers.
    unavailable_since: dict[str, Moment] = field(default_factory=dict)
    #: Tells the current moment of the run; the runner points it at its budget and clock.
    clock: Callable[[], Moment] = field(default=_run_start, repr=False)
    #: Called with each new cause as it is recorded (the runner's `--max-failures`).
    on_new_departure: Callable[[Departure], None] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_pass(self, operation: str, check: str) -> None:
        """Count one passing run of `check` on `operation`."""
        with self._lock:
            self.passed[(operation, check)] += 1

    def record_accepted(self, operation: str) -> None:
        """Count one request the gateway accepted on `operation`."""
        with self._lock:
            self.accepted[operation] += 1

    def record_request(self, operation: str) -> None:
        """Count one request sent on `operation`, under the current phase of the schedule."""
        with self._lock:
            self.spent[(operation, self.phase)] += 1

    def record_status(self, operation: str, status: int) -> None:
        """Count one answer on `operation` by its status (503s apart, see `gateway_available`)."""
        with self._lock:
            self.answered[operation] += 1
            if status == UNAVAILABLE:
                self.unavailable[operation] += 1
            if operation not in self.unavailable_since and too_often_unavailable(
                self.unavailable[operation], self.answered[operation]
            ):
                self.unavailable_since[operation] = self.clock()

    def record_work(self, units: int) -> None:
        """Add the GPU work of one accepted request."""
        with self._lock:
            self.work_done += units

    def record_failure(
        self,
        operation: str,
        check: str,
        title: str,
        reason: str,
        reproducer: str,
        seen: Moment | None = None,
        *,
        cause: str = "",
        evidence: Evidence | None = None,
        source: Source | None = None,
    ) -> None:
        """Count one failing run; the first failure of each cause is its example.

        `seen` is when the failing answer came, for failures recorded after the fact; by
        default it is now. `source` is the broken rule's, by default the check's own.
        """
        seen = seen or self.clock()
        new: Departure | None = None
        with self._lock:
            self.failed[(operation, check)] += 1
            key = (operation, check, cause)
            if key in self.departures:
                departure = self.departures[key]
                departure.count += 1
                if seen < departure.first_seen:
                    departure.first_seen = seen
                    departure.reproducer, departure.evidence = reproducer, evidence
            else:
                reason_line = " ".join(reason.split()) or title
                self.departures[key] = Departure(
                    operation,
                    check,
                    title,
                    reason_line,
                    reproducer,
                    first_seen=seen,
                    cause=cause,
                    evidence=evidence,
                    source=source or source_of_check(check),
                )
                new = self.departures[key]
        if new is not None and self.on_new_departure is not None:
            self.on_new_departure(new)

    def record_note(self, what: str) -> None:
        """Note something that stopped a phase or could not be checked."""
        with self._lock:
            if what not in self.notes:
                self.notes.append(what)

    def operations(self) -> list[str]:
        """Every operation with at least one check run, sorted."""
        return sorted({op for op, _ in self.passed} | {op for op, _ in self.failed})

    def checks_of(self, operation: str) -> list[str]:
        """Every check run on `operation`, sorted."""
        keys = set(self.passed) | set(self.failed)
        return sorted(check for op, check in keys if op == operation)

    def exercised(self, operation: str, check: str) -> bool:
        key = (operation, check)
        return self.passed[key] + self.failed[key] > 0

    def sorted_departures(self) -> list[Departure]:
        """Departures ordered by operation, check, then cause."""
        return [self.departures[key] for key in sorted(self.departures)]

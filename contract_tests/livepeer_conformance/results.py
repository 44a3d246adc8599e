"""What a run finds: per-operation tallies of checks, and findings: one per bug, whichever checks
and phases met it."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from livepeer_gateway_spec import Source

from livepeer_conformance.answer_conformance import NOT_A_SERVER_ERROR, UNAVAILABLE
from livepeer_conformance.evidence import Evidence
from livepeer_conformance.sources import source_of_check, strongest

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
class CheckFailure:
    """One check a finding's answers failed: its title, reason, cause and source."""

    check: str
    title: str
    reason: str
    #: The check's own cause: the answer's status and the rule or class at fault.
    cause: str = ""
    #: Where the broken rule comes from; by default the check's own.
    source: Source = field(default=None)  # type: ignore[assignment]
    count: int = 1

    def __post_init__(self) -> None:
        if self.source is None:
            self.source = source_of_check(self.check)
        self.reason = " ".join(self.reason.split()) or self.title

    def to_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "title": self.title,
            "reason": self.reason,
            "cause": self.cause,
            "source": self.source.kind,
            "source_text": self.source.text,
            "count": self.count,
        }


#: The trigger of a request whose input is not known to be at an edge.
VALID = "a valid request"
#: The order in which a failed check names the bug an answer shows: the first failed one of
#: these is the finding's primary check (a server error before the malformed body it sends).
PRIMARY_ORDER = (
    NOT_A_SERVER_ERROR,
    "ignored_auth",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)


def _rank(check: str) -> int:
    return PRIMARY_ORDER.index(check) if check in PRIMARY_ORDER else len(PRIMARY_ORDER)


def bug_key(failures: list[CheckFailure], trigger: str) -> str:
    """What one answer's failed checks say the bug is, the same whichever phase met it.

    A server error is keyed by the input that triggers it (the field or family a probe puts at
    its edge), so that each distinct trigger is its own finding; credentials ignored are one
    bug per operation whatever the probe; anything else is its primary check's cause.
    """
    primary = min(failures, key=lambda f: _rank(f.check))
    what = primary.cause or primary.title
    if primary.check == NOT_A_SERVER_ERROR:
        return f"{what} (trigger: {trigger or VALID})"
    if primary.check == "ignored_auth":
        return "credentials not enforced"
    if primary.check in (RESPONDS_WITHIN_TIMEOUT, GATEWAY_REACHABLE) and trigger:
        return f"{what} (trigger: {trigger})"
    return what


#: How a reproducer that cannot be given starts (a shell comment, harmless when pasted).
NO_REPRODUCER = "#"
#: Distinct triggers a finding keeps a reproducer of, beyond which it only counts answers.
MAX_EXAMPLES = 8


@dataclass(frozen=True)
class Example:
    """One distinct trigger of a finding: what the request tried, and how to send it again."""

    trigger: str
    reproducer: str
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "trigger": self.trigger,
            "reproducer": self.reproducer,
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }


@dataclass
class Finding:
    """One bug as its operator sees it: the answers that show it, every check they failed, and
    one reproducer (the first answer's). Its key is (operation, bug); its source is the strongest
    of its checks' sources, which decides whether it fails the run."""

    operation: str
    bug: str
    failures: dict[str, CheckFailure]
    reproducer: str
    #: Answers that showed the bug.
    count: int = 1
    #: When the first answer showing the bug came.
    first_seen: Moment = field(default_factory=_run_start)
    evidence: Evidence | None = None
    #: The phases of the run that met it.
    phases: list[str] = field(default_factory=list)
    #: Each distinct trigger met, in order, with its own reproducer (the first is the finding's).
    examples: dict[str, Example] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.bug)

    @property
    def primary(self) -> CheckFailure:
        return min(self.failures.values(), key=lambda f: _rank(f.check))

    @property
    def check(self) -> str:
        return self.primary.check

    @property
    def checks(self) -> list[str]:
        return sorted(self.failures, key=_rank)

    @property
    def title(self) -> str:
        return self.primary.title

    @property
    def reason(self) -> str:
        return self.primary.reason

    @property
    def cause(self) -> str:
        return self.bug

    @property
    def source(self) -> Source:
        best = strongest(f.source for f in self.failures.values())
        assert best is not None  # a finding has at least one failure
        return best

    def to_dict(self) -> dict[str, object]:
        """The finding as plain JSON-ready data."""
        return {
            "operation": self.operation,
            "bug": self.bug,
            "check": self.check,
            "checks": [self.failures[c].to_dict() for c in self.checks],
            "cause": self.bug,
            "source": self.source.kind,
            "source_text": self.source.text,
            "title": self.title,
            "reason": self.reason,
            "reproducer": self.reproducer,
            "count": self.count,
            "phases": self.phases,
            "examples": [e.to_dict() for e in self.examples.values()],
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
    """Thread-safe accumulator of check outcomes and findings shared by every phase."""

    passed: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
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
    on_new_finding: Callable[[Finding], None] | None = field(default=None, repr=False)
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
        trigger: str = "",
        example: str = "",
    ) -> str:
        """Record one answer (or a request without one) that failed one check; its bug."""
        failure = CheckFailure(check, title, reason, cause, source or source_of_check(check))
        return self.record_answer(
            operation, [failure], reproducer, evidence, trigger, seen, example
        )

    def record_answer(
        self,
        operation: str,
        failures: list[CheckFailure],
        reproducer: str,
        evidence: Evidence | None = None,
        trigger: str = "",
        seen: Moment | None = None,
        example: str = "",
    ) -> str:
        """Record every check one answer failed as one finding (merged into the finding of the
        same bug when the run met it before); return the bug.

        `seen` is when the answer came, for failures recorded after the fact; by default it is
        now. The first answer recorded stays the finding's example; the earliest sets when it
        was first seen. `example` names what the request tried (`edge probe loras="9"`): each
        distinct one keeps its own reproducer, up to `MAX_EXAMPLES`.
        """
        seen = seen or self.clock()
        bug = bug_key(failures, trigger)
        new: Finding | None = None
        with self._lock:
            for failure in failures:
                self.failed[(operation, failure.check)] += 1
            key = (operation, bug)
            finding = self.findings.get(key)
            if finding is None:
                finding = new = self.findings[key] = Finding(
                    operation, bug, {}, reproducer, 0, seen, evidence
                )
            elif seen < finding.first_seen:
                finding.first_seen = seen
            finding.count += 1
            label = example or trigger or VALID
            replayable = not reproducer.startswith(NO_REPRODUCER)
            if replayable and finding.reproducer.startswith(NO_REPRODUCER):
                finding.reproducer, finding.evidence = reproducer, evidence
            if replayable and label not in finding.examples:
                if len(finding.examples) < MAX_EXAMPLES:
                    finding.examples[label] = Example(label, reproducer, evidence)
            if self.phase and self.phase not in finding.phases:
                finding.phases.append(self.phase)
            for failure in failures:
                known = finding.failures.get(failure.check)
                if known is None:
                    finding.failures[failure.check] = failure
                else:
                    known.count += 1
        if new is not None and self.on_new_finding is not None:
            self.on_new_finding(new)
        return bug

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

    def sorted_findings(self) -> list[Finding]:
        """Findings ordered by operation, then bug."""
        return [self.findings[key] for key in sorted(self.findings)]

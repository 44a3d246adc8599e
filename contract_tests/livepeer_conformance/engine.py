"""The one engine: send a planned request, read its answer within limits, judge it, record it.

Every request the suite writes itself (the credentials check, the edge probes, the property
phase) goes through `Engine.run`: `Sender` sends and bounds it, `judge` applies every check
that concerns the answer, and what it failed is recorded as one finding. The spec phase feeds
schemathesis's answers to the same judge and record. So a finding has one bug, one source rule
and one reproducer per trigger whichever phase met it.
"""

from __future__ import annotations

from typing import Any

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Operation

from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.gpu_work import upload_side
from livepeer_conformance.judge import judge
from livepeer_conformance.planned import Planned
from livepeer_conformance.properties import SemanticProperty, applicable_properties
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import CheckFailure, Moment, ProgressSink, RunResults
from livepeer_conformance.sender import STALE_CONNECTION, BudgetSpent, Sender
from livepeer_conformance.sources import source_of_check

__all__ = ["STALE_CONNECTION", "BudgetSpent", "Engine", "upload_of"]


class Engine(Sender):
    """Sends (`Sender`), judges and records; one per run, shared by every phase."""

    def __init__(
        self,
        config: RunConfig,
        base_url: str,
        budget: RequestBudget,
        results: RunResults,
        progress: ProgressSink,
    ) -> None:
        super().__init__(config, base_url, budget, results, progress)
        self.document = spec.load_spec(config.spec_path)
        self._properties: dict[str, list[SemanticProperty]] = {}
        #: The operations the run checks, in the spec's order.
        self.operations: list[Operation] = []

    def properties(self, path: str) -> list[SemanticProperty]:
        """The semantic properties the run holds the operation at `path` to."""
        if path not in self._properties:
            found = applicable_properties(self.config.profile, self.document, path)
            self._properties[path] = [p for p in found if self.config.runs_check(p.name)]
        return self._properties[path]

    def run(self, planned: Planned) -> Exchange | None:
        """Send `planned` (twice when it asks to be repeated and is served), judge and record
        the answer; None when no answer came. Raises `BudgetSpent` before sending."""
        exchange = self.send(planned)
        if exchange is None:
            return None
        if planned.repeat and exchange.media:
            exchange.repeat = self.send(planned)
        self.judge_answer(exchange, planned)
        return exchange

    def judge_answer(self, exchange: Exchange, planned: Planned | None) -> str:
        """Apply every check that concerns the answer, record what it passed, and record what
        it failed as one finding; return that finding's bug ("" when it passed everything)."""
        failures = self.failures_of(exchange, planned)
        if not failures:
            return ""
        trigger = planned.trigger if planned is not None else ""
        example = planned.described if planned is not None else ""
        return self.record_failures(exchange, failures, trigger, example=example)

    def failures_of(
        self, exchange: Exchange, planned: Planned | None, *, negative: bool = False
    ) -> list[CheckFailure]:
        """Judge the answer: record each check it passed, return those it failed (`negative`:
        an unplanned request the spec refuses, see `judge`)."""
        secrets = self.config.secrets
        verdicts = judge(
            exchange,
            planned,
            self.document,
            [self.token],
            self.properties,
            secrets,
            negative=negative,
        )
        prefix = f"{planned.described}: " if planned is not None else ""
        failures: list[CheckFailure] = []
        for verdict in verdicts:
            if not self.config.runs_check(verdict.check):
                continue
            if verdict.unjudged:
                self.fetch.record_unjudged(exchange.operation.label, verdict.check)
                continue
            if verdict.passed:
                self.results.record_pass(exchange.operation.label, verdict.check)
                continue
            failures.append(
                CheckFailure(
                    verdict.check,
                    verdict.title,
                    redact(prefix + (verdict.reason or ""), secrets),
                    redact(verdict.cause, secrets),
                    verdict.source or source_of_check(verdict.check),
                )
            )
        return failures

    def record_failures(
        self,
        exchange: Exchange,
        failures: list[CheckFailure],
        trigger: str,
        seen: Moment | None = None,
        example: str = "",
    ) -> str:
        """Record the checks one answer failed as one finding, with its evidence and reproducer."""
        return self.results.record_answer(
            exchange.operation.label,
            failures,
            self.reproducer(exchange.request),
            exchange.evidence(self.config.secrets),
            trigger,
            seen,
            example,
        )

    def run_all(self, planned: list[Planned], sent: set[int], what: str) -> None:
        """Send each request of `planned` not sent yet, in order, until the budget stops them;
        note where `what` stopped early."""
        try:
            for one in planned:
                if id(one) in sent:
                    continue
                sent.add(id(one))
                self.run(one)
        except BudgetSpent:
            sent.discard(id(one))
            self.results.record_note(f"{what}: stopped early, {self.stop_reason()}")


def upload_of(body: Any) -> tuple[int, int] | None:
    """(width, height) of a body's uploaded image, if it has one that decodes."""
    image = body.get("image") if isinstance(body, dict) else None
    return upload_side(image) if isinstance(image, bytes) else None

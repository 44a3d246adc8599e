"""The one engine: send a planned request, read its answer within limits, judge it, record it.

Every request the suite writes itself (the credentials check, the edge probes, the property
phase) goes through `Engine.run`; the spec phase feeds schemathesis's answers to the same
`judge_answer`. So a finding has one cause, one source rule and one reproducer whichever phase
met it.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Operation

from livepeer_conformance.bounded import (
    ANSWER_WITHIN_LIMITS,
    AnswerLimits,
    AnswerOutOfBounds,
    parse_json,
    read_bounded,
)
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig, client_options
from livepeer_conformance.evidence import Evidence, curl_for_request, status_line
from livepeer_conformance.exchanges import Exchange, SentRequest, fetcher
from livepeer_conformance.gpu_work import upload_side
from livepeer_conformance.judge import judge
from livepeer_conformance.planned import Planned, build_request
from livepeer_conformance.properties import SemanticProperty, applicable_properties
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import (
    GATEWAY_REACHABLE,
    RESPONDS_WITHIN_TIMEOUT,
    ProgressSink,
    RunResults,
    reason_class,
)

#: Transport errors that may mean a kept-alive connection was closed by the gateway while idle
#: (uvicorn does so after an unhandled error): the request is sent once more on a new one.
STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class BudgetSpent(Exception):
    """The run's request budget is spent, the run was stopped, or the gateway stopped answering."""


class Engine:
    """Sends, bounds, judges and records; one per run, shared by every phase."""

    def __init__(
        self,
        config: RunConfig,
        base_url: str,
        budget: RequestBudget,
        results: RunResults,
        progress: ProgressSink,
    ) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.results = results
        self.progress = progress
        self.document = spec.load_spec(config.spec_path)
        self.inputs_dir = config.report_dir / "inputs"
        self.limits = AnswerLimits(config.max_response_bytes, config.request_timeout)
        self.token = None if config.open_gateway else config.token
        self.client = httpx.Client(**client_options(config))
        self.fetch = fetcher(config, self.spend)
        #: Whether an answer broke the limits: schemathesis would read such answers whole.
        self.out_of_bounds = False
        self._properties: dict[str, list[SemanticProperty]] = {}
        #: The operations the run checks, in the spec's order.
        self.operations: list[Operation] = []

    def close(self) -> None:
        self.client.close()

    def spend(self) -> bool:
        """Take one request from the budget, or raise `BudgetSpent`."""
        if not self.budget.try_spend():
            raise BudgetSpent
        return True

    def stop_reason(self) -> str:
        if self.budget.stopping:
            return self.budget.stop_reason or "the run was stopped"
        if self.budget.gateway_stopped_answering:
            return "the gateway stopped answering"
        return f"the request budget ({self.budget.limit}) was spent"

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

    def send(self, planned: Planned) -> Exchange | None:
        """Send `planned` and read its answer within limits; transport failures are recorded."""
        self.spend()
        operation = planned.operation.label
        self.results.record_request(operation)
        self.progress(f"{self.results.phase}: {operation} {planned.purpose[:40]}")
        request = build_request(self.client, self.base_url, planned, self.token)
        sent = SentRequest.of(request)
        started = time.monotonic()
        try:
            exchange = self._exchange(planned, request, sent, started)
        except AnswerOutOfBounds as exc:
            if exc.late:
                self.budget.record_transport_failure()
            else:
                self.budget.record_answer()
            self.out_of_bounds = True
            self._no_answer(
                planned,
                sent,
                ANSWER_WITHIN_LIMITS,
                "Answer out of bounds",
                str(exc),
                reason_class(str(exc)),
            )
            return None
        except httpx.TimeoutException:
            self.budget.record_transport_failure()
            title = "No answer within the request timeout"
            reason = f"no answer within {self.config.request_timeout:g} s"
            self._no_answer(planned, sent, RESPONDS_WITHIN_TIMEOUT, title, reason, title)
            return None
        except httpx.TransportError as exc:
            self.budget.record_transport_failure()
            title = "Connection refused or reset"
            self._no_answer(planned, sent, GATEWAY_REACHABLE, title, type(exc).__name__, title)
            return None
        self.budget.record_answer()
        self.results.record_status(operation, exchange.status)
        if 200 <= exchange.status < 300:
            self.results.record_accepted(operation)
            self.results.record_work(planned.cost)
        return exchange

    def _exchange(
        self, planned: Planned, request: httpx.Request, sent: SentRequest, started: float
    ) -> Exchange:
        try:
            response = self.client.send(request, stream=True)
        except STALE_CONNECTION:
            # The gateway may have closed an idle kept-alive connection: it never saw the
            # request, so it goes once more on a fresh connection before anything is blamed.
            self.client.close()
            self.client = httpx.Client(**client_options(self.config))
            response = self.client.send(request, stream=True)
        with contextlib.closing(response):
            content = read_bounded(response, self.limits, started)
            version = response.http_version.split("/")[-1]
            return Exchange(
                planned.operation,
                planned.params,
                planned.image,
                response.status_code,
                parse_json(content),
                self.fetch,
                request=sent,
                content=content,
                status_text=status_line(response.status_code, response.reason_phrase, version),
                content_type=response.headers.get("content-type", ""),
                headers=list(response.headers.multi_items()),
            )

    def judge_answer(
        self, exchange: Exchange, planned: Planned | None, *, negative: bool = False
    ) -> None:
        """Apply every check that concerns the answer and record what it passed and failed
        (`negative`: an unplanned request the spec refuses, see `judge`)."""
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
        operation = exchange.operation.label
        prefix = f"{planned.described}: " if planned is not None else ""
        for verdict in verdicts:
            if not self.config.runs_check(verdict.check):
                continue
            if verdict.passed:
                self.results.record_pass(operation, verdict.check)
                continue
            self.results.record_failure(
                operation,
                verdict.check,
                verdict.title,
                redact(prefix + (verdict.reason or ""), secrets),
                self.reproducer(exchange.request),
                cause=redact(verdict.cause, secrets),
                evidence=exchange.evidence(secrets),
                source=verdict.source,
            )

    def reproducer(self, sent: SentRequest | None) -> str:
        """The curl command that sends `sent` again, byte for byte."""
        if sent is None:
            return "# no reproducer available"
        return curl_for_request(
            sent.method, sent.url, sent.headers, sent.body, self.inputs_dir, self.config.secrets
        )

    def _no_answer(
        self, planned: Planned, sent: SentRequest, check: str, title: str, reason: str, cause: str
    ) -> None:
        secrets = self.config.secrets
        self.results.record_failure(
            planned.operation.label,
            check,
            title,
            redact(f"{planned.described}: {reason}", secrets),
            self.reproducer(sent),
            cause=cause,
            evidence=Evidence(redact(f"{sent.method} {sent.url}", secrets), "(no answer)", "", ""),
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

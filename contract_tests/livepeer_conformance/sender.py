"""Sending one planned request and reading its answer within limits: the engine's first half.

A transport failure (no answer in time, a refused or reset connection, an answer past the
run's limits) is recorded here, on the request that met it, with that request's reproducer; a
request that meets a kept-alive connection the gateway closed while idle is sent once more on a
fresh connection first, since the gateway never saw it.
"""

from __future__ import annotations

import contextlib
import time

import httpx

from livepeer_conformance.bounded import (
    ANSWER_WITHIN_LIMITS,
    AnswerLimits,
    AnswerOutOfBounds,
    parse_json,
    read_bounded,
)
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig, client_options
from livepeer_conformance.evidence import (
    Evidence,
    Replay,
    curl_for_request,
    status_line,
    tls_options,
)
from livepeer_conformance.exchanges import Exchange, SentRequest
from livepeer_conformance.media import MediaFetcher
from livepeer_conformance.planned import Planned, build_request
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


class Sender:
    """Sends planned requests within the run's budget and limits; one per run."""

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
        self.replay = Replay(
            config.report_dir.resolve(),
            self.base_url,
            None if config.open_gateway else config.token,
            frozenset(name.lower() for name, _ in config.transport.headers),
            config.secrets,
            tls_options(config.transport),
        )
        self.limits = AnswerLimits(config.max_response_bytes, config.request_timeout)
        self.token = None if config.open_gateway else config.token
        self.client = httpx.Client(**client_options(config))
        #: Fetches the media URLs of answers: bounded on its own, never from the request budget.
        self.fetch = MediaFetcher(config)
        #: Whether an answer broke the limits: schemathesis would read such answers whole.
        self.out_of_bounds = False

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

    def reproducer(self, sent: SentRequest | None) -> str:
        """The command that sends `sent` again, byte for byte, pasted from any directory."""
        if sent is None:
            return "# no reproducer available"
        return curl_for_request(sent.method, sent.url, sent.headers, sent.body, self.replay)

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
            trigger=planned.trigger,
            example=planned.described,
        )

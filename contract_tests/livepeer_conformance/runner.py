"""One conformance run: pick the target, make sure it answers, run every phase, reach a verdict."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import TOKEN_ENV

from livepeer_conformance.baseline import load_baseline, split_by_baseline, write_baseline
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.edge_probes import probe_count, run_edge_probes
from livepeer_conformance.property_phase import run_properties
from livepeer_conformance.redaction import redact
from livepeer_conformance.report import Verdict
from livepeer_conformance.results import Moment, RunResults
from livepeer_conformance.sources import split_by_source
from livepeer_conformance.spec_checks import run_spec_checks

#: Requests per operation the property phase needs beyond its drawn examples: two explicit
#: requests, one repeat and three error probes.
PROPERTY_OVERHEAD_PER_OPERATION = 6
#: Operations of the spec, for runs that do not name a subset.
OPERATIONS = 3


#: Loggers of the embedded gateway: requests the suite abandons at its timeout make them log
#: tracebacks, and the run's own report already says what happened.
EMBEDDED_LOGGERS = ("uvicorn.error", "livepeer_reference_gateway")


class GatewayUnreachable(Exception):
    """The gateway did not answer the first request; the message says how, in one line."""


@contextlib.contextmanager
def target(config: RunConfig) -> Iterator[RunConfig]:
    """The config pointed at its gateway: the given one, or a reference gateway started for it."""
    if config.base_url is not None:
        yield config
        return
    from livepeer_reference_gateway import GatewaySettings, running_gateway

    settings = GatewaySettings(token=config.token, faults=config.faults, spec_path=config.spec_path)
    loggers = [logging.getLogger(name) for name in EMBEDDED_LOGGERS]
    levels = [logger.level for logger in loggers]
    try:
        with running_gateway(settings) as base_url:
            # Silenced once the server has configured its logging, and until it has fully stopped.
            for logger in loggers:
                logger.setLevel(logging.CRITICAL + 1)
            yield dataclasses.replace(config, base_url=base_url)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def probe(base_url: str, timeout: float) -> None:
    """Send one cheap request; raise `GatewayUnreachable` when no HTTP answer comes back in time."""
    try:
        httpx.get(base_url.rstrip("/") + "/", timeout=timeout)
    except httpx.TimeoutException:
        raise GatewayUnreachable(f"{base_url} did not answer within {timeout:g} s") from None
    except httpx.TransportError as exc:
        raise GatewayUnreachable(f"cannot reach {base_url}: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


class ProgressLine:
    """A live status line on a terminal; plain lines, one per step, into a file or a pipe."""

    def __init__(
        self, budget: RequestBudget, stream: TextIO | None = None, secrets: tuple[str, ...] = ()
    ) -> None:
        self.budget = budget
        self.stream = stream if stream is not None else sys.stderr
        self.secrets = secrets
        self.live = self.stream.isatty()
        self._last_plain = ""

    def __call__(self, message: str) -> None:
        text = redact(f"[{self.budget.spent}/{self.budget.limit} requests] {message}", self.secrets)
        if self.live:
            self.stream.write("\r\x1b[K" + text[:120])
        elif message != self._last_plain:
            self._last_plain = message
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the live line so that what follows starts on a fresh one."""
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def property_reserve(config: RunConfig) -> int:
    """Requests the spec phase leaves for the property phase."""
    if not config.runs_properties:
        return 0
    operations = len(config.operations) or OPERATIONS
    wanted = operations * (config.max_examples + PROPERTY_OVERHEAD_PER_OPERATION)
    return min(wanted, config.max_requests // 2)


def probe_reserve(config: RunConfig) -> int:
    """Requests the spec phase leaves for the edge probes: one per probe, at most a quarter."""
    return min(probe_count(spec.load_spec(config.spec_path), config), config.max_requests // 4)


def run(config: RunConfig, progress_stream: TextIO | None = None) -> Verdict:
    """Run the suite as `config` says; raise `GatewayUnreachable` when the first request fails."""
    started = time.monotonic()
    known = load_baseline(config.baseline) if config.baseline else frozenset()
    with target(config) as live:
        assert live.base_url is not None
        budget = RequestBudget(live.max_requests, live.rate_limit)
        budget.try_spend()  # the probe is a request like any other
        probe(live.base_url, live.request_timeout)
        results = RunResults(clock=lambda: Moment(budget.spent, time.monotonic() - started))
        progress = ProgressLine(budget, progress_stream, live.secrets)
        if not live.token:
            progress.stream.write(f"livepeer-conformance: warning: ${TOKEN_ENV} is not set\n")
        try:
            with budget.holding_back(property_reserve(live) + probe_reserve(live)):
                run_spec_checks(live, live.base_url, budget, results, progress)
            if budget.gateway_stopped_answering:
                results.record_not_covered("edge probes: not run, the gateway stopped answering")
            else:
                with budget.holding_back(property_reserve(live)):
                    run_edge_probes(live, live.base_url, budget, results, progress)
            if live.runs_properties and budget.gateway_stopped_answering:
                results.record_not_covered(
                    "semantic properties: not run, the gateway stopped answering"
                )
            elif live.runs_properties:
                run_properties(live, live.base_url, budget, results, progress)
        finally:
            progress.close()
    departures, advisories = split_by_source(results.sorted_departures(), config.profile)
    if config.write_baseline:
        write_baseline(config.write_baseline, departures)
    new, accepted = split_by_baseline(departures, known)
    return Verdict(
        results=results,
        new=new,
        accepted=accepted,
        target=config.base_url or "embedded reference gateway",
        profile=config.profile,
        requests_sent=budget.spent,
        request_budget=budget.limit,
        elapsed_seconds=time.monotonic() - started,
        advisories=advisories,
    )

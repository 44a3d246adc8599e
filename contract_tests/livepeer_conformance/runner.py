"""One conformance run: pick the target, make sure it answers, run every phase, reach a verdict."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

import httpx
from livepeer_gateway_spec import TOKEN_ENV

from livepeer_conformance.answer_conformance import CHECKS as ANSWER_CHECKS
from livepeer_conformance.baseline import (
    BugKey,
    load_baseline,
    split_by_baseline,
    write_baseline,
)
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig, client_options, proxy_shown
from livepeer_conformance.engine import BudgetSpent, Engine
from livepeer_conformance.errors import CredentialsRefused, GatewayUnreachable
from livepeer_conformance.media import MediaFetcher
from livepeer_conformance.outcome import NotCovered, Outcome
from livepeer_conformance.plan import OperationPlan, media_plan, plan_run, round_robin
from livepeer_conformance.property_phase import explore
from livepeer_conformance.redaction import redact
from livepeer_conformance.report import RunReport, replay_preamble
from livepeer_conformance.results import (
    GATEWAY_AVAILABLE,
    UNAVAILABLE_MIN_ANSWERS,
    UNAVAILABLE_SHARE,
    Finding,
    Moment,
    RunResults,
)
from livepeer_conformance.schedule import (
    CREDENTIALS,
    EDGE_PROBES,
    FIELD_PROBES,
    FIRST_PROPERTIES,
    NO_OPERATION,
    PROPERTIES,
    REACHABILITY,
    REFUSAL_PROBES,
    SPEC_CHECKS,
    Schedule,
    plan,
)
from livepeer_conformance.sources import split_by_source
from livepeer_conformance.spec_checks import run_spec_checks, spec_checks_of
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED

#: Statuses that say the credentials were refused.
REFUSED = (401, 403)

#: Loggers of the embedded gateway: requests the suite abandons at its timeout make them log
#: tracebacks, and the run's own report already says what happened.
EMBEDDED_LOGGERS = ("uvicorn.error", "livepeer_reference_gateway")


class RunInterrupted(BaseException):
    """Raised in the main thread when a stopped run did not wind down in time."""


@contextlib.contextmanager
def target(config: RunConfig) -> Iterator[RunConfig]:
    """The config pointed at its gateway: the given one, or a reference gateway started for it."""
    if config.base_url is not None:
        yield config
        return
    from livepeer_reference_gateway import GatewaySettings, running_gateway

    settings = GatewaySettings(
        token=config.token,
        faults=config.faults,
        spec_path=config.spec_path,
        media_urls=config.media_urls,
    )
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


def probe(config: RunConfig) -> None:
    """Send one cheap request; raise `GatewayUnreachable` when no HTTP answer comes back in time,
    naming the proxy when the request went through one."""
    base_url, timeout = config.base_url or "", config.request_timeout
    proxy = config.transport.proxy_for(base_url)
    via = f" through the proxy {proxy_shown(proxy)}" if proxy else ""
    try:
        with httpx.stream("GET", base_url.rstrip("/") + "/", **client_options(config)):
            pass  # the status line is enough; the body is not read
    except httpx.ProxyError as exc:
        raise GatewayUnreachable(
            f"the proxy {proxy_shown(proxy)} could not reach {base_url}: {_reason(exc)}"
        ) from None
    except httpx.TimeoutException:
        raise GatewayUnreachable(f"{base_url} did not answer{via} within {timeout:g} s") from None
    except httpx.ConnectError as exc:
        if proxy:
            raise GatewayUnreachable(
                f"cannot reach the proxy {proxy_shown(proxy)} (for {base_url}): {_reason(exc)}"
            ) from None
        raise GatewayUnreachable(f"cannot reach {base_url}: {_reason(exc)}") from None
    except httpx.TransportError as exc:
        raise GatewayUnreachable(f"cannot reach {base_url}{via}: {_reason(exc)}") from None


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


def demand_of(config: RunConfig, plans: list[OperationPlan]) -> dict[str, dict[str, int]]:
    """Operation -> phase -> requests the phase sends on it when nothing stops it early."""
    return {p.operation.label: p.demand(config.runs_properties) for p in plans}


@contextlib.contextmanager
def _capped(budget: RequestBudget, requests: int) -> Iterator[None]:
    """Let the block send at most `requests` more requests."""
    with budget.holding_back(max(budget.limit - budget.spent - requests, 0)):
        yield


def _run_spec_phase(
    live: RunConfig,
    config: RunConfig,
    budget: RequestBudget,
    results: RunResults,
    progress: ProgressLine,
    schedule: Schedule,
    plans: list[OperationPlan],
    engine: Engine,
) -> None:
    """schemathesis over one operation at a time, each within its share of the schedule; a share
    an operation leaves unused passes to the next, so the operations with the fewest request
    fields (the fewest coverage cases) go first."""
    assert live.base_url is not None
    fields = {p.operation.label: len(p.operation.properties) for p in plans}
    carried = 0
    for operation in sorted(schedule.operations, key=fields.__getitem__):
        share = schedule.planned[operation].get(SPEC_CHECKS, 0) + carried
        if share <= 0 or budget.stopping or budget.gateway_stopped_answering:
            carried = share
            continue
        before = budget.spent
        path = next(p.operation.path for p in plans if p.operation.label == operation)
        one = dataclasses.replace(live, operations=frozenset({path}))
        with _capped(budget, share):
            run_spec_checks(
                one, live.base_url, engine, progress, bounded=config.base_url is not None
            )
        carried = max(share - (budget.spent - before), 0)


def expected_checks(config: RunConfig, engine: Engine) -> dict[str, list[str]]:
    """Operation -> every check the run's profile holds it to."""
    always = [name for name in (*ANSWER_CHECKS, TOKEN_NOT_ECHOED) if config.runs_check(name)]
    always += [name for name in spec_checks_of(config) if name not in always]
    expected: dict[str, list[str]] = {}
    for op in engine.operations:
        names = list(always)
        if config.runs_properties:
            names += [p.name for p in engine.properties(op.path) if p.name not in names]
        expected[op.label] = names
    return expected


def judge_availability(config: RunConfig, results: RunResults) -> None:
    """`gateway_available` on each operation that answered: a failure, dated when the 503s
    first passed the recommended share, or a pass."""
    if not config.runs_check(GATEWAY_AVAILABLE):
        return
    for operation, answered in sorted(results.answered.items()):
        unavailable = results.unavailable[operation]
        if operation == NO_OPERATION:
            continue
        since = results.unavailable_since.get(operation)
        if since is None:
            results.record_pass(operation, GATEWAY_AVAILABLE)
            continue
        results.record_failure(
            operation,
            GATEWAY_AVAILABLE,
            "Gateway unavailable too often",
            f"answered 503 (no capacity) to {unavailable} of its {answered} answers; more than "
            f"{UNAVAILABLE_SHARE:.0%} once {UNAVAILABLE_MIN_ANSWERS} had come back",
            "# no single request reproduces it: run the suite again and count the 503 answers",
            since,
            cause="503 Gateway unavailable too often",
        )


def _not_covered(
    expected: dict[str, list[str]],
    results: RunResults,
    budget: RequestBudget,
    skipped: str,
    plans: list[OperationPlan],
    sent: set[int],
) -> list[NotCovered]:
    if budget.stopping:
        why = budget.stop_reason or ""
    elif budget.gateway_stopped_answering:
        why = "the gateway stopped answering"
    elif budget.spent >= budget.limit:
        why = f"the request budget ({budget.limit}) ran out"
    else:
        why = "no answer this check applies to"
    missing: list[NotCovered] = []
    for operation, checks in expected.items():
        if not results.accepted[operation]:
            missing.append(
                NotCovered(operation, "(accepted requests)", "the gateway accepted none")
            )
        for check in checks:
            if not results.exercised(operation, check):
                missing.append(NotCovered(operation, check, skipped or why))
        plan = next((p for p in plans if p.operation.label == operation), None)
        probes = [*plan.refusals, *plan.fields, *plan.edges] if plan is not None else []
        unsent = sum(1 for probe in probes if id(probe) not in sent)
        if unsent:
            missing.append(NotCovered(operation, EDGE_PROBES, f"{unsent} probe(s) not sent: {why}"))
        over = [probe.purpose for probe in plan.over_limits] if plan is not None else []
        if over:
            edges = "; ".join(over)
            missing.append(
                NotCovered(
                    operation,
                    EDGE_PROBES,
                    f"{len(over)} probe(s) over the run's size, step or batch ceilings: {edges}",
                )
            )
    return missing


def media_not_covered(media: MediaFetcher | None) -> list[NotCovered]:
    """The checks some answers were not judged by because the run's media bound was reached."""
    if media is None:
        return []
    return [
        NotCovered(operation, check, f"{answers} answer(s) not judged: {media.bound}")
        for (operation, check), answers in sorted(media.unjudged.items())
    ]


def check_credentials(engine: Engine, plans: list[OperationPlan], sent: set[int]) -> None:
    """One cheap, valid request per operation before any budget is spent on exploring.

    Raises `CredentialsRefused` when the gateway refuses the run's credentials, so that a wrong
    token is one line instead of a run whose checks silently did not apply.
    """
    try:
        for one in plans:
            sent.add(id(one.credentials))
            exchange = engine.run(one.credentials)
            if exchange is not None and exchange.status in REFUSED:
                raise CredentialsRefused(
                    _refusal(engine.config, exchange.operation.label, exchange.status)
                )
    except BudgetSpent:
        engine.results.record_note(f"credentials check: stopped early, {engine.stop_reason()}")


def _refusal(config: RunConfig, operation: str, status: int) -> str:
    if config.open_gateway:
        what = "requests without credentials (--auth none)"
    elif config.token:
        what = f"the token in ${TOKEN_ENV}"
    else:
        what = f"requests without a token (${TOKEN_ENV} is not set)"
    return f"the gateway refused {what}: {operation} answered {status} to a valid request"


def _stopper(
    config: RunConfig, limit: int, budget: RequestBudget, known: frozenset[BugKey]
) -> Callable[[Finding], None]:
    """Stop the run through `budget` at the `limit`-th new cause that fails it (`--max-failures`):
    neither accepted by the baseline nor an advisory under the run's profile."""
    failing: set[BugKey] = set()

    def on_new_finding(departure: Finding) -> None:
        if departure.key in known or not split_by_source([departure], config.profile)[0]:
            return
        failing.add(departure.key)
        if len(failing) >= limit:
            budget.stop(f"the run stopped at --max-failures {limit}")

    return on_new_finding


def run(
    config: RunConfig, progress_stream: TextIO | None = None, budget: RequestBudget | None = None
) -> RunReport:
    """Run the suite as `config` says; raise `ConformanceError` when it cannot be run.

    `budget` may be given so that a signal handler can stop the run through it.
    """
    started = time.monotonic()
    known = load_baseline(config.baseline) if config.baseline else frozenset()
    budget = budget or RequestBudget(config.max_requests, config.rate_limit)
    results = RunResults(clock=lambda: Moment(budget.spent, time.monotonic() - started))
    if config.max_failures is not None:
        results.on_new_finding = _stopper(config, config.max_failures, budget, known)
    expected: dict[str, list[str]] = {}
    interrupted = False
    skipped = ""
    plans: list[OperationPlan] = plan_run(config)
    sent: set[int] = set()
    schedule: Schedule | None = None
    media: MediaFetcher | None = None
    if not plans:
        results.record_note("the spec declares no operation to check")
    else:
        with target(config) as live:
            assert live.base_url is not None
            progress = ProgressLine(budget, progress_stream, live.secrets)
            engine = Engine(live, live.base_url, budget, results, progress)
            media = engine.fetch
            engine.operations = [p.operation for p in plans]
            expected = expected_checks(live, engine)
            try:
                schedule = plan(config.max_requests, demand_of(live, plans))
                media_plan(live, plans, schedule)
                results.phase = REACHABILITY
                if budget.try_spend():  # the probe is a request like any other
                    results.record_request(NO_OPERATION)
                probe(live)
                results.phase = CREDENTIALS
                check_credentials(engine, plans, sent)
                if engine.out_of_bounds:
                    skipped = "not run: an answer broke the response limits"
                    results.record_note(
                        "spec checks: not run, an answer to the first requests broke the "
                        "response limits"
                    )
                else:
                    results.phase = REFUSAL_PROBES
                    with _capped(budget, schedule.phase_total(REFUSAL_PROBES)):
                        refusals = round_robin([p.refusals for p in plans])
                        engine.run_all(refusals, sent, "edge probes")
                    if live.runs_properties:
                        results.phase = FIRST_PROPERTIES
                        with _capped(budget, schedule.phase_total(FIRST_PROPERTIES)):
                            firsts = round_robin([p.first_examples for p in plans])
                            engine.run_all(firsts, sent, "semantic properties")
                    results.phase = FIELD_PROBES
                    with _capped(budget, schedule.phase_total(FIELD_PROBES)):
                        field_probes = round_robin([p.fields for p in plans])
                        engine.run_all(field_probes, sent, "edge probes")
                    results.phase = SPEC_CHECKS
                    _run_spec_phase(
                        live, config, budget, results, progress, schedule, plans, engine
                    )
                results.phase = EDGE_PROBES
                if budget.stopping:
                    pass  # interrupted: the notes already say where each phase stopped
                elif budget.gateway_stopped_answering:
                    results.record_note("edge probes: not run, the gateway stopped answering")
                else:
                    reserve = schedule.phase_total(PROPERTIES) if live.runs_properties else 0
                    with budget.holding_back(reserve):
                        edges = round_robin([[*p.refusals, *p.fields, *p.edges] for p in plans])
                        engine.run_all(edges, sent, "edge probes")
                results.phase = PROPERTIES
                if budget.stopping:
                    pass  # interrupted: the notes already say where each phase stopped
                elif live.runs_properties and budget.gateway_stopped_answering:
                    results.record_note(
                        "semantic properties: not run, the gateway stopped answering"
                    )
                elif live.runs_properties:
                    examples = [one for p in plans for one in p.examples]
                    engine.run_all(examples, sent, "semantic properties")
                    explore(engine, engine.operations)
            except RunInterrupted:
                interrupted = True
            except Exception:
                # Once the run is told to stop, whatever a phase raises while it winds down
                # (hypothesis wraps an interrupt in its own errors) is that interruption.
                if not budget.stopping:
                    raise
                interrupted = budget.interrupted
            finally:
                progress.close()
                engine.close()
    interrupted = interrupted or budget.interrupted
    judge_availability(config, results)
    # Recommended rules fail a gateway only under the strict profile: otherwise advisories.
    departures, advisories = split_by_source(results.sorted_findings(), config.profile)
    if config.write_baseline:
        write_baseline(config.write_baseline, departures, config.secrets)
    new, accepted = split_by_baseline(departures, known)
    not_covered = _not_covered(expected, results, budget, skipped, plans, sent)
    not_covered += media_not_covered(media)
    if new:
        outcome = Outcome.DEPARTURES
    elif interrupted or not_covered or not expected:
        outcome = Outcome.INCOMPLETE
    else:
        outcome = Outcome.CONFORMS
    return RunReport(
        results=results,
        new=new,
        accepted=accepted,
        target=config.base_url or "embedded reference gateway",
        profile=config.profile,
        requests_sent=budget.spent,
        request_budget=budget.limit,
        elapsed_seconds=time.monotonic() - started,
        advisories=advisories,
        outcome=outcome,
        not_covered=not_covered,
        interrupted=interrupted,
        stopped_by="" if interrupted or not budget.stopping else budget.stop_reason or "",
        open_gateway=config.open_gateway,
        replay_hint="\n".join(replay_preamble(config)),
        schedule=schedule,
        options=config.reported_options(),
        exit_code=outcome.exit_code,
        media=media,
    )

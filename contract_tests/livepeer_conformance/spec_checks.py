"""The spec phase: schemathesis's own checks over `openapi.yaml`, coverage phase included."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import livepeer_gateway_spec as spec
import requests
import schemathesis
from livepeer_gateway_spec import Operation
from schemathesis.config import SchemathesisConfig

from livepeer_conformance.answer_conformance import INCONCLUSIVE_FOR_AUTH
from livepeer_conformance.bounded import (
    ANSWER_WITHIN_LIMITS,
    AnswerLimits,
    AnswerOutOfBounds,
    parse_json,
)
from livepeer_conformance.bounding_proxy import MARKER_HEADER, bounding_proxy
from livepeer_conformance.config import RunConfig
from livepeer_conformance.engine import Engine, upload_of
from livepeer_conformance.evidence import Evidence, status_line
from livepeer_conformance.exchanges import Exchange, SentRequest
from livepeer_conformance.gpu_work import work
from livepeer_conformance.planned import VALID_TRIGGER
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import (
    GATEWAY_REACHABLE,
    RESPONDS_WITHIN_TIMEOUT,
    CheckFailure,
    Moment,
    ProgressSink,
    cause_of,
    reason_class,
)
from livepeer_conformance.schemathesis_private import (
    Status,
    events,
    from_schema,
    keep_edits_as_generated,
    multipart_file_parts_revalidated,
)
from livepeer_conformance.sources import (
    broken_constraints,
    negative_case_source,
    source_of_check,
)
from livepeer_conformance.strategies import encode_image, register_image_strategies
from livepeer_conformance.valid_requests import make_realistic

#: schemathesis's checks the suite runs, under schemathesis's names: those that need to know
#: how schemathesis generated a case. The checks that hold for any answer (status, content
#: type, schema, headers, no server error, no echoed token) are the engine's, applied to every
#: answer schemathesis gets through the `after_call` hook.
SPEC_CHECKS: tuple[str, ...] = (
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
)
#: The image sent where the spec's examples hold a placeholder.
PLACEHOLDER_IMAGE = encode_image(16, 16, (90, 140, 200), "PNG")


def spec_checks_of(config: RunConfig) -> tuple[str, ...]:
    """The schemathesis checks a run with `config` runs."""
    return tuple(name for name in SPEC_CHECKS if config.runs_check(name))


@dataclass
class _SpecRun:
    """What the spec phase's hooks share with the loop reading schemathesis's events."""

    config: RunConfig
    engine: Engine
    operations: dict[str, Operation]
    stop: Callable[[], None] = lambda: None
    #: Each case answered and not recorded yet: when its answer came, the exchange, the checks
    #: the engine found it failing and its trigger. schemathesis's own checks, judged after,
    #: join them, so that one answer is one finding.
    answered: dict[str, tuple[Moment, Exchange, list[CheckFailure], str]] = field(
        default_factory=dict
    )
    #: When each request that got no answer gave up, and what was sent, by the request's id:
    #: its error event comes later and carries that same request (kept, so its id stays its own).
    unanswered: dict[int, tuple[Any, Moment, SentRequest]] = field(default_factory=dict)
    #: Cases whose answer broke the response limits: the proxy reported them; no check judges them.
    out_of_bounds: set[str] = field(default_factory=set)
    #: The reverse proxy's origin schemathesis sends to, and the gateway's it stands for.
    loopback: tuple[str, str] | None = None

    def real(self, text: str) -> str:
        """`text` with the gateway's own address where schemathesis wrote the proxy's."""
        return text.replace(*self.loopback) if self.loopback else text

    def shown(self, text: str) -> str:
        """`text` as the reports may show it: the gateway's address, the token redacted."""
        return redact(self.real(text), self.config.secrets)

    def stop_when_spent(self) -> None:
        budget = self.engine.budget
        if budget.exhausted or budget.stopping:
            self.stop()

    def sent(self, request: Any) -> SentRequest:
        """What schemathesis sent, with the gateway's address in place of the proxy's."""
        sent = SentRequest.of(request)
        return SentRequest(sent.method, self.real(sent.url), sent.headers, sent.body)


def _prepare_case(case: schemathesis.Case, config: RunConfig, operation: Operation) -> None:
    """Pin the model id, send a real image for a placeholder, keep positive requests small."""
    body = case.body
    if not isinstance(body, dict):
        return
    meta = case.meta
    positive = meta is None or meta.generation.mode.is_positive
    # The pinned model or none, and `loras` as a JSON mapping: never an invented model id.
    make_realistic(body, operation, config)
    if positive:
        # The spec's examples carry the file part as text (a plain PPM image); a positive
        # request carries a real image instead, as every other phase's requests do.
        if isinstance(body.get("image"), str):
            body["image"] = PLACEHOLDER_IMAGE
        config.limits.cap(body, frozenset(operation.properties))
    keep_edits_as_generated(case)


def _exchange(case: schemathesis.Case, response: Any, run: _SpecRun) -> Exchange:
    """schemathesis's answer as the engine's exchange, judged like every other answer."""
    content = response.content or b""
    try:
        body = parse_json(content)
    except AnswerOutOfBounds:
        body = None  # too deep to judge: the schema check says the body is not JSON
    content_type = next(
        (values[0] for name, values in response.headers.items() if name.lower() == "content-type"),
        "",
    )
    return Exchange(
        run.operations[case.operation.path],
        case.body if isinstance(case.body, dict) else {},
        None,
        response.status_code,
        body,
        run.engine.fetch,
        request=run.sent(response.request),
        content=content,
        status_text=status_line(response.status_code, response.message, response.http_version),
        content_type=content_type,
        headers=[(name, value) for name, values in response.headers.items() for value in values],
    )


def _install_hooks(schema: Any, run: _SpecRun) -> None:
    """Register the run's hooks on `schema` alone: other schemas and runs never see them."""

    @schema.hook
    def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
        _prepare_case(case, run.config, run.operations[case.operation.path])
        return case

    @schema.hook
    def before_add_examples(
        context: schemathesis.HookContext, examples: list[schemathesis.Case]
    ) -> None:
        # The examples phase builds its cases from the spec's examples, past `map_case`.
        for case in examples:
            _prepare_case(case, run.config, run.operations[case.operation.path])

    @schema.hook
    def after_call(
        context: schemathesis.HookContext, case: schemathesis.Case, response: Any
    ) -> None:
        engine = run.engine
        engine.budget.record_answer()
        engine.budget.record_spent()
        results = engine.results
        operation = case.operation.label
        results.record_request(operation)
        if MARKER_HEADER.lower() in {k.lower() for k in response.headers}:
            run.out_of_bounds.add(case.id)
            run.stop_when_spent()
            return
        results.record_status(operation, response.status_code)
        if 200 <= response.status_code < 300:
            results.record_accepted(operation)
            results.record_work(_work(case, run))
        exchange = _exchange(case, response, run)
        failures = []
        if (response.request.method or "").lower() == case.operation.method.lower():
            meta = case.meta
            negative = meta is not None and not meta.generation.mode.is_positive
            failures = engine.failures_of(exchange, None, negative=negative)
        run.answered[case.id] = (results.clock(), exchange, failures, _trigger(case, run))
        run.stop_when_spent()

    @schema.hook
    def after_network_error(
        context: schemathesis.HookContext, case: schemathesis.Case, request: Any
    ) -> None:
        engine = run.engine
        engine.budget.record_transport_failure()
        engine.budget.record_spent()
        engine.results.record_request(case.operation.label)
        run.unanswered[id(request)] = (request, engine.results.clock(), run.sent(request))
        run.stop_when_spent()


def _trigger(case: schemathesis.Case, run: _SpecRun) -> str:
    """The input a server error on `case` is blamed on: the first field its body breaks, or
    "a valid request", as for the suite's own requests."""
    meta = case.meta
    if meta is not None and not meta.generation.mode.is_positive:
        spec_file = str(run.config.spec_path)
        broken = broken_constraints(spec_file, case.operation.path, case.body)
        if broken:
            return broken[0][0].split(".", 1)[0]
    return VALID_TRIGGER


def _work(case: schemathesis.Case, run: _SpecRun) -> int:
    """GPU work of an accepted case (a body that is not an object asks for none)."""
    if not isinstance(case.body, dict):
        return 0
    return work(run.operations[case.operation.path], case.body, upload_of(case.body))


def open_document(document: dict[str, Any]) -> dict[str, Any]:
    """`document` without its security requirements: the spec of a gateway open on purpose."""
    opened = copy.deepcopy(document)
    opened.pop("security", None)
    for _, _, op in spec.iter_operations(opened):
        op.pop("security", None)
    return opened


def schemathesis_config(
    config: RunConfig, base_url: str, max_examples: int, proxy: str | None = None
) -> SchemathesisConfig:
    """The spec phase's schemathesis configuration: the suite's checks, all phases but stateful."""
    checks: dict[str, Any] = {"enabled": False}
    checks |= {name: {"enabled": True} for name in spec_checks_of(config)}
    project: dict[str, Any] = {
        "base-url": base_url,
        "workers": 1,
        "continue-on-failure": True,
        "request-timeout": config.request_timeout,
        "checks": checks,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {"mode": "all", "max-examples": max_examples, "database": "none"},
    }
    if proxy is not None:
        project["proxy"] = proxy
    if config.transport.headers:
        project["headers"] = dict(config.transport.headers)
    if config.token and not config.open_gateway:
        project["auth"] = {"openapi": {"HTTPBearer": {"bearer": config.token}}}
    # No cache: a run leaves nothing behind but its reports.
    document: dict[str, Any] = {"suppress-health-check": ["all"], "cache": {"enabled": False}}
    document |= project
    if config.seed is not None:
        document["seed"] = config.seed
    return SchemathesisConfig.from_dict(document)


def _load_schema(config: RunConfig, base_url: str, proxy: str | None) -> Any:
    settings = schemathesis_config(config, base_url, config.max_examples, proxy)
    if config.open_gateway:
        document = open_document(spec.load_spec(config.spec_path))
        return schemathesis.openapi.from_dict(document, config=settings)
    return schemathesis.openapi.from_path(config.spec_path, config=settings)


def run_spec_checks(
    config: RunConfig,
    base_url: str,
    engine: Engine,
    progress: ProgressSink,
    bounded: bool = True,
) -> None:
    """Run schemathesis over the spec against `base_url`, every answer judged by `engine`.

    With `bounded`, the gateway's answers reach schemathesis through the bounding proxy: a
    forward proxy for an `http://` gateway, a reverse proxy for an `https://` one; the embedded
    reference gateway, the suite's own, is checked directly.
    """
    budget, results = engine.budget, engine.results
    if budget.exhausted or budget.stopping:
        results.record_note(_stop_explanation(budget, "spec checks"))
        return
    register_image_strategies()
    limits = AnswerLimits(config.max_response_bytes, config.request_timeout)
    with contextlib.ExitStack() as stack:
        proxy, loopback = None, None
        if bounded:
            on_out_of_bounds = _out_of_bounds_recorder(engine, base_url)
            # An https gateway: a reverse proxy on loopback stands for its origin.
            parts = urlsplit(base_url)
            upstream = f"{parts.scheme}://{parts.netloc}" if parts.scheme == "https" else None
            started = bounding_proxy(
                limits,
                config.request_timeout,
                on_out_of_bounds,
                upstream,
                config.transport,
                base_url,
            )
            proxy = stack.enter_context(started)
            if upstream is not None:
                loopback = (proxy, upstream)
                proxy = None
        _run_stream(config, base_url, engine, progress, proxy, loopback)
    if budget.exhausted or budget.stopping:
        results.record_note(_stop_explanation(budget, "spec checks"))


def _out_of_bounds_recorder(
    engine: Engine, base_url: str
) -> Callable[[str, str, dict[str, str], bytes, AnswerOutOfBounds], None]:
    """Record an answer the proxy cut off as an `answer_within_limits` departure."""
    prefix = httpx.URL(base_url).path.rstrip("/")

    def record(
        method: str, url: str, headers: dict[str, str], body: bytes, exc: AnswerOutOfBounds
    ) -> None:
        path = httpx.URL(url).path.removeprefix(prefix) or "/"
        sent = SentRequest(method, url, tuple(headers.items()), body)
        engine.results.record_failure(
            f"{method} {path}",
            ANSWER_WITHIN_LIMITS,
            "Answer out of bounds",
            str(exc),
            engine.reproducer(sent),
            cause=reason_class(str(exc)),
            evidence=Evidence(
                redact(f"{method} {url}", engine.config.secrets), "(cut off)", "", ""
            ),
        )

    return record


def _run_stream(
    config: RunConfig,
    base_url: str,
    engine: Engine,
    progress: ProgressSink,
    proxy: str | None,
    loopback: tuple[str, str] | None,
) -> None:
    # Behind the reverse proxy, schemathesis sends to the proxy's origin, the same path.
    sent_to = base_url.replace(loopback[1], loopback[0], 1) if loopback else base_url
    schema = _load_schema(config, sent_to, proxy)
    if config.operations:
        schema = schema.include(path=sorted(config.operations))
    stream = from_schema(schema).execute()
    operations = {op.path: op for op in engine.operations}
    run = _SpecRun(config, engine, operations, stop=stream.stop, loopback=loopback)
    _install_hooks(schema, run)
    budget, results = engine.budget, engine.results
    budget.on_stop(stream.stop)
    with multipart_file_parts_revalidated():
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                _record_scenario(event, run)
                progress(f"spec checks: {event.recorder.label} ({event.phase.value})")
            elif isinstance(event, events.NonFatalError):
                _record_error(event, run)
            elif isinstance(event, events.FatalError):
                results.record_note(f"spec checks stopped: {run.shown(_one_line(event.exception))}")
                break
    _flush(run)
    budget.on_stop(None)


def _record_scenario(event: events.ScenarioFinished, run: _SpecRun) -> None:
    """Record schemathesis's own checks of the scenario, as structured check results."""
    recorder = event.recorder
    operation = recorder.label
    engine = run.engine
    results = engine.results
    for case_id, nodes in recorder.checks.items():
        if case_id in run.out_of_bounds:
            continue  # the proxy's stand-in answer: its departure is already recorded
        answered = run.answered.pop(case_id, None)
        exchange = answered[1] if answered is not None else None
        failures = list(answered[2]) if answered is not None else []
        for node in nodes:
            if node.name not in SPEC_CHECKS:
                continue  # a check of the engine's, which judged the answer itself
            if node.status == Status.SUCCESS:
                results.record_pass(operation, node.name)
            elif node.status == Status.FAILURE and node.failure_info is not None:
                status = exchange.status if exchange is not None else None
                if node.name == "ignored_auth" and status in INCONCLUSIVE_FOR_AUTH:
                    # No capacity, or too many requests: nothing learnt of the credentials (the
                    # engine's rule); the check stays open rather than failing.
                    continue
                failures.append(_failure(node, status, recorder, case_id, run))
        if failures and exchange is not None and answered is not None:
            # The engine's checks and schemathesis's on the same answer: one bug, one finding.
            engine.record_failures(
                exchange, failures, answered[3], answered[0], f"spec checks: {answered[3]}"
            )
        elif failures:
            reproducer = "# no reproducer: schemathesis recorded no answer for this case"
            results.record_answer(operation, failures, reproducer)
    _flush(run)


def _failure(node: Any, status: int | None, recorder: Any, case_id: str, run: _SpecRun) -> Any:
    """schemathesis's failed check as the suite's, its cause the rule the case breaks."""
    failure = node.failure_info.failure
    title = " ".join(str(failure.title).split())
    cause, source = cause_of(status, title), None
    if node.name == "negative_data_rejection" and case_id in recorder.cases:
        # An invalid request served: its cause is the strongest rule it breaks (`field.keyword`),
        # whose source decides whether it fails the run.
        case = recorder.cases[case_id].value
        spec_file = str(run.config.spec_path)
        broken, source = negative_case_source(spec_file, case.operation.path, case.body)
        cause = cause_of(status, broken) if broken else cause
    return CheckFailure(
        node.name,
        run.shown(failure.title),
        run.shown(failure.message),
        run.shown(cause),
        source or source_of_check(node.name),
    )


def _flush(run: _SpecRun) -> None:
    """Record the engine's findings on answers whose scenario has finished without checks of
    schemathesis's own (each scenario's cases are answered before it finishes)."""
    for case_id in list(run.answered):
        seen, exchange, failures, trigger = run.answered.pop(case_id)
        if failures:
            run.engine.record_failures(exchange, failures, trigger, seen, f"spec checks: {trigger}")


def _record_error(event: events.NonFatalError, run: _SpecRun) -> None:
    error = event.value
    operation = event.label
    config, engine = run.config, run.engine
    if isinstance(error, requests.Timeout):
        check, title = RESPONDS_WITHIN_TIMEOUT, "No answer within the request timeout"
        reason = f"no answer within {config.request_timeout:g} s"
    elif isinstance(error, requests.ConnectionError):
        check, title = GATEWAY_REACHABLE, "Connection refused or reset"
        reason = f"no answer: {_one_line(_root_cause(error))}"
    else:
        engine.results.record_note(f"{operation}: {run.shown(_one_line(error))}")
        return
    # The request that failed is the one the error carries, not whichever failed before it.
    request = getattr(error, "request", None)
    _, seen, sent = run.unanswered.pop(id(request), (None, None, None))
    if sent is None and request is not None:
        sent = run.sent(request)
    engine.results.record_failure(
        operation,
        check,
        title,
        run.shown(reason),
        engine.reproducer(sent),
        seen,
        cause=title,
    )


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception requests and urllib3 wrapped `error` around (their messages
    name pools and retries, and the bounding proxy's address)."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = [arg for arg in error.args if isinstance(arg, BaseException)]
        reason = getattr(error, "reason", None)  # urllib3's MaxRetryError keeps it there
        inner += [reason] if isinstance(reason, BaseException) else []
        if not inner:
            break
        error = inner[-1]
    return error


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip(": ")


def _stop_explanation(budget: Any, phase: str) -> str:
    if budget.stopping:
        return f"{phase}: stopped, {budget.stop_reason}"
    if budget.gateway_stopped_answering:
        return f"{phase}: stopped after the gateway failed to answer repeatedly"
    if budget.share < budget.limit:
        return f"{phase}: stopped at request {budget.share}, the end of its share of the schedule"
    return f"{phase}: stopped at the request budget ({budget.limit} requests)"

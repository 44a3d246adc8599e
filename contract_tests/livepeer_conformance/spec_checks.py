"""The spec phase: schemathesis's own checks over `openapi.yaml`, coverage phase included."""

from __future__ import annotations

import contextlib
import copy
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import livepeer_gateway_spec as spec
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from livepeer_conformance.answer_conformance import INCONCLUSIVE_FOR_AUTH, UNAVAILABLE
from livepeer_conformance.bounded import ANSWER_WITHIN_LIMITS, AnswerLimits, AnswerOutOfBounds
from livepeer_conformance.bounding_proxy import MARKER_HEADER, bounding_proxy
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.evidence import Evidence, body_excerpt, curl_for_request, status_line
from livepeer_conformance.gpu_work import upload_side, work
from livepeer_conformance.redaction import redact
from livepeer_conformance.results import (
    GATEWAY_REACHABLE,
    RESPONDS_WITHIN_TIMEOUT,
    Moment,
    ProgressSink,
    RunResults,
    cause_of,
    reason_class,
)
from livepeer_conformance.schemathesis_private import (
    keep_edits_as_generated,
    multipart_file_parts_revalidated,
)
from livepeer_conformance.sources import negative_case_source
from livepeer_conformance.strategies import encode_image, register_image_strategies
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED, echo_reason, find_echo, sent_token
from livepeer_conformance.valid_requests import make_realistic

#: schemathesis's checks the suite runs, under schemathesis's names.
SPEC_CHECKS: tuple[str, ...] = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
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
    budget: RequestBudget
    results: RunResults
    inputs_dir: Path
    stop: Callable[[], None] = lambda: None
    #: When each case's answer came, what it was, and a reproducer to build on failure.
    answered: dict[str, tuple[Moment, Evidence, Callable[[], str]]] = field(default_factory=dict)
    #: When each request that got no answer gave up, oldest first; its error event comes later.
    unanswered_at: deque[Moment] = field(default_factory=deque)
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
        if self.budget.exhausted or self.budget.stopping:
            self.stop()


@lru_cache(maxsize=4)
def _document(spec_file: str) -> dict[str, Any]:
    return spec.load_spec(spec_file)


@lru_cache(maxsize=16)
def _request_properties(spec_file: str, path: str) -> frozenset[str]:
    """Names of the request body's properties of the POST operation at `path`."""
    _, schema = spec.request_body(spec.load_spec(spec_file), path)
    return frozenset(schema.get("properties", {}))


def _prepare_case(case: schemathesis.Case, config: RunConfig) -> None:
    """Pin the model id, send a real image for a placeholder, keep positive requests small."""
    body = case.body
    if not isinstance(body, dict):
        return
    meta = case.meta
    positive = meta is None or meta.generation.mode.is_positive
    # The pinned model or none, and `loras` as a JSON mapping: never an invented model id.
    make_realistic(body, config.model_id_for(case.operation.path))
    if positive:
        # The spec's examples carry the file part as text (a plain PPM image); a positive
        # request carries a real image instead, as every other phase's requests do.
        if isinstance(body.get("image"), str):
            body["image"] = PLACEHOLDER_IMAGE
        config.limits.cap(body, _request_properties(str(config.spec_path), case.operation.path))
    keep_edits_as_generated(case)


def _evidence(response: Any, run: _SpecRun) -> tuple[Evidence, Callable[[], str]]:
    """The answer's evidence, and how to make a reproducer sending the exact bytes again."""
    request = response.request
    secrets = run.config.secrets
    body = request.body.encode() if isinstance(request.body, str) else request.body
    method, headers = request.method or "POST", dict(request.headers)
    url = run.real(request.url or "")

    def reproducer() -> str:
        return redact(curl_for_request(method, url, headers, body, run.inputs_dir), secrets)

    answer_headers = {k.lower(): v for k, v in response.headers.items()}
    content_type = answer_headers.get("content-type", [""])
    evidence = Evidence(
        request=redact(f"{method} {url}", secrets),
        status_line=redact(
            status_line(response.status_code, response.message, response.http_version), secrets
        ),
        content_type=redact(content_type[0] if content_type else "", secrets),
        body=body_excerpt(response.content, secrets),
    )
    return evidence, reproducer


def _install_hooks(schema: Any, run: _SpecRun) -> None:
    """Register the run's hooks on `schema` alone: other schemas and runs never see them."""

    @schema.hook
    def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
        _prepare_case(case, run.config)
        return case

    @schema.hook
    def before_add_examples(
        context: schemathesis.HookContext, examples: list[schemathesis.Case]
    ) -> None:
        # The examples phase builds its cases from the spec's examples, past `map_case`.
        for case in examples:
            _prepare_case(case, run.config)

    @schema.hook
    def after_call(
        context: schemathesis.HookContext, case: schemathesis.Case, response: Any
    ) -> None:
        run.budget.record_answer()
        run.budget.record_spent()
        run.results.record_request(case.operation.label)
        if MARKER_HEADER.lower() in {k.lower() for k in response.headers}:
            run.out_of_bounds.add(case.id)
            run.stop_when_spent()
            return
        moment = run.results.clock()
        evidence, reproducer = _evidence(response, run)
        run.answered[case.id] = (moment, evidence, reproducer)
        if 200 <= response.status_code < 300:
            run.results.record_accepted(case.operation.label)
            run.results.record_work(_work(case, run.config))
        _judge_token_echo(case, response, run, evidence, reproducer)
        run.stop_when_spent()

    @schema.hook
    def after_network_error(
        context: schemathesis.HookContext, case: schemathesis.Case, request: Any
    ) -> None:
        run.budget.record_transport_failure()
        run.budget.record_spent()
        run.results.record_request(case.operation.label)
        run.unanswered_at.append(run.results.clock())
        run.stop_when_spent()


def _work(case: schemathesis.Case, config: RunConfig) -> int:
    """GPU work of an accepted case (a body that is not an object asks for none)."""
    if not isinstance(case.body, dict):
        return 0
    image = case.body.get("image")
    upload = upload_side(image) if isinstance(image, bytes) else None
    return work(_document(str(config.spec_path)), case.operation.path, case.body, upload)


def _judge_token_echo(
    case: schemathesis.Case,
    response: Any,
    run: _SpecRun,
    evidence: Evidence,
    reproducer: Callable[[], str],
) -> None:
    """The answer must not carry the token its request sent (or the run's), in any form."""
    if not run.config.runs_check(TOKEN_NOT_ECHOED):
        return
    operation = case.operation.label
    tokens = [run.config.token, sent_token(response.request.headers)]
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    where = find_echo(headers, response.content or b"", tokens)
    if where is None:
        run.results.record_pass(operation, TOKEN_NOT_ECHOED)
        return
    run.results.record_failure(
        operation,
        TOKEN_NOT_ECHOED,
        "Token echoed",
        echo_reason(where),
        reproducer(),
        cause=cause_of(response.status_code, f"token in {where}"),
        evidence=evidence,
    )


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
    budget: RequestBudget,
    results: RunResults,
    progress: ProgressSink,
    bounded: bool = True,
) -> None:
    """Run schemathesis over the spec against `base_url`, recording every check into `results`.

    With `bounded`, the gateway's answers reach schemathesis through the bounding proxy: a
    forward proxy for an `http://` gateway, a reverse proxy for an `https://` one; the embedded
    reference gateway, the suite's own, is checked directly.
    """
    if budget.exhausted or budget.stopping:
        results.record_note(_stop_explanation(budget, "spec checks"))
        return
    register_image_strategies()
    inputs_dir = config.report_dir / "inputs"
    limits = AnswerLimits(config.max_response_bytes, config.request_timeout)
    with contextlib.ExitStack() as stack:
        proxy, loopback = None, None
        if bounded:
            on_out_of_bounds = _out_of_bounds_recorder(config, base_url, results, inputs_dir)
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
        _run_stream(config, base_url, budget, results, progress, proxy, loopback)
    if budget.exhausted or budget.stopping:
        results.record_note(_stop_explanation(budget, "spec checks"))


def _out_of_bounds_recorder(
    config: RunConfig, base_url: str, results: RunResults, inputs_dir: Path
) -> Callable[[str, str, dict[str, str], bytes, AnswerOutOfBounds], None]:
    """Record an answer the proxy cut off as an `answer_within_limits` departure."""
    prefix = httpx.URL(base_url).path.rstrip("/")

    def record(
        method: str, url: str, headers: dict[str, str], body: bytes, exc: AnswerOutOfBounds
    ) -> None:
        path = httpx.URL(url).path.removeprefix(prefix) or "/"
        reproducer = redact(
            curl_for_request(method, url, headers, body, inputs_dir), config.secrets
        )
        results.record_failure(
            f"{method} {path}",
            ANSWER_WITHIN_LIMITS,
            "Answer out of bounds",
            str(exc),
            reproducer,
            cause=reason_class(str(exc)),
            evidence=Evidence(redact(f"{method} {url}", config.secrets), "(cut off)", "", ""),
        )

    return record


def _run_stream(
    config: RunConfig,
    base_url: str,
    budget: RequestBudget,
    results: RunResults,
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
    run = _SpecRun(
        config, budget, results, config.report_dir / "inputs", stop=stream.stop, loopback=loopback
    )
    _install_hooks(schema, run)
    budget.on_stop(stream.stop)
    with multipart_file_parts_revalidated():
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                _record_scenario(event, config, results, run)
                progress(f"spec checks: {event.recorder.label} ({event.phase.value})")
            elif isinstance(event, events.NonFatalError):
                _record_error(event, results, config, run)
            elif isinstance(event, events.FatalError):
                results.record_note(f"spec checks stopped: {run.shown(_one_line(event.exception))}")
                break
    budget.on_stop(None)


def _cause(failure: Any, status: int | None) -> str:
    """The reason class of a schemathesis failure: its status, its title, and the component at
    fault when schemathesis names one (e.g. `body num_images_per_prompt: Value smaller than
    minimum`), numbers left out so that one cause stays one cause."""
    title = " ".join(str(failure.title).split())
    message = " ".join(str(failure.message or "").split())
    found = re.search(r"Invalid component: (.+)$", message)
    detail = re.sub(r"^in (\w+) - ", r"\1 ", found.group(1)) if found else ""
    detail = re.sub(r"\d+", "#", detail)[:120]
    return cause_of(status, f"{title}: {detail}" if detail else title)


def _record_scenario(
    event: events.ScenarioFinished, config: RunConfig, results: RunResults, run: _SpecRun
) -> None:
    recorder = event.recorder
    operation = recorder.label
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            results.record_status(operation, interaction.response.status_code)
    for case_id, nodes in recorder.checks.items():
        if case_id in run.out_of_bounds:
            continue  # the proxy's stand-in answer: its departure is already recorded
        for node in nodes:
            if node.status == Status.SUCCESS:
                results.record_pass(operation, node.name)
            elif node.status == Status.FAILURE and node.failure_info is not None:
                failure = node.failure_info.failure
                if node.name == "ignored_auth" and _busy(str(failure.message or "")):
                    # No capacity, or too many requests: nothing learnt of the credentials (the
                    # edge probes' rule); the check stays open rather than failing.
                    continue
                if node.name == "not_a_server_error" and _unavailable(
                    run.answered.get(case_id, (None, None, None))[1], str(failure.message or "")
                ):
                    # The declared, retryable 503 is not a server error (the suite's own rule);
                    # too many of them are `gateway_available`'s finding.
                    continue
                seen, evidence, make_reproducer = run.answered.get(case_id, (None, None, None))
                if make_reproducer is None:
                    reproducer = _reproducer(node.failure_info.code_sample, run)
                else:
                    reproducer = make_reproducer()
                status = _status_of(evidence)
                cause, source = _cause(failure, status), None
                if node.name == "negative_data_rejection" and case_id in recorder.cases:
                    # An invalid request served: its cause is the strongest rule it breaks
                    # (`field.keyword`), whose source decides whether it fails the run.
                    case = recorder.cases[case_id].value
                    spec_file = str(config.spec_path)
                    broken, source = negative_case_source(spec_file, case.operation.path, case.body)
                    cause = cause_of(status, broken) if broken else cause
                results.record_failure(
                    operation,
                    node.name,
                    run.shown(failure.title),
                    run.shown(failure.message),
                    reproducer,
                    seen=seen,
                    cause=run.shown(cause),
                    evidence=evidence,
                    source=source,
                )


#: schemathesis's auth failure message naming an answer that says nothing of the credentials.
_BUSY = re.compile(rf"got `(?:{'|'.join(map(str, INCONCLUSIVE_FOR_AUTH))})\b")


def _busy(message: str) -> bool:
    """Whether schemathesis's auth failure message reports a 429 or 503 answer."""
    return _BUSY.search(message) is not None


def _unavailable(evidence: Evidence | None, message: str) -> bool:
    """Whether a server-error failure was a 503 answer."""
    status = _status_of(evidence)
    if status is not None:
        return status == UNAVAILABLE
    return re.search(rf"\b{UNAVAILABLE}\b", message) is not None


def _status_of(evidence: Evidence | None) -> int | None:
    if evidence is None:
        return None
    parts = evidence.status_line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _reproducer(code_sample: str | None, run: _SpecRun) -> str:
    """schemathesis's curl command with its masked credential shown as `Bearer [redacted]`."""
    if not code_sample:
        return "# no reproducer available"
    text = code_sample.replace("Authorization: [Filtered]", "Authorization: Bearer [Filtered]")
    return run.shown(text.replace("[Filtered]", "[redacted]"))


def _record_error(
    event: events.NonFatalError, results: RunResults, config: RunConfig, run: _SpecRun
) -> None:
    error = event.value
    operation = event.label
    if isinstance(error, requests.Timeout):
        check, title = RESPONDS_WITHIN_TIMEOUT, "No answer within the request timeout"
        reason = f"no answer within {config.request_timeout:g} s"
    elif isinstance(error, requests.ConnectionError):
        check, title = GATEWAY_REACHABLE, "Connection refused or reset"
        reason = _one_line(error)
    else:
        results.record_note(f"{operation}: {run.shown(_one_line(error))}")
        return
    results.record_failure(
        operation,
        check,
        title,
        run.shown(reason),
        _reproducer(event.info.code_sample, run),
        run.unanswered_at.popleft() if run.unanswered_at else None,
        cause=title,
    )


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip(": ")


def _stop_explanation(budget: RequestBudget, phase: str) -> str:
    if budget.stopping:
        return f"{phase}: stopped, {budget.stop_reason}"
    if budget.gateway_stopped_answering:
        return f"{phase}: stopped after the gateway failed to answer repeatedly"
    if budget.share < budget.limit:
        return f"{phase}: stopped at request {budget.share}, the end of its share of the schedule"
    return f"{phase}: stopped at the request budget ({budget.limit} requests)"

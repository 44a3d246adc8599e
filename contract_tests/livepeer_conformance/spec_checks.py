"""The spec phase: schemathesis's own checks over `openapi.yaml`, coverage phase included."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import livepeer_gateway_spec as spec
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.transport.serialization import Binary

from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.redaction import REDACTED, redact
from livepeer_conformance.results import (
    GATEWAY_REACHABLE,
    RESPONDS_WITHIN_TIMEOUT,
    Moment,
    RunResults,
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
    TOKEN_NOT_ECHOED,
)

#: Ceilings for positive requests unless `--allow-large`: a paid gateway bills by pixel and step.
CHEAP_CEILINGS: dict[str, int] = {"width": 128, "height": 128, "num_inference_steps": 4}

#: The image sent where the spec's examples hold a placeholder.
PLACEHOLDER_IMAGE = encode_image(16, 16, (90, 140, 200), "PNG")

Progress = Callable[[str], None]


@dataclass
class _ActiveRun:
    """What the process-wide schemathesis hooks need to know about the run in progress."""

    config: RunConfig
    budget: RequestBudget
    stop: Callable[[], None]
    clock: Callable[[], Moment]
    #: When each case's answer came, by case id: schemathesis reports failures per scenario.
    answered_at: dict[str, Moment] = field(default_factory=dict)
    #: When each request that got no answer gave up, oldest first; its error event comes later.
    unanswered_at: deque[Moment] = field(default_factory=deque)


_active: _ActiveRun | None = None


class _CaseWithTextFileParts:
    """A case seen with its file parts as text, as their `format: binary` schema reads them."""

    def __init__(self, case: Any, body: dict[str, Any]) -> None:
        self._case = case
        self.body = body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


def _is_file_value(value: object) -> bool:
    """Whether a body value is a file part's content: raw bytes or schemathesis's `Binary`.

    schemathesis generates `format: binary` data as either; the JSON Schema validator takes
    neither (`Binary` subclasses `str` but the Rust validator refuses it).
    """
    return isinstance(value, bytes | bytearray | Binary)


def _install_multipart_file_part_workaround() -> None:
    """Let `negative_data_rejection` re-check multipart bodies that hold a file part.

    Cause: schemathesis 4.x re-validates a negative multipart body as it was sent (to drop
    mutations the form encoding undoes, such as an integer `prompt` sent as the text "0"), but
    it keeps a file part's raw bytes in the instance it validates; the JSON Schema validator
    cannot take bytes, the re-check gives up, and the case is reported as accepted negative
    data although the body the gateway received was valid. Showing the file part as text (any
    text satisfies `type: string, format: binary`) lets the re-check finish; a body that is
    really invalid, e.g. one without `prompt`, still fails it.
    """
    original = openapi_checks._form_body_is_valid_as_sent
    if hasattr(original, "__wrapped__"):
        return

    def form_body_is_valid_as_sent(response: Any, case: Any, media_type: str) -> bool:
        body = case.body
        if isinstance(body, dict) and any(_is_file_value(v) for v in body.values()):
            as_text = {k: "<file>" if _is_file_value(v) else v for k, v in body.items()}
            case = _CaseWithTextFileParts(case, as_text)
        return original(response, case, media_type)

    form_body_is_valid_as_sent.__wrapped__ = original  # type: ignore[attr-defined]
    openapi_checks._form_body_is_valid_as_sent = form_body_is_valid_as_sent


@lru_cache(maxsize=16)
def _request_properties(spec_file: str, path: str) -> frozenset[str]:
    """Names of the request body's properties of the POST operation at `path`."""
    _, schema = spec.request_body(spec.load_spec(spec_file), path)
    return frozenset(schema.get("properties", {}))


def _cap_cost(body: dict[str, Any], properties: frozenset[str]) -> None:
    """Hold a valid body's size and steps at the cheap ceilings, filling omitted ones too.

    An omitted `width` means the spec's default (1024), so a ceiling that only lowered values
    present would still let most requests through at full size.
    """
    for name, ceiling in CHEAP_CEILINGS.items():
        if name not in properties:
            continue
        value = body.get(name)
        # A valid value is a number; an integral float such as 408.0 is a valid integer too.
        if not isinstance(value, int | float) or isinstance(value, bool) or value > ceiling:
            body[name] = ceiling


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
        if not config.allow_large:
            _cap_cost(body, _request_properties(str(config.spec_path), case.operation.path))
    # None of these edits changes whether the request is valid. Left as edits, schemathesis
    # would re-validate the body and, unable to read a multipart file part's bytes, relabel
    # the case; taking the edited body as the case's own keeps its label and its mutation.
    rebase = getattr(case, "_sync_validated_hashes", None)
    if rebase is not None:
        rebase()


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]
) -> None:
    """Spend one request of the run's budget, or stop the run when it is spent."""
    run = _active
    if run is None:
        return
    if not run.budget.try_spend():
        run.stop()
        # schemathesis lets a KeyboardInterrupt through its hook wrapper and winds the run down.
        raise KeyboardInterrupt
    _prepare_case(case, run.config)


@schemathesis.check
def token_not_echoed(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """The caller's bearer token never comes back, in a header or the body, in any form."""
    tokens = [_active.config.token if _active else None, sent_token(response.request.headers)]
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    where = find_echo(headers, response.content or b"", tokens)
    if where is not None:
        raise AssertionError(echo_reason(where))
    return None


@schemathesis.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case, response: Any) -> None:
    """Note that the gateway answered, and when."""
    if _active is not None:
        _active.budget.record_answer()
        _active.answered_at[case.id] = _active.clock()


@schemathesis.hook
def after_network_error(
    context: schemathesis.HookContext, case: schemathesis.Case, request: Any
) -> None:
    """Count a request that got no answer, so a gateway that stopped answering ends the run."""
    if _active is not None:
        _active.budget.record_transport_failure()
        _active.unanswered_at.append(_active.clock())


def schemathesis_config(config: RunConfig, base_url: str, max_examples: int) -> SchemathesisConfig:
    """The spec phase's schemathesis configuration: the suite's checks, all phases but stateful."""
    checks: dict[str, Any] = {"enabled": False} | {name: {"enabled": True} for name in SPEC_CHECKS}
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
    if config.token:
        project["auth"] = {"openapi": {"HTTPBearer": {"bearer": config.token}}}
    # No cache: a run leaves nothing behind but its reports.
    document: dict[str, Any] = {"suppress-health-check": ["all"], "cache": {"enabled": False}}
    document |= project
    if config.seed is not None:
        document["seed"] = config.seed
    return SchemathesisConfig.from_dict(document)


def run_spec_checks(
    config: RunConfig, base_url: str, budget: RequestBudget, results: RunResults, progress: Progress
) -> None:
    """Run schemathesis over the spec against `base_url`, recording every check into `results`."""
    global _active
    _install_multipart_file_part_workaround()
    register_image_strategies()
    schema = schemathesis.openapi.from_path(
        config.spec_path, config=schemathesis_config(config, base_url, config.max_examples)
    )
    if config.operations:
        schema = schema.include(path=sorted(config.operations))
    stream = from_schema(schema).execute()
    _active = run = _ActiveRun(config, budget, stream.stop, results.clock)
    try:
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                _record_scenario(event, config, results, run.answered_at)
                progress(f"spec checks: {event.recorder.label} ({event.phase.value})")
            elif isinstance(event, events.NonFatalError):
                _record_error(event, results, config, run.unanswered_at)
            elif isinstance(event, events.FatalError):
                results.record_not_covered(f"spec checks stopped: {_one_line(event.exception)}")
                break
    finally:
        _active = None
    if budget.exhausted:
        results.record_not_covered(_stop_explanation(budget, "spec checks"))


def _record_scenario(
    event: events.ScenarioFinished,
    config: RunConfig,
    results: RunResults,
    answered_at: dict[str, Moment],
) -> None:
    recorder = event.recorder
    operation = recorder.label
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.status == Status.SUCCESS:
                results.record_pass(operation, node.name)
            elif node.status == Status.FAILURE and node.failure_info is not None:
                failure = node.failure_info.failure
                cause, source = "", None
                if node.name == "negative_data_rejection" and case_id in recorder.cases:
                    case = recorder.cases[case_id].value
                    cause, source = negative_case_source(
                        str(config.spec_path), case.operation.path, case.body
                    )
                results.record_failure(
                    operation,
                    node.name,
                    redact(failure.title, config.secrets),
                    redact(failure.message, config.secrets),
                    _reproducer(node.failure_info.code_sample, config),
                    seen=answered_at.get(case_id),
                    source=source,
                    cause=redact(cause, config.secrets),
                )


def _reproducer(code_sample: str | None, config: RunConfig) -> str:
    """schemathesis's curl command with its masked credential shown as `Bearer [redacted]`."""
    if not code_sample:
        return "# no reproducer available"
    text = code_sample.replace("Authorization: [Filtered]", "Authorization: Bearer [Filtered]")
    return redact(text.replace("[Filtered]", REDACTED), config.secrets)


def _record_error(
    event: events.NonFatalError,
    results: RunResults,
    config: RunConfig,
    unanswered_at: deque[Moment],
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
        results.record_not_covered(f"{operation}: {redact(_one_line(error), config.secrets)}")
        return
    results.record_failure(
        operation,
        check,
        title,
        reason,
        _reproducer(event.info.code_sample, config),
        unanswered_at.popleft() if unanswered_at else None,
    )


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip(": ")


def _stop_explanation(budget: RequestBudget, phase: str) -> str:
    if budget.gateway_stopped_answering:
        return f"{phase}: stopped after the gateway failed to answer repeatedly"
    if budget.share < budget.limit:
        return f"{phase}: stopped at {budget.share} requests, the rest kept for the properties"
    return f"{phase}: stopped at the request budget ({budget.limit} requests)"

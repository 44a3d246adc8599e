"""The property phase: hypothesis draws small requests within the spec's bounds, the generated
client sends them, and every registered property judges each answer."""

from __future__ import annotations

import secrets
import string
from typing import Any

import httpx
import livepeer_gateway_spec as spec
from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from livepeer_gateway_spec import TOKEN_ENV

from livepeer_conformance import answer_conformance
from livepeer_conformance.bounded import ANSWER_WITHIN_LIMITS, AnswerLimits, AnswerOutOfBounds
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig
from livepeer_conformance.errors import CredentialsRefused
from livepeer_conformance.evidence import Evidence
from livepeer_conformance.exchanges import Exchange, fetcher, make_client, send
from livepeer_conformance.gpu_work import upload_side, work
from livepeer_conformance.properties import SemanticProperty, applicable_properties
from livepeer_conformance.results import (
    GATEWAY_REACHABLE,
    RESPONDS_WITHIN_TIMEOUT,
    ProgressSink,
    RunResults,
    cause_of,
    reason_class,
)
from livepeer_conformance.strategies import any_image, encode_image
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED, echo_reason, find_echo

#: Requests per operation that are sent twice, for the same-seed properties.
REPEATS_PER_OPERATION = 1
#: Statuses that say the credentials were refused.
REFUSED = (401, 403)


class _BudgetSpent(Exception):
    """The run's request budget is spent, the run was stopped, or the gateway stopped answering."""


def _bounded_integers(schema: dict[str, Any], ceiling: int | None) -> st.SearchStrategy[int]:
    low, high = int(schema.get("minimum", 0)), int(schema.get("maximum", 2**31))
    step = int(schema.get("multipleOf", 1))
    if ceiling is not None:
        high = max(min(high, ceiling), low)
    first = -(-low // step)
    return st.integers(first, high // step).map(lambda k: k * step)


def request_params(
    document: dict[str, Any], path: str, config: RunConfig
) -> st.SearchStrategy[dict[str, Any]]:
    """Request fields for `path`, drawn within the spec's bounds and small unless `allow_large`."""
    _, schema = spec.request_body(document, path)
    properties = schema.get("properties", {})

    def ceiling(name: str) -> int | None:
        return config.limits.ceiling(name)

    prompt = properties["prompt"]
    required: dict[str, st.SearchStrategy[Any]] = {
        "prompt": st.text(
            string.ascii_lowercase + " ", min_size=prompt.get("minLength", 1), max_size=24
        ).filter(str.strip),
        "num_inference_steps": _bounded_integers(
            properties["num_inference_steps"], ceiling("num_inference_steps")
        ),
    }
    for name in ("width", "height"):
        if name in properties:
            required[name] = _bounded_integers(properties[name], ceiling(name))
    if "num_images_per_prompt" in properties:
        required["num_images_per_prompt"] = _bounded_integers(
            properties["num_images_per_prompt"], ceiling("num_images_per_prompt")
        )
    optional = {"seed": _bounded_integers(properties["seed"], None)} if "seed" in properties else {}
    model_id = config.model_id_for(path)
    if model_id is not None:
        required["model_id"] = st.just(model_id)
    return st.fixed_dictionaries(required, optional=optional)


def _is_multipart(document: dict[str, Any], path: str) -> bool:
    return spec.request_body(document, path)[0] == "multipart/form-data"


def _explicit_examples(
    document: dict[str, Any], path: str, config: RunConfig
) -> list[dict[str, Any]]:
    """Two requests every run sends: a two-image batch with a seed, and the same without one."""
    _, schema = spec.request_body(document, path)
    properties = schema.get("properties", {})
    base: dict[str, Any] = {"prompt": "a lighthouse on a cliff"}
    for name in ("width", "height", "num_inference_steps"):
        if name in properties:
            base[name] = int(properties[name].get("minimum", 1))
    if "num_images_per_prompt" in properties:
        batch = properties["num_images_per_prompt"]
        ceiling = config.limits.ceiling("num_images_per_prompt")
        base["num_images_per_prompt"] = max(
            int(batch.get("minimum", 1)),
            min(2, int(batch.get("maximum", 1)), ceiling if ceiling is not None else 2),
        )
    model_id = config.model_id_for(path)
    if model_id is not None:
        base["model_id"] = model_id
    with_seed = {**base, "seed": 123} if "seed" in properties else base
    return [with_seed, base] if with_seed is not base else [base]


class PropertyRunner:
    """Sends requests through the generated client; the active properties judge each answer."""

    def __init__(
        self,
        config: RunConfig,
        base_url: str,
        budget: RequestBudget,
        results: RunResults,
        progress: ProgressSink,
    ) -> None:
        self.config = config
        self.base_url = base_url
        self.budget = budget
        self.results = results
        self.progress = progress
        self.spec_file = str(config.spec_path)
        self.document = spec.load_spec(config.spec_path)
        self.limits = AnswerLimits(config.max_response_bytes, config.request_timeout)
        self.token = None if config.open_gateway else config.token
        self.client = make_client(base_url, self.token, config)
        self.fetch = fetcher(config, self._spend)
        self.inputs_dir = config.report_dir / "inputs"
        #: Whether an answer broke the limits: schemathesis would read such answers whole.
        self.out_of_bounds = False
        self.paths = [
            path
            for path in spec.image_operations(self.document).values()
            if config.checks_operation(path)
        ]

    def close(self) -> None:
        self.client.get_httpx_client().close()

    def active(self, path: str) -> list[SemanticProperty]:
        return [
            p
            for p in applicable_properties(self.config.profile, self.document, path)
            if self.config.runs_check(p.name)
        ]

    def requests_needed(self, path: str | None = None) -> int:
        """Requests the property phase sends (on `path`, or all) when nothing stops it early."""
        per_operation = [
            len(_explicit_examples(self.document, one, self.config))
            + self.config.max_examples
            + REPEATS_PER_OPERATION
            + len(self._error_probes(one))
            for one in self.paths
            if path is None or one == path
        ]
        return sum(per_operation)

    def preflight(self) -> None:
        """One cheap, valid request per operation before any budget is spent on exploring.

        Raises `CredentialsRefused` when the gateway refuses the run's credentials, so that a
        wrong token is one line instead of a run whose checks silently did not apply. The
        answers are checked only against the response limits; the phases judge the rest.
        """
        try:
            for path in self.paths:
                multipart = _is_multipart(self.document, path)
                image = (
                    ("image/png", encode_image(16, 24, (30, 160, 90), "PNG")) if multipart else None
                )
                valid = _explicit_examples(self.document, path, self.config)[-1]
                exchange = self._send(path, valid, image)
                if exchange is not None and exchange.status in REFUSED:
                    raise CredentialsRefused(self._refusal(exchange))
        except _BudgetSpent:
            self.results.record_note(f"credentials check: stopped early, {self._stop_reason()}")

    def _refusal(self, exchange: Exchange) -> str:
        if self.config.open_gateway:
            what = "requests without credentials (--auth none)"
        elif self.token:
            what = f"the token in ${TOKEN_ENV}"
        else:
            what = f"requests without a token (${TOKEN_ENV} is not set)"
        return (
            f"the gateway refused {what}: {exchange.operation} answered {exchange.status} "
            "to a valid request"
        )

    def first_requests(self, path: str) -> int:
        """Requests `run_first` sends on `path`: its first explicit example, twice with a seed."""
        return 2 if "seed" in _explicit_examples(self.document, path, self.config)[0] else 1

    def run_first(self) -> None:
        """The first explicit example of every operation, judged by every active property (sent
        twice when it has a seed, for the same-seed properties), before any phase explores."""
        try:
            for path in self.paths:
                params = _explicit_examples(self.document, path, self.config)[0]
                image = (
                    ("image/png", encode_image(16, 24, (200, 120, 40), "PNG"))
                    if _is_multipart(self.document, path)
                    else None
                )
                exchange = self._send(path, params, image)
                if exchange is None:
                    continue
                if "seed" in params and exchange.media:
                    exchange.repeat = self._send(path, params, image)
                self._judge(exchange)
        except _BudgetSpent:
            self.results.record_note(f"semantic properties: stopped early, {self._stop_reason()}")

    def run(self) -> None:
        """Explore every image operation of the spec, then probe its declared errors."""
        try:
            for path in self.paths:
                self._explore(path)
            for path in self.paths:
                for params, image, client in self._error_probes(path):
                    self._judge_optional(self._send(path, params, image, client=client))
        except _BudgetSpent:
            self.results.record_note(f"semantic properties: stopped early, {self._stop_reason()}")

    def _stop_reason(self) -> str:
        if self.budget.stopping:
            return self.budget.stop_reason or ""
        if self.budget.gateway_stopped_answering:
            return "the gateway stopped answering"
        return f"the request budget ({self.budget.limit}) was spent"

    def _spend(self) -> bool:
        """Take one request from the budget, or stop the phase."""
        if not self.budget.try_spend():
            raise _BudgetSpent
        return True

    def _explore(self, path: str) -> None:
        repeats_left = [REPEATS_PER_OPERATION]
        spent = [False]
        multipart = _is_multipart(self.document, path)
        images = any_image() if multipart else st.none()

        # No shrinking and no report: a spent budget raised from an example ends the
        # exploration at once, and is caught below rather than shown as a failing example.
        @settings(
            max_examples=self.config.max_examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
        )
        @given(params=request_params(self.document, path, self.config), image=images)
        def explore(params: dict[str, Any], image: tuple[str, bytes] | None) -> None:
            if spent[0]:
                raise _BudgetSpent
            try:
                exchange = self._send(path, params, image)
                if exchange is None:
                    return
                if "seed" in params and repeats_left[0] > 0 and exchange.media:
                    repeats_left[0] -= 1
                    exchange.repeat = self._send(path, params, image)
                self._judge(exchange)
            except _BudgetSpent:
                spent[0] = True
                raise

        for explicit in reversed(_explicit_examples(self.document, path, self.config)):
            image = (
                ("image/png", encode_image(16, 24, (200, 120, 40), "PNG")) if multipart else None
            )
            explore = example(params=explicit, image=image)(explore)
        if self.config.seed is not None:
            explore = hypothesis_seed(self.config.seed)(explore)
        try:
            explore()
        except _BudgetSpent:
            raise
        except Exception:
            if not spent[0]:
                raise
        if spent[0]:
            raise _BudgetSpent

    def _error_probes(
        self, path: str
    ) -> list[tuple[dict[str, Any], tuple[str, bytes] | None, Any]]:
        """Requests the spec says a gateway refuses, so that error bodies get checked too."""
        multipart = _is_multipart(self.document, path)
        image = ("image/png", encode_image(16, 16, (0, 0, 0), "PNG")) if multipart else None
        valid = _explicit_examples(self.document, path, self.config)[-1]
        probes: list[tuple[dict[str, Any], tuple[str, bytes] | None, Any]] = [
            ({**valid, "prompt": ""}, image, None)
        ]
        if multipart:
            probes.append((valid, ("image/png", b"not an image"), None))
        if self.token:
            wrong_token = "wrong-" + secrets.token_hex(8)
            wrong = make_client(self.base_url, wrong_token, self.config)
            probes.append((valid, image, wrong))
        return probes

    def _judge_optional(self, exchange: Exchange | None) -> None:
        if exchange is not None:
            self._judge(exchange)

    def _send(
        self, path: str, params: dict[str, Any], image: tuple[str, bytes] | None, client: Any = None
    ) -> Exchange | None:
        self._spend()
        operation = f"POST {path}"
        self.results.record_request(operation)
        self.progress(f"properties: {operation}")
        probe = Exchange(path, params, image, 0, None, self.fetch)
        request = Evidence(f"POST {self.base_url}{path}", "(no answer)", "", "")
        try:
            exchange = send(
                client or self.client,
                self.spec_file,
                path,
                params,
                image,
                self.fetch,
                self.limits,
            )
        except AnswerOutOfBounds as exc:
            if exc.late:
                self.budget.record_transport_failure()
            else:
                self.budget.record_answer()
            self.out_of_bounds = True
            self.results.record_failure(
                operation,
                ANSWER_WITHIN_LIMITS,
                "Answer out of bounds",
                str(exc),
                probe.curl(self.base_url, self.inputs_dir),
                cause=reason_class(str(exc)),
                evidence=request,
            )
            return None
        except httpx.TimeoutException:
            self.budget.record_transport_failure()
            self.results.record_failure(
                operation,
                RESPONDS_WITHIN_TIMEOUT,
                "No answer within the request timeout",
                f"no answer within {self.config.request_timeout:g} s",
                probe.curl(self.base_url, self.inputs_dir),
                cause="No answer within the request timeout",
                evidence=request,
            )
            return None
        except httpx.TransportError as exc:
            self.budget.record_transport_failure()
            self.results.record_failure(
                operation,
                GATEWAY_REACHABLE,
                "Connection refused or reset",
                type(exc).__name__,
                probe.curl(self.base_url, self.inputs_dir),
                cause="Connection refused or reset",
                evidence=request,
            )
            return None
        finally:
            if client is not None and client is not self.client:
                client.get_httpx_client().close()
        self.budget.record_answer()
        self.results.record_status(operation, exchange.status)
        if 200 <= exchange.status < 300:
            self.results.record_accepted(operation)
            upload = upload_side(image[1]) if image is not None else None
            self.results.record_work(work(self.document, path, params, upload))
        self._judge_token_echo(exchange)
        self._judge_protocol(exchange)
        return exchange

    def _judge_protocol(self, exchange: Exchange) -> None:
        """No server error, then status, content type, success body and required headers, as
        schemathesis judges its own answers (see `answer_conformance`). The suite's own requests
        (an image that does not decode among them) are held to the same rules as its."""
        judgements = answer_conformance.judge(
            self.document,
            exchange.path,
            exchange.status,
            exchange.content_type,
            exchange.headers,
            exchange.body,
        )
        for judgement in judgements:
            if not self.config.runs_check(judgement.check):
                continue
            if judgement.reason is None:
                self.results.record_pass(exchange.operation, judgement.check)
            else:
                self._record(
                    exchange,
                    judgement.check,
                    judgement.title,
                    f"answered {exchange.status}: {judgement.reason}",
                    cause=cause_of(exchange.status, judgement.title),
                )

    def _judge_token_echo(self, exchange: Exchange) -> None:
        """The answer just received must not carry the token its request sent, in any form."""
        if not self.config.runs_check(TOKEN_NOT_ECHOED):
            return
        where = find_echo(exchange.headers, exchange.content, [self.token, exchange.sent_token])
        if where is None:
            self.results.record_pass(exchange.operation, TOKEN_NOT_ECHOED)
            return
        self.results.record_failure(
            exchange.operation,
            TOKEN_NOT_ECHOED,
            "Token echoed",
            echo_reason(where),
            exchange.curl(self.base_url, self.inputs_dir),
            cause=cause_of(exchange.status, f"token in {where}"),
            evidence=exchange.evidence(self.base_url, self.config.secrets),
        )

    def _judge(self, exchange: Exchange) -> None:
        for prop in self.active(exchange.path):
            if not prop.applies(exchange):
                continue
            objection = prop.check(exchange, self.document)
            if objection is None:
                self.results.record_pass(exchange.operation, prop.name)
            else:
                self._record(exchange, prop.name, prop.title, objection)

    def _record(
        self, exchange: Exchange, check: str, title: str, reason: str, cause: str = ""
    ) -> None:
        self.results.record_failure(
            exchange.operation,
            check,
            title,
            reason,
            exchange.curl(self.base_url, self.inputs_dir),
            cause=cause or cause_of(exchange.status, reason_class(reason)),
            evidence=exchange.evidence(self.base_url, self.config.secrets),
        )

"""The property phase: hypothesis draws small requests within the spec's bounds, the generated
client sends them, and every registered property judges each answer."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import livepeer_gateway_spec as spec
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig, profile_includes
from livepeer_conformance.exchanges import Exchange, ResponseTap, fetcher, make_client, send
from livepeer_conformance.properties import PROPERTIES, SemanticProperty
from livepeer_conformance.results import GATEWAY_REACHABLE, RESPONDS_WITHIN_TIMEOUT, RunResults
from livepeer_conformance.strategies import any_image, encode_image
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED, echo_reason, find_echo, sent_token

#: How far above its minimum a size or step count may go in a cheap run.
CHEAP_SIDE_SPAN = 64
CHEAP_STEPS_SPAN = 3
#: schemathesis's name for the rule that a request never gets a server error.
NOT_A_SERVER_ERROR = "not_a_server_error"
#: Requests per operation that are sent twice, for the same-seed properties.
REPEATS_PER_OPERATION = 1

Progress = Callable[[str], None]


class _BudgetSpent(Exception):
    """The run's request budget is spent or the gateway stopped answering."""


def _bounded_integers(schema: dict[str, Any], span: int | None) -> st.SearchStrategy[int]:
    low, high = int(schema.get("minimum", 0)), int(schema.get("maximum", 2**31))
    step = int(schema.get("multipleOf", 1))
    if span is not None:
        high = min(high, low + span)
    first = -(-low // step)
    return st.integers(first, high // step).map(lambda k: k * step)


def request_params(
    document: dict[str, Any], path: str, config: RunConfig
) -> st.SearchStrategy[dict[str, Any]]:
    """Request fields for `path`, drawn within the spec's bounds and small unless `allow_large`."""
    _, schema = spec.request_body(document, path)
    properties = schema.get("properties", {})
    side_span = None if config.allow_large else CHEAP_SIDE_SPAN
    steps_span = None if config.allow_large else CHEAP_STEPS_SPAN
    prompt = properties["prompt"]
    required: dict[str, st.SearchStrategy[Any]] = {
        "prompt": st.text(
            string.ascii_lowercase + " ", min_size=prompt.get("minLength", 1), max_size=24
        ).filter(str.strip),
        "num_inference_steps": _bounded_integers(properties["num_inference_steps"], steps_span),
    }
    for name in ("width", "height"):
        if name in properties:
            required[name] = _bounded_integers(properties[name], side_span)
    if "num_images_per_prompt" in properties:
        required["num_images_per_prompt"] = _bounded_integers(
            properties["num_images_per_prompt"], None
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
        base["num_images_per_prompt"] = min(
            2, int(properties["num_images_per_prompt"].get("maximum", 1))
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
        progress: Progress,
    ) -> None:
        self.config = config
        self.base_url = base_url
        self.budget = budget
        self.results = results
        self.progress = progress
        self.document = spec.load_spec(config.spec_path)
        self.active: list[SemanticProperty] = [
            p for p in PROPERTIES.values() if profile_includes(config.profile, p.profile)
        ]
        self.tap = ResponseTap()
        self.client = make_client(base_url, config.token, config.request_timeout, self.tap)
        self.fetch = fetcher(config.request_timeout, self._spend)
        self.inputs_dir: Path = config.report_dir / "inputs"

    def run(self) -> None:
        """Explore every image operation of the spec, then probe its declared errors."""
        paths = [
            path
            for path in spec.image_operations(self.document).values()
            if self.config.checks_operation(path)
        ]
        try:
            for path in paths:
                self._explore(path)
            for path in paths:
                self._probe_errors(path)
        except _BudgetSpent:
            reason = (
                "the gateway stopped answering"
                if self.budget.gateway_stopped_answering
                else f"the request budget ({self.budget.limit}) was spent"
            )
            self.results.record_not_covered(f"semantic properties: stopped early, {reason}")
        finally:
            self.client.get_httpx_client().close()

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

        @settings(
            max_examples=self.config.max_examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(params=request_params(self.document, path, self.config), image=images)
        def explore(params: dict[str, Any], image: tuple[str, bytes] | None) -> None:
            # Hypothesis would report an exception as a failing example: a spent budget only
            # makes the remaining examples return at once.
            if spent[0]:
                return
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

        for explicit in reversed(_explicit_examples(self.document, path, self.config)):
            image = (
                ("image/png", encode_image(16, 24, (200, 120, 40), "PNG")) if multipart else None
            )
            explore = example(params=explicit, image=image)(explore)
        if self.config.seed is not None:
            explore = hypothesis_seed(self.config.seed)(explore)
        explore()
        if spent[0]:
            raise _BudgetSpent

    def _probe_errors(self, path: str) -> None:
        """Requests the spec says a gateway refuses, so that error bodies get checked too."""
        multipart = _is_multipart(self.document, path)
        image = ("image/png", encode_image(16, 16, (0, 0, 0), "PNG")) if multipart else None
        valid = _explicit_examples(self.document, path, self.config)[-1]
        self._judge_optional(self._send(path, {**valid, "prompt": ""}, image))
        if multipart:
            self._judge_optional(self._send(path, valid, ("image/png", b"not an image")))
        if self.config.token:
            wrong_token = "wrong-" + secrets.token_hex(8)
            with make_client(
                self.base_url, wrong_token, self.config.request_timeout, self.tap
            ) as wrong:
                self._judge_optional(self._send(path, valid, image, client=wrong))

    def _judge_optional(self, exchange: Exchange | None) -> None:
        if exchange is not None:
            self._judge(exchange)

    def _send(
        self, path: str, params: dict[str, Any], image: tuple[str, bytes] | None, client: Any = None
    ) -> Exchange | None:
        self._spend()
        operation = f"POST {path}"
        self.progress(f"properties: {operation}")
        probe = Exchange(path, params, image, 0, None, self.fetch)
        try:
            exchange = send(client or self.client, self.tap, path, params, image, self.fetch)
        except httpx.TimeoutException:
            self.budget.record_transport_failure()
            self.results.record_failure(
                operation,
                RESPONDS_WITHIN_TIMEOUT,
                "No answer within the request timeout",
                f"no answer within {self.config.request_timeout:g} s",
                probe.curl(self.base_url, self.inputs_dir),
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
            )
            return None
        self.budget.record_answer()
        self._judge_token_echo(exchange)
        return exchange

    def _judge_token_echo(self, exchange: Exchange) -> None:
        """The answer just received must not carry the token its request sent, in any form."""
        response = self.tap.last
        if response is None:
            return
        tokens = [self.config.token, sent_token(response.request.headers)]
        where = find_echo(response.headers.multi_items(), response.content, tokens)
        if where is None:
            self.results.record_pass(exchange.operation, TOKEN_NOT_ECHOED)
            return
        reproducer = exchange.curl(self.base_url, self.inputs_dir)
        self.results.record_failure(
            exchange.operation, TOKEN_NOT_ECHOED, "Token echoed", echo_reason(where), reproducer
        )

    def _judge(self, exchange: Exchange) -> None:
        self._judge_server_error(exchange)
        for prop in self.active:
            if not prop.applies(exchange):
                continue
            verdict = prop.check(exchange, self.document)
            if verdict is None:
                self.results.record_pass(exchange.operation, prop.name)
            else:
                reproducer = exchange.curl(self.base_url, self.inputs_dir)
                self.results.record_failure(
                    exchange.operation, prop.name, prop.title, verdict, reproducer
                )

    def _judge_server_error(self, exchange: Exchange) -> None:
        # The suite's own requests (an image that does not decode among them) are held to the same
        # rule as schemathesis's: a 5xx other than the retryable 503 is the gateway's failure.
        if exchange.status < 500 or exchange.status == 503:
            self.results.record_pass(exchange.operation, NOT_A_SERVER_ERROR)
            return
        self.results.record_failure(
            exchange.operation,
            NOT_A_SERVER_ERROR,
            "Server error",
            f"answered {exchange.status}: {str(exchange.body)[:80]}",
            exchange.curl(self.base_url, self.inputs_dir),
        )


def run_properties(
    config: RunConfig, base_url: str, budget: RequestBudget, results: RunResults, progress: Progress
) -> None:
    """Run every property of the run's profile against `base_url`, recording into `results`."""
    PropertyRunner(config, base_url, budget, results, progress).run()

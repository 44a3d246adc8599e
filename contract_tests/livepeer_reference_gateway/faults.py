"""Named departures from the spec, switched on one at a time to prove the suite notices them.

Each `Fault` changes the gateway at one or more of a few hook points, consulted by the app
through `ActiveFaults`: before a request is handled, the auth outcome, the validation
violations that still refuse a request, the generation plan, the final answer, and how long
the answer is held back.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from .auth import AuthOutcome
from .errors import GatewayError, SettingsError, Violation, validation_failed
from .plan import Answer, GenerationPlan, RequestInfo

Category = Literal[
    "response shape", "status codes", "content type", "auth", "semantics", "robustness"
]


Before = Callable[[RequestInfo], GatewayError | None]
#: (declared fields by name, the decoded JSON body) -> the body as the gateway reads it
ReadBody = Callable[[dict[str, dict[str, Any]], Any], Any]


@dataclass(frozen=True)
class Fault:
    """One departure from the spec, and the check(s) of the suite that should catch it."""

    name: str
    description: str
    category: Category
    detected_by: frozenset[str]
    before: Before | None = None
    read_body: ReadBody | None = None
    auth: Callable[[AuthOutcome], AuthOutcome] | None = None
    violations: Callable[[list[Violation]], list[Violation]] | None = None
    plan: Callable[[GenerationPlan], GenerationPlan] | None = None
    answer: Callable[[Answer], Answer] | None = None
    delay: Callable[[RequestInfo], float] | None = None
    #: Whether the connection is closed, unannounced, after an answer of this status.
    closes_after: Callable[[int], bool] | None = None
    #: The conformance profile whose checks notice this departure, when the default's do not.
    needs_profile: str | None = None
    #: A request timeout (seconds) short enough for this departure to show, when it needs one.
    needs_timeout: float | None = None
    #: A behaviour real gateways have that conforms to the spec: the suite must stay quiet.
    conformant: bool = False


class ActiveFaults:
    """The faults switched on for one gateway, applied in registry order at each hook point."""

    def __init__(self, names: Iterable[str]) -> None:
        unknown = sorted(set(names) - FAULTS.keys())
        if unknown:
            raise SettingsError(f"unknown fault(s): {', '.join(unknown)}")
        wanted = set(names)
        self.faults = tuple(f for f in FAULTS.values() if f.name in wanted)

    def before(self, info: RequestInfo) -> GatewayError | None:
        """A refusal to send instead of handling the request, or None to go on."""
        for fault in self.faults:
            if fault.before is not None and (refusal := fault.before(info)) is not None:
                return refusal
        return None

    def read_body(self, properties: dict[str, dict[str, Any]], body: Any) -> Any:
        """A decoded JSON body as the gateway reads it, before it is validated."""
        for fault in self.faults:
            body = fault.read_body(properties, body) if fault.read_body else body
        return body

    def auth(self, outcome: AuthOutcome) -> AuthOutcome:
        """The auth outcome the gateway acts on."""
        for fault in self.faults:
            outcome = fault.auth(outcome) if fault.auth else outcome
        return outcome

    def violations(self, found: list[Violation]) -> list[Violation]:
        """The violations that still refuse the request."""
        for fault in self.faults:
            found = fault.violations(found) if fault.violations else found
        return found

    def plan(self, plan: GenerationPlan) -> GenerationPlan:
        """The plan actually generated."""
        for fault in self.faults:
            plan = fault.plan(plan) if fault.plan else plan
        return plan

    def answer(self, answer: Answer) -> Answer:
        """The answer actually sent."""
        for fault in self.faults:
            answer = fault.answer(answer) if fault.answer else answer
        return answer

    @property
    def close_connections(self) -> bool:
        """Whether any fault closes connections after some answers."""
        return any(fault.closes_after is not None for fault in self.faults)

    def closes_after(self, status: int) -> bool:
        """Whether the connection is closed, unannounced, after an answer of `status`."""
        return any(fault.closes_after(status) for fault in self.faults if fault.closes_after)

    def delay(self, info: RequestInfo) -> float:
        """Seconds to hold the answer back before sending it."""
        return sum(fault.delay(info) for fault in self.faults if fault.delay is not None)


# --- hook helpers -------------------------------------------------------------------------------


def _on_success(change: Callable[[Answer], Answer]) -> Callable[[Answer], Answer]:
    return lambda answer: (
        change(answer) if answer.error is None and answer.status == 200 else answer
    )


def _on_error(kinds: set[str], change: Callable[[Answer], Answer]) -> Callable[[Answer], Answer]:
    def hook(answer: Answer) -> Answer:
        if answer.error is not None and (not kinds or answer.error.kind in kinds):
            return change(answer)
        return answer

    return hook


def _each_media(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Answer], Answer]:
    def hook(answer: Answer) -> Answer:
        answer.body = {**answer.body, "images": [change(dict(m)) for m in answer.body["images"]]}
        return answer

    return _on_success(hook)


def _without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda media: {k: v for k, v in media.items() if k != key}


def _as_server_error(answer: Answer) -> Answer:
    answer.status = 500
    answer.body = {"detail": {"msg": "Internal Server Error"}}
    answer.headers = {}
    return answer


def _as_success(answer: Answer) -> Answer:
    answer.status = 200
    answer.body = {"images": [{"url": "data:image/png;base64,", "seed": 0, "nsfw": False}]}
    answer.headers = {}
    return answer


def _drop(
    types: set[str], fields: set[str] | None = None
) -> Callable[[list[Violation]], list[Violation]]:
    def keep(found: list[Violation]) -> list[Violation]:
        return [v for v in found if not (v.type in types and (fields is None or v.field in fields))]

    return keep


def _every_second_unavailable(info: RequestInfo) -> GatewayError | None:
    if info.sequence % 2 == 0:
        return GatewayError(503, "unavailable", "no orchestrator has capacity")
    return None


def _operation_missing(operation_id: str) -> Before:
    def missing(info: RequestInfo) -> GatewayError | None:
        if info.operation_id == operation_id:
            return GatewayError(404, "not_found", "Not Found")
        return None

    return missing


def _set(**changes: Any) -> Callable[[Answer], Answer]:
    def hook(answer: Answer) -> Answer:
        for name, value in changes.items():
            setattr(answer, name, value)
        return answer

    return hook


def _wrap_images(answer: Answer) -> Answer:
    answer.body = {"images": {"data": answer.body["images"]}}
    return answer


def _spoil_url(media: dict[str, Any]) -> dict[str, Any]:
    # Still a data URL, but what it carries is not a PNG: only fetching and decoding shows it.
    return {**media, "url": "data:image/png;base64,bm90IGFuIGltYWdl"}


_LAX_TYPES: dict[str, type] = {"integer": int, "number": float, "boolean": bool, "string": str}


def _read_as_pydantic_lax(properties: dict[str, dict[str, Any]], body: Any) -> Any:
    """Each scalar field read as pydantic's lax mode reads it, as FastAPI gateways do.

    pydantic itself does the reading (`"64"` and `64.0` as 64, `"true"` as True, `7` as 7.0);
    a value it refuses, or reads as a number that is not finite, is left for validation to
    refuse, as pydantic's own bounds would.
    """
    from pydantic import TypeAdapter, ValidationError  # noqa: PLC0415 - only for this variant

    if not isinstance(body, dict):
        return body
    read = dict(body)
    for name, value in body.items():
        declared = _LAX_TYPES.get(str(properties.get(name, {}).get("type")))
        if declared is None or value is None:
            continue
        try:
            reading = TypeAdapter(declared).validate_python(value)
        except ValidationError:
            continue
        if isinstance(reading, float) and not math.isfinite(reading):
            continue
        read[name] = reading
    return read


def _plan(**changes: Any) -> Callable[[GenerationPlan], GenerationPlan]:
    return lambda plan: replace(plan, **changes)


def _wrong_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    return (height, width) if width != height else (width + 8, height + 8)


class RunnerCrash(Exception):
    """What a runner's code raises on an input it did not expect: the gateway answers 500."""


def _crash_on_wide_seed(plan: GenerationPlan) -> GenerationPlan:
    # A runner keeping seeds in a signed 32-bit integer overflows past 2**31 - 1.
    if any(seed >= 2**31 for seed in plan.seeds):
        raise RunnerCrash("seed overflows int32")
    return plan


def _seed_zero_is_random(plan: GenerationPlan) -> GenerationPlan:
    # `if seed:` instead of `if seed is not None:` - the seed 0 reads as "no seed".
    if plan.params.get("seed") == 0:
        return replace(plan, seeds=tuple(next(_random_seeds) % 2**32 for _ in plan.seeds))
    return plan


def _no_images_for_too_few(answer: Answer) -> Answer:
    # `range(num_images_per_prompt)` with no lower bound checked: nothing to generate.
    error = answer.error
    if (
        error is not None
        and error.violations
        and all(
            v.field == "num_images_per_prompt" and v.type == "greater_than_equal"
            for v in error.violations
        )
    ):
        answer.status, answer.body, answer.headers = 200, {"images": []}, {}
    return answer


def _crash_on_loras_not_object(plan: GenerationPlan) -> GenerationPlan:
    # `json.loads(loras).items()` on a JSON text that holds a list or a number.
    loras = plan.params.get("loras")
    if isinstance(loras, str) and loras.strip():
        try:
            value = json.loads(loras)
        except ValueError:
            return plan
        if not isinstance(value, dict):
            raise RunnerCrash("loras is not an object")
    return plan


def _crash_on_blank_prompt(plan: GenerationPlan) -> GenerationPlan:
    # Splitting on '|' and dropping blanks leaves no prompt at all, and indexing it fails.
    if not [part for part in plan.prompt.split("|") if part.strip()]:
        raise RunnerCrash("no prompt left after splitting on '|'")
    return plan


def _echo_authorization(answer: Answer) -> Answer:
    # A debugging field copying the request's headers; the schema allows extra fields.
    authorization = answer.request.authorization if answer.request else ""
    answer.body = {**answer.body, "debug": {"authorization": authorization}}
    return answer


def _multipart_refusal_reshaped(answer: Answer) -> Answer:
    # The form parser's own 400 ("Missing boundary in multipart.") sent as a bare string.
    error = answer.error
    if error is not None and any(v.type == "multipart_invalid" for v in error.violations):
        answer.status = 400
        answer.body = error.violations[0].msg
    return answer


def _rounded_down_to_8(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    return (max(8, width - width % 8), max(8, height - height % 8))


def _server_error_without(operation_id: str, field: str) -> Callable[[Answer], Answer]:
    # The route reads the part before validating the request: its absence raises, not refuses.
    def hook(answer: Answer) -> Answer:
        error, info = answer.error, answer.request
        missing = error is not None and any(
            v.field == field and v.type == "missing" for v in error.violations
        )
        if missing and info is not None and info.operation_id == operation_id:
            return _as_server_error(answer)
        return answer

    return hook


#: Timesteps a runner's scheduler table holds: fewer than the spec's largest step count.
_SCHEDULER_STEPS = 100
#: Images one batch can hold in the runner's GPU memory: fewer than the spec's largest batch.
_BATCH_IN_MEMORY = 2


def _crash_past_scheduler_table(plan: GenerationPlan) -> GenerationPlan:
    if int(plan.params.get("num_inference_steps") or 0) > _SCHEDULER_STEPS:
        raise RunnerCrash("step index past the scheduler's table")
    return plan


def _out_of_memory_past_batch(plan: GenerationPlan) -> GenerationPlan:
    if len(plan.seeds) > _BATCH_IN_MEMORY:
        raise RunnerCrash("CUDA out of memory")
    return plan


def _refuse_steps_past_scheduler_table(plan: GenerationPlan) -> GenerationPlan:
    # The operator's own cap, answered as a bound of the schema would be.
    if int(plan.params.get("num_inference_steps") or 0) > _SCHEDULER_STEPS:
        message = f"Input should be less than or equal to {_SCHEDULER_STEPS}"
        raise validation_failed([Violation("num_inference_steps", message, "less_than_equal")])
    return plan


# Deterministic stand-ins for randomness: every request still gets different values.
_random_seeds = itertools.count(987_654_321, 7919)
_salts = itertools.count()

#: Violation types of a number outside its declared bounds.
_RANGE_TYPES = {"greater_than_equal", "less_than_equal", "multiple_of"}

_CATALOGUE: tuple[Fault, ...] = (
    # response shape
    Fault(
        "media_field_missing",
        "Media objects lack the required `seed`.",
        "response shape",
        frozenset({"response_schema_conformance"}),
        answer=_each_media(_without("seed")),
    ),
    Fault(
        "media_field_mistyped",
        "Media `seed` is a string instead of an integer.",
        "response shape",
        frozenset({"response_schema_conformance"}),
        answer=_each_media(lambda m: {**m, "seed": str(m["seed"])}),
    ),
    Fault(
        "media_field_renamed",
        "Media `url` is sent as `uri`.",
        "response shape",
        frozenset({"response_schema_conformance"}),
        answer=_each_media(lambda m: {("uri" if k == "url" else k): v for k, v in m.items()}),
    ),
    Fault(
        "images_list_wrapped",
        '`images` is an object wrapping the list (`{"data": [...]}`).',
        "response shape",
        frozenset({"response_schema_conformance"}),
        answer=_on_success(_wrap_images),
    ),
    Fault(
        "images_list_empty",
        "`images` is an empty list.",
        "response shape",
        frozenset({"response_schema_conformance", "images_count_matches_request"}),
        answer=_on_success(_set(body={"images": []})),
    ),
    Fault(
        "nsfw_not_boolean",
        'Media `nsfw` is the string "false" instead of a boolean.',
        "response shape",
        frozenset({"response_schema_conformance", "nsfw_is_boolean"}),
        answer=_each_media(lambda m: {**m, "nsfw": str(m["nsfw"]).lower()}),
    ),
    # status codes
    Fault(
        "server_error_on_bad_image",
        "An image part that does not decode gets 500 instead of 400.",
        "status codes",
        frozenset({"not_a_server_error"}),
        answer=_on_error({"bad_image"}, _as_server_error),
    ),
    Fault(
        "server_error_on_missing_field",
        "A missing required field gets 500 instead of 422.",
        "status codes",
        frozenset({"not_a_server_error"}),
        answer=_on_error({"missing_field"}, _as_server_error),
    ),
    Fault(
        "server_error_on_invalid_value",
        "A value of the wrong type or out of range gets 500 instead of 422.",
        "status codes",
        frozenset({"not_a_server_error"}),
        answer=_on_error({"validation", "out_of_range"}, _as_server_error),
    ),
    Fault(
        "accepts_missing_prompt",
        "A request without `prompt` gets 200 (the prompt taken as empty).",
        "status codes",
        frozenset({"negative_data_rejection"}),
        violations=_drop({"missing"}, {"prompt"}),
    ),
    Fault(
        "accepts_out_of_range",
        "Out-of-range values get 200 (the field's default used instead).",
        "status codes",
        frozenset({"negative_data_rejection"}),
        violations=_drop(_RANGE_TYPES),
    ),
    Fault(
        "success_on_invalid_input",
        "Every invalid request gets 200 with a placeholder image.",
        "status codes",
        frozenset({"negative_data_rejection"}),
        answer=_on_error(
            {"validation", "missing_field", "out_of_range", "field_status"}, _as_success
        ),
    ),
    Fault(
        "undeclared_success_status",
        "Successful answers use 201, which the spec does not declare.",
        "status codes",
        frozenset({"status_code_conformance"}),
        answer=_on_success(_set(status=201)),
    ),
    # content type
    Fault(
        "json_as_text_plain",
        "Successful JSON answers are labelled text/plain.",
        "content type",
        frozenset({"content_type_conformance"}),
        answer=_on_success(_set(media_type="text/plain")),
    ),
    Fault(
        "error_body_reshaped",
        '400 answers carry `{"error": ...}` instead of `HTTPError`.',
        "content type",
        frozenset({"response_schema_conformance", "error_statuses_have_declared_body"}),
        answer=_on_error(
            {"bad_image", "field_status"},
            lambda a: _set(body={"error": a.error.msg if a.error else ""})(a),
        ),
    ),
    Fault(
        "validation_body_reshaped",
        "422 answers carry `detail` as a string instead of a list of entries.",
        "content type",
        frozenset({"response_schema_conformance", "error_statuses_have_declared_body"}),
        answer=_on_error(
            {"validation", "missing_field", "out_of_range"},
            lambda a: _set(body={"detail": a.error.msg if a.error else ""})(a),
        ),
    ),
    # auth
    Fault(
        "auth_not_enforced",
        "Requests with no token or a wrong token are served.",
        "auth",
        frozenset({"ignored_auth", "missing_required_header"}),
        auth=lambda outcome: "ok",
    ),
    Fault(
        "any_token_accepted",
        "Any bearer token is accepted; only a missing one is refused.",
        "auth",
        frozenset({"ignored_auth"}),
        auth=lambda outcome: "ok" if outcome == "wrong" else outcome,
    ),
    Fault(
        "unauthorized_without_body",
        "401 answers have an empty text/plain body instead of `HTTPError`.",
        "auth",
        frozenset({"content_type_conformance", "error_statuses_have_declared_body"}),
        answer=_on_error({"auth"}, _set(body=None, media_type="text/plain")),
    ),
    Fault(
        "unauthorized_without_challenge",
        "401 answers lack the `WWW-Authenticate` header.",
        "auth",
        frozenset({"response_headers_conformance"}),
        answer=_on_error({"auth"}, _set(headers={})),
    ),
    # semantics
    Fault(
        "images_per_prompt_ignored",
        "Always one image, whatever `num_images_per_prompt` asks.",
        "semantics",
        frozenset({"images_count_matches_request"}),
        plan=lambda plan: replace(plan, seeds=plan.seeds[:1]),
    ),
    Fault(
        "seed_ignored",
        "Seeds are the gateway's own, not the request's seed + i.",
        "semantics",
        frozenset({"seeds_follow_request_seed", "same_seed_same_seeds"}),
        plan=lambda plan: replace(
            plan, seeds=tuple(next(_random_seeds) % 2**32 for _ in plan.seeds)
        ),
    ),
    Fault(
        "seed_repeated",
        "Every image of a batch carries the first image's seed.",
        "semantics",
        frozenset({"seeds_follow_request_seed", "seeds_distinct_without_seed"}),
        plan=lambda plan: replace(plan, seeds=(plan.seeds[0],) * len(plan.seeds)),
    ),
    Fault(
        "size_ignored",
        "text-to-image answers with width and height swapped, or 8 pixels larger when equal.",
        "semantics",
        frozenset({"text_to_image_has_requested_size"}),
        plan=lambda plan: replace(plan, size=_wrong_size(plan.size) if plan.size else None),
    ),
    Fault(
        "image_to_image_resized",
        "image-to-image answers with the input's width and height swapped, or 8 pixels larger.",
        "semantics",
        frozenset({"image_to_image_keeps_input_size"}),
        plan=_plan(resize=_wrong_size),
        needs_profile="strict",  # the size rule is this project's (recommended), not the pages'
    ),
    Fault(
        "upscale_not_4x",
        "upscale returns the input at 2x instead of 4x.",
        "semantics",
        frozenset({"upscale_is_four_times_input"}),
        plan=_plan(upscale_factor=2),
    ),
    Fault(
        "pixels_not_deterministic",
        "text- and image-to-image give new pixels for the same request and seed each time.",
        "semantics",
        frozenset({"same_seed_same_pixels"}),
        plan=lambda plan: replace(plan, prompt=f"{plan.prompt}#{next(_salts)}"),
        needs_profile="strict",
    ),
    Fault(
        "urls_not_decodable",
        "Media URLs are data URLs whose content is not an image.",
        "semantics",
        frozenset({"urls_fetch_and_decode"}),
        answer=_each_media(_spoil_url),
    ),
    # robustness
    Fault(
        "slow_response",
        "Answers are held back `fault_delay_seconds` (default 3 s), or until the client leaves.",
        "robustness",
        frozenset({"responds_within_timeout"}),
        delay=lambda info: info.delay_seconds,
        # Well under the default `fault_delay_seconds`, so every delayed answer times out.
        needs_timeout=1.0,
    ),
    Fault(
        "intermittent_unavailable",
        "Every second request gets 503.",
        "robustness",
        frozenset({"gateway_available"}),
        before=_every_second_unavailable,
        # 503 is declared; how often a gateway may give it is this project's recommendation.
        needs_profile="strict",
    ),
    Fault(
        "upscale_missing",
        "POST /upscale answers 404, as if the endpoint did not exist.",
        "robustness",
        frozenset({"status_code_conformance"}),
        before=_operation_missing("upscale"),
    ),
    # edge values: found by the edge probes, which reach them every run
    Fault(
        "server_error_on_wide_seed",
        "A seed of 2**31 or more (valid up to 2**32 - 1) crashes the runner: 500.",
        "robustness",
        frozenset({"not_a_server_error"}),
        plan=_crash_on_wide_seed,
    ),
    Fault(
        "seed_zero_random",
        "The seed 0 is taken as no seed: the images get random seeds.",
        "semantics",
        frozenset({"seeds_follow_request_seed", "same_seed_same_seeds"}),
        plan=_seed_zero_is_random,
    ),
    Fault(
        "loras_not_object_crashes",
        "`loras` holding JSON that is not an object (`[]`, `9`) crashes the runner: 500.",
        "robustness",
        frozenset({"not_a_server_error"}),
        plan=_crash_on_loras_not_object,
    ),
    Fault(
        "blank_prompt_crashes",
        "A prompt of only whitespace or only the `|` separator crashes the runner: 500.",
        "robustness",
        frozenset({"not_a_server_error"}),
        plan=_crash_on_blank_prompt,
    ),
    Fault(
        "token_echoed",
        "Successful answers carry a `debug` field holding the request's Authorization header.",
        "auth",
        frozenset({"token_not_echoed"}),
        answer=_on_success(_echo_authorization),
    ),
    Fault(
        "multipart_refusal_not_http_error",
        "A multipart body the form parser refuses (no boundary) gets 400 with a bare string body.",
        "content type",
        frozenset({"error_statuses_have_declared_body"}),
        answer=_on_error({"validation"}, _multipart_refusal_reshaped),
    ),
    Fault(
        "server_error_as_text_plain",
        "An image part that does not decode gets 500 as text/plain instead of a 400 `HTTPError`.",
        "content type",
        frozenset({"not_a_server_error", "content_type_conformance"}),
        answer=_on_error(
            {"bad_image"},
            _set(status=500, body="Internal Server Error", media_type="text/plain", headers={}),
        ),
    ),
    Fault(
        "accepts_zero_images",
        "`num_images_per_prompt: 0` is served as 1 image (this project's minimum of 1 ignored).",
        "status codes",
        frozenset({"negative_data_rejection"}),
        violations=_drop({"greater_than_equal"}, {"num_images_per_prompt"}),
        needs_profile="strict",  # the minimum is recommended: an advisory by default
    ),
    Fault(
        "server_error_on_missing_upload",
        "upscale without its image part gets 500 (the route reads the upload before validating).",
        "robustness",
        frozenset({"not_a_server_error"}),
        answer=_server_error_without("upscale", "image"),
    ),
    Fault(
        "server_error_at_most_steps",
        f"More than {_SCHEDULER_STEPS} steps (the spec allows more) crash the runner: 500.",
        "robustness",
        frozenset({"not_a_server_error"}),
        plan=_crash_past_scheduler_table,
    ),
    Fault(
        "server_error_at_most_images",
        f"More than {_BATCH_IN_MEMORY} images (the spec allows more) run out of memory: 500.",
        "robustness",
        frozenset({"not_a_server_error"}),
        plan=_out_of_memory_past_batch,
    ),
    Fault(
        "refuses_most_steps",
        f"More than {_SCHEDULER_STEPS} inference steps (the spec allows more) get 422.",
        "status codes",
        frozenset({"positive_data_acceptance"}),
        plan=_refuse_steps_past_scheduler_table,
        needs_profile="strict",  # the step maximum is recommended: an advisory by default
    ),
    Fault(
        "zero_images_served_empty",
        "`num_images_per_prompt` below 1 is served with an empty image list, as upstream does.",
        "status codes",
        frozenset({"negative_data_rejection"}),
        answer=_no_images_for_too_few,
        # The minimum is recommended, and an answer to a refused request is held to the success
        # schema's shape only (its `minItems` is the success's own rule): an advisory by default.
        needs_profile="strict",
    ),
    Fault(
        "rounding_pipeline",
        "image-to-image rounds each side down to a multiple of 8, as diffusion pipelines do.",
        "semantics",
        frozenset(),
        plan=_plan(resize=_rounded_down_to_8),
        conformant=True,
    ),
    Fault(
        "lax_json_types",
        'JSON fields are read as pydantic\'s lax mode reads them (`"64"` as 64, `64.0` as 64, '
        '`"true"` as true), as FastAPI gateways such as ai-runner do.',
        "status codes",
        frozenset(),
        read_body=_read_as_pydantic_lax,
        conformant=True,
    ),
    Fault(
        "closes_after_errors",
        "the connection is closed after every 4xx and 5xx answer without `Connection: close`, "
        "as uvicorn does after an unhandled error.",
        "robustness",
        frozenset(),
        closes_after=lambda status: status >= 400,
        conformant=True,
    ),
)


#: Every fault, by name.
FAULTS: dict[str, Fault] = {fault.name: fault for fault in _CATALOGUE}

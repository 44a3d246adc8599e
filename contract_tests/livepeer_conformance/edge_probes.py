"""The edge probes: a fixed set of cheap requests per operation where real gateways break.

Fuzzing reaches an edge only by chance; these requests reach each one every run, in the same
order, at minimal cost (the smallest size, step count and batch, a 16x16 upload) with one field
at its edge:

- each bounded number at its extremes and one step past them (the largest step count at the
  smallest size, say), and off its `multipleOf`;
- seeds 0, 1, 2^32-1, 2^64 and -1;
- prompts that are empty, only whitespace, only the `|` separator, or very long;
- `loras` as `{}`, the pages' example mapping, `"[]"`, `"9"` and text that is not JSON;
- a multipart body without its boundary, or without its file part;
- uploads that are not images, truncated images, and each image type the spec's encoding lists.

Every answer is read within the run's limits (size, deadline, decompression, JSON depth) and
judged: a 5xx (but the retryable 503) is a departure showing its content type and body; a
declared error status must carry its declared content type and body; a value the spec refuses
must be refused and one it allows must be served, each with the source of the rule it probes;
a served request's answer goes through the semantic properties; and the caller's token must
not come back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Source

from livepeer_conformance import answer_conformance
from livepeer_conformance.answer_conformance import (
    CONTENT_TYPE,
    INCONCLUSIVE_FOR_AUTH,
    STATUS_CODE,
)
from livepeer_conformance.bounded import (
    ANSWER_WITHIN_LIMITS,
    AnswerLimits,
    AnswerOutOfBounds,
    parse_json,
    read_bounded,
)
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig, client_options
from livepeer_conformance.evidence import Evidence, body_excerpt, save_input, status_line
from livepeer_conformance.exchanges import Exchange, fetcher
from livepeer_conformance.gpu_work import upload_side, work
from livepeer_conformance.properties import PROPERTIES
from livepeer_conformance.property_phase import PropertyRunner
from livepeer_conformance.redaction import REDACTED, redact
from livepeer_conformance.results import (
    GATEWAY_REACHABLE,
    RESPONDS_WITHIN_TIMEOUT,
    ProgressSink,
    RunResults,
    cause_of,
    reason_class,
)
from livepeer_conformance.sources import PAGE_I2I, field_bound_source, source_of_check
from livepeer_conformance.strategies import encode_image
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED, echo_reason, find_echo
from livepeer_conformance.valid_requests import LORAS, MODEL_ID

Expect = Literal["accept", "refuse", "either"]

MISSING_REQUIRED = "missing required field"
WRONG_TYPE = "wrong type"
OUT_OF_RANGE = "out of range"
NOT_AN_IMAGE = "not an image"
NO_CREDENTIALS = "no credentials"
WRONG_CREDENTIALS = "wrong credentials"
#: The refusal classes whose first probe each operation gets before any other phase explores
#: (the two credential classes only when the run has a token to leave out or replace).
REFUSAL_CLASSES = (
    MISSING_REQUIRED,
    NO_CREDENTIALS,
    WRONG_TYPE,
    OUT_OF_RANGE,
    NOT_AN_IMAGE,
    WRONG_CREDENTIALS,
)
#: The token the wrong-credentials probe sends: not a secret, and the same in every run.
WRONG_TOKEN = "conformance-suite-wrong-token"
#: schemathesis's name for the rule that a request without valid credentials is refused.
IGNORED_AUTH = "ignored_auth"


#: Side of every uploaded probe image: a multiple of 8, so no pipeline needs to round it.
UPLOAD_SIDE = 16
#: Length of the "very long" prompt, in characters.
LONG_PROMPT_CHARACTERS = 10_000
#: The seeds every operation with a seed is probed with, beyond its bounds' own probes.
EDGE_SEEDS = (0, 1, 2**32 - 1, 2**64)
#: The pages' example LoRA mapping, its first entry (a documented, valid mapping).
EXAMPLE_LORAS = '{"latent-consistency/lcm-lora-sdxl": 1.0}'
#: Longest form value a reproducer carries on its command line; longer ones are read from files.
FORM_VALUE_INLINE = 200
#: Checks the probes report under, beyond schemathesis's and the properties' names.
DECLARED_BODY = "error_statuses_have_declared_body"
REFUSES_INVALID = "negative_data_rejection"
SERVES_VALID = "positive_data_acceptance"

_BOUNDARY = Source(
    "protocol", "RFC 7578: a multipart/form-data body is delimited by its `boundary` parameter"
)
_IMAGE = Source("documented", f"{PAGE_I2I}: image file required Uploaded image to modify")
_ENCODING = Source(
    "recommended", "openapi.yaml's `image` encoding lists it; the pages say only `file`"
)
_NOT_IMAGE = ("image/png", b"this is not an image")
_SECURITY = source_of_check(IGNORED_AUTH)
#: Pillow format of each media type the spec's encoding may list.
_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WEBP",
    "image/x-portable-pixmap": "PPM",
}


@dataclass(frozen=True)
class Probe:
    """One edge request: what it sends, what the spec says of it, and why."""

    family: str
    #: The edge probed, e.g. `num_inference_steps=151 (maximum + 1)`, quoted in each reason.
    edge: str
    params: dict[str, Any]
    expect: Expect = "either"
    #: The rule deciding `expect` (e.g. `num_inference_steps.maximum`): the cause of a
    #: departure from it, whose source is `source`.
    rule: str = ""
    source: Source | None = None
    #: (media type, bytes) of the file part; None sends no file part (or a JSON body).
    image: tuple[str, bytes] | None = None
    #: Send the multipart body without the boundary parameter in its Content-Type.
    drop_boundary: bool = False
    #: The credentials sent: the run's ("run"), none, or `WRONG_TOKEN` ("wrong").
    credentials: Literal["run", "none", "wrong"] = "run"

    @property
    def refusal(self) -> str:
        """The refusal class the probe stands for, or "" (see `REFUSAL_CLASSES`)."""
        if self.credentials != "run":
            return NO_CREDENTIALS if self.credentials == "none" else WRONG_CREDENTIALS
        if self.expect != "refuse":
            return ""
        keyword = self.rule.rsplit(".", 1)[-1]
        if keyword in ("minimum", "maximum"):
            return OUT_OF_RANGE
        if keyword == "required":
            return MISSING_REQUIRED
        if keyword == "type":
            return WRONG_TYPE
        if self.rule == "image decodes":
            return NOT_AN_IMAGE
        return ""


@dataclass
class _Answer:
    """An answer to a probe, read within the run's limits."""

    status: int
    content_type: str
    content: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    status_line: str = ""
    body: Any = None
    #: Secrets redacted from every text shown of the answer, before it is cut.
    secrets: tuple[str, ...] = ()

    def shown(self) -> str:
        """The status, content type and the start of the body (redacted, then cut)."""
        body = body_excerpt(self.content, self.secrets)
        return f"{self.status} ({self.content_type or 'no content type'}): {body}"

    def evidence(self, request: str) -> Evidence:
        return Evidence(
            request=request,
            status_line=redact(self.status_line, self.secrets),
            content_type=redact(self.content_type, self.secrets),
            body=body_excerpt(self.content, self.secrets),
        )


def _minimal(schema: dict[str, Any]) -> Any:
    return schema.get("minimum", 1)


def base_params(document: dict[str, Any], path: str, config: RunConfig) -> dict[str, Any]:
    """The cheapest valid request of `path`: smallest size, steps and batch, the pinned model."""
    properties = spec.request_body(document, path)[1].get("properties", {})
    params: dict[str, Any] = {"prompt": "a lighthouse on a cliff"}
    for name in ("width", "height", "num_inference_steps", "num_images_per_prompt"):
        if name in properties:
            params[name] = _minimal(properties[name])
    if (model_id := config.model_id_for(path)) is not None and MODEL_ID in properties:
        params[MODEL_ID] = model_id
    return params


def _step(schema: dict[str, Any]) -> int | float:
    if schema.get("type") == "integer":
        return int(schema.get("multipleOf", 1))
    low, high = schema.get("minimum"), schema.get("maximum")
    span = (high - low) if low is not None and high is not None else 1
    return 0.01 if span <= 1 else 0.5


def _numeric_probes(name: str, schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
    probes: list[Probe] = []
    step = _step(schema)
    for keyword, sign in (("minimum", -1), ("maximum", 1)):
        if keyword not in schema:
            continue
        bound, rule = schema[keyword], f"{name}.{keyword}"
        source = field_bound_source(schema, keyword)
        past = round(bound + sign * step, 6)
        edge = f"{name}={past} ({keyword} {'+' if sign > 0 else '-'} {step})"
        probes += [
            Probe(
                "numeric",
                f"{name}={bound} ({keyword})",
                {**base, name: bound},
                "accept",
                rule,
                source,
            ),
            Probe("numeric", edge, {**base, name: past}, "refuse", rule, source),
        ]
    if "multipleOf" in schema and schema.get("type") == "integer":
        value = int(schema.get("minimum", 0)) + int(schema["multipleOf"]) // 2
        probes.append(
            Probe(
                "numeric",
                f"{name}={value} (not a multiple of {schema['multipleOf']})",
                {**base, name: value},
                "refuse",
                f"{name}.multipleOf",
                field_bound_source(schema, "multipleOf"),
            )
        )
    return probes


def _seed_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
    low, high = schema.get("minimum"), schema.get("maximum")
    probes = []
    for seed in (*EDGE_SEEDS, -1):
        expect: Expect = "accept"
        if low is not None and seed < low:
            expect, keyword = "refuse", "minimum"
        elif high is not None and seed > high:
            expect, keyword = "refuse", "maximum"
        else:
            keyword = "minimum" if high is None or seed - (low or 0) < high - seed else "maximum"
        source = field_bound_source(schema, keyword)
        params = {**base, "seed": seed}
        probes.append(Probe("seed", f"seed={seed}", params, expect, f"seed.{keyword}", source))
    return probes


def _prompt_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
    bounded = schema.get("minLength", 0) > 0
    empty = Probe(
        "prompt",
        'prompt="" (empty)',
        {**base, "prompt": ""},
        "refuse" if bounded else "either",
        "prompt.minLength" if bounded else "",
        field_bound_source(schema, "minLength") if bounded else None,
    )
    long_prompt = ("a lighthouse on a cliff " * LONG_PROMPT_CHARACTERS)[:LONG_PROMPT_CHARACTERS]
    others = [
        ("only whitespace", " \t \n "),
        ("only the | separator", "|"),
        (f"{LONG_PROMPT_CHARACTERS} characters", long_prompt),
    ]
    return [empty] + [
        Probe("prompt", f"prompt {label}", {**base, "prompt": text}) for label, text in others
    ]


def _loras_probes(base: dict[str, Any]) -> list[Probe]:
    values = [
        ("{}", "{}"),
        ("the pages' example mapping", EXAMPLE_LORAS),
        ('"[]" (JSON, not an object)', "[]"),
        ('"9" (JSON, not an object)', "9"),
        ("not JSON", "{not json"),
    ]
    return [Probe("loras", f"loras={label}", {**base, LORAS: text}) for label, text in values]


def _required_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
    """A request without each required field it carries (the file part has its own probe)."""
    source = spec.constraint_sources(schema).get("required") or field_bound_source({}, "required")
    return [
        Probe(
            "required",
            f"no {name}",
            {key: value for key, value in base.items() if key != name},
            "refuse",
            f"{name}.required",
            source,
        )
        for name in schema.get("required", [])
        if name in base
    ]


def _type_probes(properties: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
    """The first integer field of the cheap request sent a number that is not an integer."""
    for name, prop in properties.items():
        if prop.get("type") == "integer" and isinstance(base.get(name), int):
            value = base[name] + 0.5
            edge = f"{name}={value} (not an integer)"
            source = field_bound_source(prop, "type")
            return [Probe("type", edge, {**base, name: value}, "refuse", f"{name}.type", source)]
    return []


def _png(side: int = UPLOAD_SIDE) -> bytes:
    return encode_image(side, side, (90, 140, 200), "PNG")


def _upload_probes(document: dict[str, Any], path: str, base: dict[str, Any]) -> list[Probe]:
    required = spec.constraint_sources(spec.request_body(document, path)[1]).get("required")
    png = ("image/png", _png())
    truncated = ("image/png", png[1][: len(png[1]) // 2])
    boundary = "multipart boundary"
    probes = [
        Probe("multipart", "no boundary", base, "refuse", boundary, _BOUNDARY, png, True),
        Probe("multipart", "no file part", base, "refuse", "image.required", required or _IMAGE),
        Probe("upload", "not an image", base, "refuse", "image decodes", _IMAGE, _NOT_IMAGE),
        Probe("upload", "truncated PNG", base, "refuse", "image decodes", _IMAGE, truncated),
    ]
    for media_type in encoding_media_types(document, path):
        fmt = _FORMATS.get(media_type)
        if fmt is None:
            continue
        image = (media_type, encode_image(UPLOAD_SIDE, UPLOAD_SIDE, (200, 120, 40), fmt))
        probes.append(Probe("upload", media_type, base, "accept", "image type", _ENCODING, image))
    return probes


def encoding_media_types(document: dict[str, Any], path: str) -> list[str]:
    """The media types the spec's multipart encoding lists for the file part, in order."""
    content = spec.operation(document, path).get("requestBody", {}).get("content", {})
    for media in content.values():
        for part in (media.get("encoding") or {}).values():
            types = str(part.get("contentType", ""))
            return [t.strip() for t in types.split(",") if t.strip()]
    return []


def probes_for(document: dict[str, Any], path: str, config: RunConfig) -> list[Probe]:
    """The edge probes of the operation at `path`, always the same for the same spec."""
    media_type, schema = spec.request_body(document, path)
    properties = schema.get("properties", {})
    multipart = media_type == "multipart/form-data"
    base = base_params(document, path, config)
    image = ("image/png", _png()) if multipart else None
    probes: list[Probe] = _required_probes(schema, base) + _type_probes(properties, base)
    for name, prop in properties.items():
        if name == "seed":
            probes += _seed_probes(prop, base)
        elif prop.get("type") in ("integer", "number") and ("minimum" in prop or "maximum" in prop):
            probes += _numeric_probes(name, prop, base)
    if "prompt" in properties:
        probes += _prompt_probes(properties["prompt"], base)
    if LORAS in properties:
        probes += _loras_probes(base)
    if config.token and not config.open_gateway:
        probes += _auth_probes(base)
    probes = [dataclasses.replace(probe, image=image) for probe in probes]
    if multipart:
        probes += _upload_probes(document, path, base)
    return interleave(probes)


#: Within a family, the edges real gateways break most often go first (lower sorts first): a
#: seed of 0 read as "no seed" and seeds past 2^31, prompts that split into nothing, `loras`
#: that parse but are not objects; and every refusal before the matching accepted extreme.
_FIRST_WITHIN_FAMILY: dict[str, tuple[str, ...]] = {
    "seed": ("seed=0", "seed=4294967295", "seed=18446744073709551616", "seed=-1"),
    "prompt": ("prompt only the | separator", "prompt only whitespace", 'prompt="" (empty)'),
    "loras": ('loras="[]"', 'loras="9"', "loras=not JSON"),
}


def _within_family(probe: Probe) -> tuple[int, int]:
    firsts = _FIRST_WITHIN_FAMILY.get(probe.family, ())
    rank = next((i for i, edge in enumerate(firsts) if probe.edge.startswith(edge)), len(firsts))
    return (rank, 0 if probe.expect == "refuse" else 1)


def interleave(probes: list[Probe]) -> list[Probe]:
    """The probes in sending order: one of each family in turn (in the order the families first
    appear), each family's own most telling edges first, so that a small budget reaches every
    family before any family's second probe."""
    families: dict[str, list[Probe]] = {}
    for probe in probes:
        families.setdefault(probe.family, []).append(probe)
    queues = [sorted(members, key=_within_family) for members in families.values()]
    ordered: list[Probe] = []
    for round_ in range(max((len(queue) for queue in queues), default=0)):
        ordered += [queue[round_] for queue in queues if round_ < len(queue)]
    return ordered


def _auth_probes(base: dict[str, Any]) -> list[Probe]:
    """The cheap valid request without credentials, and with a token the gateway never issued."""
    return [
        Probe("auth", "no credentials", base, "refuse", "security", _SECURITY, credentials="none"),
        Probe("auth", "a wrong token", base, "refuse", "security", _SECURITY, credentials="wrong"),
    ]


class _BudgetSpent(Exception):
    """The run's request budget is spent, the run was stopped, or the gateway stopped answering."""


class EdgeProber:
    """Sends each probe with httpx, reads its answer within limits and records what it breaks.

    Its departures are like every other phase's: a cause (the answer's status and the bound
    probed, or the class the other phases give the same finding), the rule's source, the answer
    as evidence and a reproducer reading its body from files under `<report-dir>/inputs/`.
    """

    def __init__(
        self,
        config: RunConfig,
        base_url: str,
        budget: RequestBudget,
        results: RunResults,
        progress: ProgressSink,
        properties: PropertyRunner,
    ) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.results = results
        self.progress = progress
        self.properties = properties
        self.document = spec.load_spec(config.spec_path)
        self.inputs_dir: Path = config.report_dir / "inputs"
        self.limits = AnswerLimits(config.max_response_bytes, config.request_timeout)
        self.fetch = fetcher(config, self._spend)
        self.token = None if config.open_gateway else config.token
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.client = httpx.Client(**client_options(config, headers=headers))
        #: Probes a conforming gateway serves whose size, steps or batch pass the run's
        #: ceilings: never sent, and listed as not covered (a refusal probe is always sent).
        self.over_limits: dict[str, list[str]] = {}
        self.probes: dict[str, tuple[str, list[Probe]]] = {}
        for path in properties.paths:
            kept, over = [], []
            for probe in probes_for(self.document, path, config):
                too_big = probe.expect != "refuse" and config.user_limits.exceeded(probe.params)
                (over if too_big else kept).append(probe)
            self.probes[f"POST {path}"] = (path, kept)
            self.over_limits[f"POST {path}"] = [probe.edge for probe in over]
        self._sent: Counter[str] = Counter()
        #: (operation, index) of every probe taken up, sent or stopped by the budget.
        self._done: set[tuple[str, int]] = set()
        #: Why the probes stopped before the last one, if they did.
        self.stop_reason = ""

    def requests_needed(self, operation: str | None = None) -> int:
        """Requests the probes (of `operation`, or all) send when nothing stops them (one each)."""
        return sum(
            len(probes)
            for name, (_, probes) in self.probes.items()
            if operation is None or name == operation
        )

    def unsent(self, operation: str) -> int:
        """Probes of `operation` that were not sent."""
        return len(self.probes.get(operation, ("", []))[1]) - self._sent[operation]

    def close(self) -> None:
        self.client.close()

    def refusal_probes(self, operation: str) -> list[int]:
        """Indexes of the first probe of each refusal class of `operation`, in class order."""
        probes = self.probes[operation][1]
        first = {}
        for index, probe in enumerate(probes):
            first.setdefault(probe.refusal, index)
        return [first[name] for name in REFUSAL_CLASSES if name in first]

    def run_refusals(self) -> None:
        """One probe per refusal class of every operation, round-robin across operations."""
        order = {operation: self.refusal_probes(operation) for operation in self.probes}
        rounds = max((len(indexes) for indexes in order.values()), default=0)
        self._send_all(
            (operation, indexes[i])
            for i in range(rounds)
            for operation, indexes in order.items()
            if i < len(indexes)
        )

    def run(self) -> None:
        """Send every probe not sent yet, round-robin across operations, until the budget is spent
        or the run is stopped."""
        rounds = max((len(probes) for _, probes in self.probes.values()), default=0)
        self._send_all(
            (operation, i)
            for i in range(rounds)
            for operation, (_, probes) in self.probes.items()
            if i < len(probes)
        )

    def _send_all(self, which: Iterable[tuple[str, int]]) -> None:
        try:
            for operation, index in which:
                if (operation, index) in self._done:
                    continue
                path, probes = self.probes[operation]
                sent = self._sent[operation]
                try:
                    self._probe(path, probes[index])
                finally:
                    if self._sent[operation] > sent:  # sent, whatever came of it
                        self._done.add((operation, index))
        except _BudgetSpent:
            if self.budget.stopping:
                self.stop_reason = self.budget.stop_reason or ""
            elif self.budget.gateway_stopped_answering:
                self.stop_reason = "the gateway stopped answering"
            else:
                self.stop_reason = f"the request budget ({self.budget.limit}) was spent"
            self.results.record_note(f"edge probes: stopped early, {self.stop_reason}")

    def _spend(self) -> bool:
        if not self.budget.try_spend():
            raise _BudgetSpent
        return True

    def _request(self, path: str, probe: Probe) -> httpx.Request:
        url = self.base_url + path
        media_type = spec.request_body(self.document, path)[0]
        if media_type != "multipart/form-data":
            return self.client.build_request("POST", url, json=probe.params)
        data = {name: _form_text(value) for name, value in probe.params.items()}
        if probe.image is None:
            # Fields alone would go as a urlencoded form: sent as file-less parts, they stay
            # a multipart body that lacks only its file part.
            fields = {name: (None, text) for name, text in data.items()}
            return self.client.build_request("POST", url, files=fields)
        media, content = probe.image
        files = {"image": (_file_name(media), content, media)}
        request = self.client.build_request("POST", url, data=data, files=files)
        if probe.drop_boundary:
            body = request.read()
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
            headers["Content-Type"] = "multipart/form-data"
            request = self.client.build_request("POST", url, content=body, headers=headers)
        return request

    def _request_as_sent(self, path: str, probe: Probe) -> httpx.Request:
        """The probe's request with the credentials it asks for."""
        request = self._request(path, probe)
        if probe.credentials != "run":
            request.headers.pop("Authorization", None)
        if probe.credentials == "wrong":
            request.headers["Authorization"] = f"Bearer {WRONG_TOKEN}"
        return request

    def _probe(self, path: str, probe: Probe) -> None:
        self._spend()
        operation = f"POST {path}"
        self._sent[operation] += 1
        self.results.record_request(operation)
        self.progress(f"edge probes: {operation} {probe.edge[:40]}")
        request = self._request_as_sent(path, probe)
        reproducer = self._reproducer(path, probe, request)
        no_answer = Evidence(f"POST {self.base_url}{path}", "(no answer)", "", "")
        started = time.monotonic()
        try:
            response = self.client.send(request, stream=True)
            with contextlib.closing(response):
                content = read_bounded(response, self.limits, started)
                answer = _Answer(
                    response.status_code,
                    response.headers.get("content-type", ""),
                    content,
                    list(response.headers.multi_items()),
                    status_line(
                        response.status_code,
                        response.reason_phrase,
                        response.http_version.split("/")[-1],
                    ),
                    secrets=self.config.secrets,
                )
            answer.body = parse_json(content)
        except AnswerOutOfBounds as exc:
            if exc.late:
                self.budget.record_transport_failure()
            else:
                self.budget.record_answer()
            self._fail(
                operation,
                ANSWER_WITHIN_LIMITS,
                "Answer out of bounds",
                str(exc),
                reproducer,
                probe,
                None,
                no_answer,
                what=reason_class(str(exc)),
            )
            return
        except httpx.TimeoutException:
            self.budget.record_transport_failure()
            self._fail(
                operation,
                RESPONDS_WITHIN_TIMEOUT,
                "No answer within the request timeout",
                f"no answer within {self.config.request_timeout:g} s",
                reproducer,
                probe,
                None,
                no_answer,
                what="No answer within the request timeout",
            )
            return
        except httpx.TransportError as exc:
            self.budget.record_transport_failure()
            self._fail(
                operation,
                GATEWAY_REACHABLE,
                "Connection refused or reset",
                type(exc).__name__,
                reproducer,
                probe,
                None,
                no_answer,
                what="Connection refused or reset",
            )
            return
        self.budget.record_answer()
        self.results.record_status(operation, answer.status)
        if 200 <= answer.status < 300:
            self.results.record_accepted(operation)
            upload = upload_side(probe.image[1]) if probe.image is not None else None
            self.results.record_work(work(self.document, path, probe.params, upload))
        self._judge(path, probe, answer, reproducer)

    def _check(self, operation: str, check: str, passed: bool, fail: Callable[[], None]) -> None:
        """Record `check` as passed, or call `fail`; a check the run leaves out is not judged."""
        if not self.config.runs_check(check):
            return
        if passed:
            self.results.record_pass(operation, check)
        else:
            fail()

    def _judge(self, path: str, probe: Probe, answer: _Answer, reproducer: str) -> None:
        operation = f"POST {path}"
        evidence = answer.evidence(f"POST {self.base_url}{path}")

        def fail(
            check: str, title: str, reason: str, source: Source | None = None, what: str = ""
        ) -> Callable[[], None]:
            return lambda: self._fail(
                operation,
                check,
                title,
                reason,
                reproducer,
                probe,
                answer.status,
                evidence,
                source,
                what,
            )

        where = find_echo(answer.headers, answer.content, [self.token])
        self._check(
            operation,
            TOKEN_NOT_ECHOED,
            where is None,
            fail(
                TOKEN_NOT_ECHOED, "Token echoed", echo_reason(where or ""), what=f"token in {where}"
            ),
        )
        status = answer.status
        judgements = answer_conformance.judge(
            self.document,
            path,
            status,
            answer.content_type,
            answer.headers,
            answer.body,
        )
        for judgement in judgements:
            self._check(
                operation,
                judgement.check,
                judgement.reason is None,
                fail(
                    judgement.check,
                    judgement.title,
                    f"answered {answer.shown()}; {judgement.reason}",
                    what=judgement.title,
                ),
            )
        conforming_error = status != 200 and all(
            j.reason is None for j in judgements if j.check in (STATUS_CODE, CONTENT_TYPE)
        )
        if conforming_error and any(j.check == CONTENT_TYPE for j in judgements):
            self._judge_error_body(path, probe, answer, fail)
        if probe.credentials != "run":
            self._judge_auth(operation, probe, answer, fail)
            return
        if probe.expect == "refuse" and 200 <= status < 300:
            self._check(
                operation,
                REFUSES_INVALID,
                False,
                fail(
                    REFUSES_INVALID,
                    "Invalid request served",
                    f"answered {status} to {probe.edge}, which the spec refuses",
                    probe.source,
                ),
            )
        elif probe.expect == "accept" and 400 <= status < 500 and status != 429:
            self._check(
                operation,
                SERVES_VALID,
                False,
                fail(
                    SERVES_VALID,
                    "Valid request refused",
                    f"answered {answer.shown()} to {probe.edge}, which the spec allows",
                    probe.source,
                ),
            )
        elif probe.expect != "either":
            check = REFUSES_INVALID if probe.expect == "refuse" else SERVES_VALID
            self._check(operation, check, True, lambda: None)
        if status == 200 and probe.expect != "refuse":
            self._judge_properties(path, probe, answer, fail)

    def _judge_auth(
        self, operation: str, probe: Probe, answer: _Answer, fail: Callable[..., Callable[[], None]]
    ) -> None:
        """A request without the run's credentials is refused with 401 or 403: schemathesis's
        `ignored_auth` with its titles, so that one fault is one cause whichever phase finds it."""
        status = answer.status
        if status in INCONCLUSIVE_FOR_AUTH:
            return  # busy or rate-limited: says nothing of the credentials; the check stays open
        refused = status in (401, 403)
        missing = probe.credentials == "none"
        if 200 <= status < 300:
            accepted = "requests without authentication" if missing else "invalid authentication"
            title = f"API accepts {accepted}"
        else:
            request = "a request without authentication" if missing else "invalid authentication"
            title = f"Unexpected response to {request}"
        self._check(
            operation,
            IGNORED_AUTH,
            refused,
            fail(
                IGNORED_AUTH,
                title,
                f"expected 401 or 403, answered {answer.shown()}",
                probe.source,
                what=title,
            ),
        )

    def _judge_error_body(
        self, path: str, probe: Probe, answer: _Answer, fail: Callable[..., Callable[[], None]]
    ) -> None:
        operation = f"POST {path}"
        # The property phase's own rule, so that one fault is one cause whichever phase finds it.
        declared_body = PROPERTIES[DECLARED_BODY]
        objection = declared_body.check(self._exchange(path, probe, answer), self.document)
        self._check(
            operation,
            DECLARED_BODY,
            objection is None,
            fail(
                DECLARED_BODY,
                declared_body.title,
                objection or "",
                what=reason_class(objection or ""),
            ),
        )

    def _exchange(self, path: str, probe: Probe, answer: _Answer) -> Exchange:
        return Exchange(
            path,
            probe.params,
            probe.image,
            answer.status,
            answer.body,
            self.fetch,
            content=answer.content,
            status_text=answer.status_line,
            content_type=answer.content_type,
            headers=answer.headers,
        )

    def _judge_properties(
        self, path: str, probe: Probe, answer: _Answer, fail: Callable[..., Callable[[], None]]
    ) -> None:
        exchange = self._exchange(path, probe, answer)
        for prop in self.properties.active(path):
            if not prop.applies(exchange):
                continue
            objection = prop.check(exchange, self.document)
            if objection is None:
                self.results.record_pass(exchange.operation, prop.name)
            else:
                # One class per objection, the same as the property phase's for the same fault.
                fail(prop.name, prop.title, objection, what=reason_class(objection))()

    def _fail(
        self,
        operation: str,
        check: str,
        title: str,
        reason: str,
        reproducer: str,
        probe: Probe,
        status: int | None,
        evidence: Evidence,
        source: Source | None = None,
        what: str = "",
    ) -> None:
        # A broken bound is its cause (`seed.maximum`), with that bound's source; any other
        # finding is the class the other phases give it (`500 Server error`), so that one fault
        # is one cause whichever phase finds it. The edge probed is in the reason.
        if source is not None and probe.rule and check != IGNORED_AUTH:
            what = probe.rule
        what = what or title
        if check == IGNORED_AUTH:
            status = None  # schemathesis's cause for the same finding names no status
        self.results.record_failure(
            operation,
            check,
            title,
            redact(f"edge probe {probe.edge}: {reason}", self.config.secrets),
            reproducer,
            cause=redact(cause_of(status, what), self.config.secrets),
            evidence=evidence,
            source=source or source_of_check(check),
        )

    def _reproducer(self, path: str, probe: Probe, request: httpx.Request) -> str:
        """A curl command sending the probe again, its body read from files under `inputs/`,
        the token shown as `[redacted]`."""
        url = self.base_url + path
        auth = ["-H", f"Authorization: Bearer {REDACTED}"] if self.token else []
        if probe.credentials == "none":
            auth = []
        elif probe.credentials == "wrong":
            # From a file: a reproducer's `Bearer <value>` is always shown redacted.
            header = self._save(f"Authorization: Bearer {WRONG_TOKEN}".encode(), "txt")
            auth = ["-H", "@" + header]
        command = ["curl", "-sS", "-X", "POST", url, *auth]
        media_type = spec.request_body(self.document, path)[0]
        if media_type != "multipart/form-data":
            body = self._save(json.dumps(probe.params).encode(), "json")
            command += ["-H", "Content-Type: application/json", "--data-binary", "@" + body]
            return redact(shlex.join(command), self.config.secrets)
        if probe.drop_boundary:
            saved = self._save(request.read(), "multipart")
            command += ["-H", "Content-Type: multipart/form-data", "--data-binary", "@" + saved]
            return redact(shlex.join(command), self.config.secrets)
        for name, value in probe.params.items():
            text = _form_text(value)
            if len(text) > FORM_VALUE_INLINE:
                command += ["-F", f"{name}=<{self._save(text.encode(), 'txt')}"]
            else:
                # `-F` would read a value starting with @ or < as a file and parse `;type=`.
                command += ["--form-string", f"{name}={text}"]
        if probe.image is not None:
            media, data = probe.image
            command += ["-F", f"image=@{self._save(data, _suffix(media))};type={media}"]
        return redact(shlex.join(command), self.config.secrets)

    def _save(self, data: bytes, suffix: str) -> str:
        return str(save_input(self.inputs_dir, data, suffix))


def _form_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _suffix(media_type: str) -> str:
    return {"image/jpeg": "jpg", "image/webp": "webp", "image/x-portable-pixmap": "ppm"}.get(
        media_type, "png"
    )


def _file_name(media_type: str | None) -> str:
    return f"input.{_suffix(media_type or '')}"

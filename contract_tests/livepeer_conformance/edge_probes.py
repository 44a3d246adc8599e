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

Every answer is judged: a 5xx (but the retryable 503) is a departure showing its content type
and body; a declared error status must carry its declared content type and body; a value the
spec refuses must be refused and one it allows must be served, each with the source of the rule
it probes; a served request's answer goes through the semantic properties; and the caller's
token must not come back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import jsonschema
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Source

from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.config import RunConfig, profile_includes
from livepeer_conformance.exchanges import Exchange, fetcher
from livepeer_conformance.properties import PROPERTIES
from livepeer_conformance.redaction import REDACTED, redact
from livepeer_conformance.results import GATEWAY_REACHABLE, RESPONDS_WITHIN_TIMEOUT, RunResults
from livepeer_conformance.sources import PAGE_I2I, field_bound_source, source_of_check
from livepeer_conformance.strategies import encode_image
from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED, echo_reason, find_echo
from livepeer_conformance.valid_requests import LORAS, MODEL_ID

Expect = Literal["accept", "refuse", "either"]
Progress = Callable[[str], None]

#: Side of every uploaded probe image: a multiple of 8, so no pipeline needs to round it.
UPLOAD_SIDE = 16
#: Length of the "very long" prompt, in characters.
LONG_PROMPT_CHARACTERS = 10_000
#: The seeds every operation with a seed is probed with, beyond its bounds' own probes.
EDGE_SEEDS = (0, 1, 2**32 - 1, 2**64)
#: The pages' example LoRA mapping, its first entry (a documented, valid mapping).
EXAMPLE_LORAS = '{"latent-consistency/lcm-lora-sdxl": 1.0}'
#: How much of an answer's body a departure quotes.
BODY_SHOWN = 200
#: Checks the probes report under, beyond schemathesis's and the properties' names.
NOT_A_SERVER_ERROR = "not_a_server_error"
STATUS_CODE = "status_code_conformance"
CONTENT_TYPE = "content_type_conformance"
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


@dataclass
class _Answer:
    status: int
    content_type: str
    content: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    def shown(self) -> str:
        text = self.content.decode("utf-8", "replace")
        text = " ".join(text.split())
        body = text if len(text) <= BODY_SHOWN else text[: BODY_SHOWN - 3] + "..."
        return f"{self.status} ({self.content_type or 'no content type'}): {body or '(empty)'}"


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
    probes: list[Probe] = []
    for name, prop in properties.items():
        if name == "seed":
            probes += _seed_probes(prop, base)
        elif prop.get("type") in ("integer", "number") and ("minimum" in prop or "maximum" in prop):
            probes += _numeric_probes(name, prop, base)
    if "prompt" in properties:
        probes += _prompt_probes(properties["prompt"], base)
    if LORAS in properties:
        probes += _loras_probes(base)
    probes = [dataclasses.replace(probe, image=image) for probe in probes]
    if multipart:
        probes += _upload_probes(document, path, base)
    return probes


def probe_count(document: dict[str, Any], config: RunConfig) -> int:
    """Requests the probes of a run send (one each)."""
    return sum(
        len(probes_for(document, path, config))
        for path in spec.image_operations(document).values()
        if config.checks_operation(path)
    )


class _BudgetSpent(Exception):
    """The run's request budget is spent or the gateway stopped answering."""


class EdgeProber:
    """Sends each probe with httpx and records what its answer breaks."""

    def __init__(
        self,
        config: RunConfig,
        base_url: str,
        budget: RequestBudget,
        results: RunResults,
        progress: Progress,
    ) -> None:
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.results = results
        self.progress = progress
        self.document = spec.load_spec(config.spec_path)
        self.active = [
            p for p in PROPERTIES.values() if profile_includes(config.profile, p.profile)
        ]
        self.inputs_dir: Path = config.report_dir / "inputs"
        self.fetch = fetcher(config.request_timeout, self._spend)
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
        self.client = httpx.Client(timeout=config.request_timeout, headers=headers)

    def run(self) -> None:
        """Send every operation's probes, until the budget is spent."""
        try:
            for path in spec.image_operations(self.document).values():
                if not self.config.checks_operation(path):
                    continue
                for probe in probes_for(self.document, path, self.config):
                    self._probe(path, probe)
        except _BudgetSpent:
            reason = (
                "the gateway stopped answering"
                if self.budget.gateway_stopped_answering
                else f"the request budget ({self.budget.limit}) was spent"
            )
            self.results.record_not_covered(f"edge probes: stopped early, {reason}")
        finally:
            self.client.close()

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

    def _probe(self, path: str, probe: Probe) -> None:
        self._spend()
        operation = f"POST {path}"
        self.progress(f"edge probes: {operation} {probe.edge[:40]}")
        request = self._request(path, probe)
        reproducer = self._reproducer(path, probe, request)
        try:
            response = self.client.send(request)
        except httpx.TimeoutException:
            self.budget.record_transport_failure()
            self._fail(
                operation,
                RESPONDS_WITHIN_TIMEOUT,
                "No answer within the request timeout",
                f"no answer within {self.config.request_timeout:g} s",
                reproducer,
                probe,
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
            )
            return
        self.budget.record_answer()
        answer = _Answer(
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
            list(response.headers.multi_items()),
        )
        self._judge(path, probe, answer, reproducer)

    def _judge(self, path: str, probe: Probe, answer: _Answer, reproducer: str) -> None:
        operation = f"POST {path}"
        where = find_echo(answer.headers, answer.content, [self.config.token])
        if where is not None:
            self._fail(
                operation, TOKEN_NOT_ECHOED, "Token echoed", echo_reason(where), reproducer, probe
            )
        else:
            self.results.record_pass(operation, TOKEN_NOT_ECHOED)
        status = answer.status
        if status >= 500 and status != 503:
            self._fail(
                operation,
                NOT_A_SERVER_ERROR,
                "Server error",
                f"answered {answer.shown()}",
                reproducer,
                probe,
            )
        else:
            self.results.record_pass(operation, NOT_A_SERVER_ERROR)
        declared = spec.operation(self.document, path).get("responses", {})
        if str(status) not in declared:
            self._fail(
                operation,
                STATUS_CODE,
                "Undocumented HTTP status code",
                f"answered {answer.shown()}; declared: {', '.join(declared)}",
                reproducer,
                probe,
            )
        elif status != 200:
            self._judge_error_body(path, probe, answer, reproducer)
        if probe.expect == "refuse" and 200 <= status < 300:
            self._fail(
                operation,
                REFUSES_INVALID,
                "Invalid request served",
                f"answered {status} to {probe.edge}, which the spec refuses",
                reproducer,
                probe,
                probe.source,
            )
        elif probe.expect == "accept" and 400 <= status < 500 and status != 429:
            self._fail(
                operation,
                SERVES_VALID,
                "Valid request refused",
                f"answered {answer.shown()} to {probe.edge}, which the spec allows",
                reproducer,
                probe,
                probe.source,
            )
        if status == 200 and probe.expect != "refuse":
            self._judge_properties(path, probe, answer, reproducer)

    def _judge_error_body(self, path: str, probe: Probe, answer: _Answer, reproducer: str) -> None:
        operation = f"POST {path}"
        if answer.content_type.split(";")[0].strip().lower() != "application/json":
            self._fail(
                operation,
                CONTENT_TYPE,
                "Undocumented Content-Type",
                f"answered {answer.shown()}; declared: application/json",
                reproducer,
                probe,
            )
            return
        schema = spec.response_schema(self.document, path, answer.status)
        if schema is None:
            return
        try:
            jsonschema.validate(answer.json(), schema)
        except jsonschema.ValidationError as exc:
            self._fail(
                operation,
                DECLARED_BODY,
                "Error body does not match its declared schema",
                f"answered {answer.shown()}: {exc.message}",
                reproducer,
                probe,
            )
        else:
            self.results.record_pass(operation, DECLARED_BODY)

    def _judge_properties(self, path: str, probe: Probe, answer: _Answer, reproducer: str) -> None:
        exchange = Exchange(
            path, probe.params, probe.image, answer.status, answer.json(), self.fetch
        )
        for prop in self.active:
            if not prop.applies(exchange):
                continue
            verdict = prop.check(exchange, self.document)
            if verdict is None:
                self.results.record_pass(exchange.operation, prop.name)
            else:
                self._fail(exchange.operation, prop.name, prop.title, verdict, reproducer, probe)

    def _fail(
        self,
        operation: str,
        check: str,
        title: str,
        reason: str,
        reproducer: str,
        probe: Probe,
        source: Source | None = None,
    ) -> None:
        self.results.record_failure(
            operation,
            check,
            title,
            redact(f"edge probe {probe.edge}: {reason}", self.config.secrets),
            reproducer,
            source=source or source_of_check(check),
            # A broken bound is its own cause; any other check is one cause per check, the
            # one that fuzzing and the properties may report too.
            cause=probe.rule if source is not None else "",
        )

    def _reproducer(self, path: str, probe: Probe, request: httpx.Request) -> str:
        """A curl command sending the probe again, the token shown as `[redacted]`."""
        url = self.base_url + path
        auth = ["-H", f"Authorization: Bearer {REDACTED}"]
        media_type = spec.request_body(self.document, path)[0]
        if media_type != "multipart/form-data":
            body = json.dumps(probe.params)
            if len(body) > BODY_SHOWN:
                body = "@" + self._save(body.encode(), "json")
            command = ["curl", "-X", "POST", url, *auth, "-H", "Content-Type: application/json"]
            return shlex.join([*command, "-d", body])
        if probe.drop_boundary:
            saved = self._save(request.read(), "multipart")
            command = ["curl", "-X", "POST", url, *auth, "-H", "Content-Type: multipart/form-data"]
            return shlex.join([*command, "--data-binary", "@" + saved])
        parts = ["curl", "-X", "POST", url, *auth]
        for name, value in probe.params.items():
            text = _form_text(value)
            if len(text) > BODY_SHOWN:
                parts += ["-F", f"{name}=<{self._save(text.encode(), 'txt')}"]
            else:
                parts += ["--form-string", f"{name}={text}"]
        if probe.image is not None:
            media, data = probe.image
            parts += ["-F", f"image=@{self._save(data, _suffix(media))};type={media}"]
        return shlex.join(parts)

    def _save(self, data: bytes, suffix: str) -> str:
        self.inputs_dir.mkdir(parents=True, exist_ok=True)
        path = self.inputs_dir / f"{hashlib.sha256(data).hexdigest()[:12]}.{suffix}"
        path.write_bytes(data)
        return str(path)


def _form_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _suffix(media_type: str) -> str:
    return {"image/jpeg": "jpg", "image/webp": "webp", "image/x-portable-pixmap": "ppm"}.get(
        media_type, "png"
    )


def _file_name(media_type: str | None) -> str:
    return f"input.{_suffix(media_type or '')}"


def run_edge_probes(
    config: RunConfig, base_url: str, budget: RequestBudget, results: RunResults, progress: Progress
) -> None:
    """Send every operation's edge probes to `base_url`, recording into `results`."""
    EdgeProber(config, base_url, budget, results, progress).run()

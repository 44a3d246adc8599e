"""The edge probes' planner: a fixed set of cheap requests per operation where gateways break.

Fuzzing reaches an edge only by chance; these requests reach each one every run, in the same
order, at minimal cost (the smallest size, step count and batch, a 16x16 upload) with one field
at its edge:

- each bounded number at its extremes and one step past them, and off its `multipleOf`;
- seeds 0, 1, 2^32-1, 2^64 and -1;
- prompts that are empty, only whitespace, only the `|` separator, or very long;
- `loras` as `{}`, the pages' example mapping, `"[]"`, `"9"` and text that is not JSON;
- a multipart body without its boundary, or without its file part;
- uploads that are not images, truncated images, and each image type the spec's encoding lists;
- the cheapest valid request without credentials, and with a token no gateway issued.

A pure function of the spec and the run's options: the engine sends what it returns, and the
dry run prints it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, TypeVar

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Operation, Source

from livepeer_conformance.config import RunConfig
from livepeer_conformance.planned import (
    UPLOAD_SIDE,
    Expect,
    Planned,
    cheapest_image,
    cheapest_params,
    upload_png,
)
from livepeer_conformance.sources import PAGE_I2I, field_bound_source, source_of_check
from livepeer_conformance.strategies import encode_image
from livepeer_conformance.valid_requests import LORAS

#: Length of the "very long" prompt, in characters.
LONG_PROMPT_CHARACTERS = 10_000
#: The seeds every operation with a seed is probed with, beyond its bounds' own probes.
EDGE_SEEDS = (0, 1, 2**32 - 1, 2**64)
#: The pages' example LoRA mapping, its first entry (a documented, valid mapping).
EXAMPLE_LORAS = '{"latent-consistency/lcm-lora-sdxl": 1.0}'
#: schemathesis's name for the rule that a request without valid credentials is refused.
IGNORED_AUTH = "ignored_auth"

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


class _Ordered(Protocol):
    @property
    def family(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def expect(self) -> Expect: ...


P = TypeVar("P", bound=_Ordered)


@dataclasses.dataclass(frozen=True)
class _Probe:
    """A probe before it is bound to its operation."""

    family: str
    purpose: str
    params: dict[str, Any]
    expect: Expect = "either"
    rule: str = ""
    source: Source | None = None
    image: tuple[str, bytes] | None = None
    drop_boundary: bool = False
    credentials: str = "run"


def _step(schema: dict[str, Any]) -> int | float:
    if schema.get("type") == "integer":
        return int(schema.get("multipleOf", 1))
    low, high = schema.get("minimum"), schema.get("maximum")
    span = (high - low) if low is not None and high is not None else 1
    return 0.01 if span <= 1 else 0.5


def _numeric_probes(name: str, schema: dict[str, Any], base: dict[str, Any]) -> list[_Probe]:
    probes: list[_Probe] = []
    step = _step(schema)
    for keyword, sign in (("minimum", -1), ("maximum", 1)):
        if keyword not in schema:
            continue
        bound, rule = schema[keyword], f"{name}.{keyword}"
        source = field_bound_source(schema, keyword)
        past = round(bound + sign * step, 6)
        edge = f"{name}={past} ({keyword} {'+' if sign > 0 else '-'} {step})"
        probes += [
            _Probe(
                "numeric",
                f"{name}={bound} ({keyword})",
                {**base, name: bound},
                "accept",
                rule,
                source,
            ),
            _Probe("numeric", edge, {**base, name: past}, "refuse", rule, source),
        ]
    if "multipleOf" in schema and schema.get("type") == "integer":
        value = int(schema.get("minimum", 0)) + int(schema["multipleOf"]) // 2
        probes.append(
            _Probe(
                "numeric",
                f"{name}={value} (not a multiple of {schema['multipleOf']})",
                {**base, name: value},
                "refuse",
                f"{name}.multipleOf",
                field_bound_source(schema, "multipleOf"),
            )
        )
    return probes


def _seed_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[_Probe]:
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
        probes.append(_Probe("seed", f"seed={seed}", params, expect, f"seed.{keyword}", source))
    return probes


def _prompt_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[_Probe]:
    bounded = schema.get("minLength", 0) > 0
    empty = _Probe(
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
        _Probe("prompt", f"prompt {label}", {**base, "prompt": text}) for label, text in others
    ]


def _loras_probes(base: dict[str, Any]) -> list[_Probe]:
    values = [
        ("{}", "{}"),
        ("the pages' example mapping", EXAMPLE_LORAS),
        ('"[]" (JSON, not an object)', "[]"),
        ('"9" (JSON, not an object)', "9"),
        ("not JSON", "{not json"),
    ]
    return [_Probe("loras", f"loras={label}", {**base, LORAS: text}) for label, text in values]


def _required_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[_Probe]:
    """A request without each required field it carries (the file part has its own probe)."""
    source = spec.constraint_sources(schema).get("required") or field_bound_source({}, "required")
    return [
        _Probe(
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


def _type_probes(properties: dict[str, Any], base: dict[str, Any]) -> list[_Probe]:
    """The first integer field of the cheap request sent a number that is not an integer."""
    for name, prop in properties.items():
        if prop.get("type") == "integer" and isinstance(base.get(name), int):
            value = base[name] + 0.5
            edge = f"{name}={value} (not an integer)"
            source = field_bound_source(prop, "type")
            return [_Probe("type", edge, {**base, name: value}, "refuse", f"{name}.type", source)]
    return []


def _upload_probes(operation: Operation, base: dict[str, Any]) -> list[_Probe]:
    required = spec.constraint_sources(operation.schema).get("required")
    png = ("image/png", upload_png())
    truncated = ("image/png", png[1][: len(png[1]) // 2])
    boundary = "multipart boundary"
    probes = [
        _Probe("multipart", "no boundary", base, "refuse", boundary, _BOUNDARY, png, True),
        _Probe("multipart", "no file part", base, "refuse", "image.required", required or _IMAGE),
        _Probe("upload", "not an image", base, "refuse", "image decodes", _IMAGE, _NOT_IMAGE),
        _Probe("upload", "truncated PNG", base, "refuse", "image decodes", _IMAGE, truncated),
    ]
    for media_type in operation.file_media_types:
        fmt = _FORMATS.get(media_type)
        if fmt is None:
            continue
        image = (media_type, encode_image(UPLOAD_SIDE, UPLOAD_SIDE, (200, 120, 40), fmt))
        probes.append(_Probe("upload", media_type, base, "accept", "image type", _ENCODING, image))
    return probes


def probes_for(operation: Operation, config: RunConfig) -> list[Planned]:
    """The edge probes of `operation`, always the same for the same spec, in sending order."""
    schema, properties = operation.schema, operation.properties
    base = cheapest_params(operation, config)
    probes: list[_Probe] = _required_probes(schema, base) + _type_probes(properties, base)
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
    image = cheapest_image(operation)
    probes = [dataclasses.replace(probe, image=image) for probe in probes]
    if operation.multipart:
        probes += _upload_probes(operation, base)
    return [
        Planned(
            operation,
            p.family,
            p.purpose,
            p.params,
            p.image,
            p.expect,
            p.rule,
            p.source,
            p.drop_boundary,
            p.credentials,
        )  # type: ignore[arg-type]
        for p in interleave(probes)
    ]


#: Within a family, the edges real gateways break most often go first (lower sorts first): a
#: seed of 0 read as "no seed" and seeds past 2^31, prompts that split into nothing, `loras`
#: that parse but are not objects; and every refusal before the matching accepted extreme.
_FIRST_WITHIN_FAMILY: dict[str, tuple[str, ...]] = {
    "seed": ("seed=0", "seed=4294967295", "seed=18446744073709551616", "seed=-1"),
    "prompt": ("prompt only the | separator", "prompt only whitespace", 'prompt="" (empty)'),
    "loras": ('loras="[]"', 'loras="9"', "loras=not JSON"),
}


def _within_family(probe: _Ordered) -> tuple[int, int]:
    firsts = _FIRST_WITHIN_FAMILY.get(probe.family, ())
    rank = next((i for i, edge in enumerate(firsts) if probe.purpose.startswith(edge)), len(firsts))
    return (rank, 0 if probe.expect == "refuse" else 1)


def interleave(probes: list[P]) -> list[P]:
    """The probes in sending order: one of each family in turn (in the order the families first
    appear), each family's own most telling edges first, so that a small budget reaches every
    family before any family's second probe."""
    families: dict[str, list[P]] = {}
    for probe in probes:
        families.setdefault(probe.family, []).append(probe)
    queues = [sorted(members, key=_within_family) for members in families.values()]
    ordered: list[P] = []
    for round_ in range(max((len(queue) for queue in queues), default=0)):
        ordered += [queue[round_] for queue in queues if round_ < len(queue)]
    return ordered


def _auth_probes(base: dict[str, Any]) -> list[_Probe]:
    """The cheap valid request without credentials, and with a token the gateway never issued."""
    return [
        _Probe("auth", "no credentials", base, "refuse", "security", _SECURITY, credentials="none"),
        _Probe("auth", "a wrong token", base, "refuse", "security", _SECURITY, credentials="wrong"),
    ]

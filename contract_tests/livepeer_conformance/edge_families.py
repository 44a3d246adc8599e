"""The edge probes' families: the requests that put one field of the cheapest request at its edge.

Each family is a function of a schema (or the operation) and the cheapest valid request; the
planner (`plan_edges.probes_for`) binds their probes to an operation and orders them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import Operation, Source

from livepeer_conformance.planned import UPLOAD_SIDE, Expect, upload_png
from livepeer_conformance.sources import (
    PAGE_I2I,
    field_bound_source,
    source_of_check,
    type_break_source,
)
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
_IMAGE = Source(
    "documented", f"{PAGE_I2I}: image file required Uploaded image to modify with the pipeline."
)
#: Upstream runners load a truncated image on purpose (Pillow's LOAD_TRUNCATED_IMAGES), and
#: the pages ask only for an image file.
_TRUNCATED = Source(
    "recommended",
    "this project's rule: an upload cut short is refused rather than read in part; the pages"
    " ask only for an image file",
)
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


@dataclasses.dataclass(frozen=True)
class Probe:
    """A probe of a family, before the planner binds it to its operation."""

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


def numeric_probes(name: str, schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
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


def seed_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
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


def prompt_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
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


def loras_probes(base: dict[str, Any]) -> list[Probe]:
    values = [
        ("{}", "{}"),
        ("the pages' example mapping", EXAMPLE_LORAS),
        ('"[]" (JSON, not an object)', "[]"),
        ('"9" (JSON, not an object)', "9"),
        ("not JSON", "{not json"),
    ]
    return [Probe("loras", f"loras={label}", {**base, LORAS: text}) for label, text in values]


def required_probes(schema: dict[str, Any], base: dict[str, Any]) -> list[Probe]:
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


def type_probes(
    properties: dict[str, Any], base: dict[str, Any], *, multipart: bool = False
) -> list[Probe]:
    """The first integer field of the cheap request sent a number that is not an integer."""
    for name, prop in properties.items():
        if prop.get("type") == "integer" and isinstance(base.get(name), int):
            value = base[name] + 0.5
            edge = f"{name}={value} (not an integer)"
            source = type_break_source(prop, value, multipart=multipart)
            return [Probe("type", edge, {**base, name: value}, "refuse", f"{name}.type", source)]
    return []


def upload_probes(operation: Operation, base: dict[str, Any]) -> list[Probe]:
    required = spec.constraint_sources(operation.schema).get("required")
    png = ("image/png", upload_png())
    truncated = ("image/png", png[1][: len(png[1]) // 2])
    boundary = "multipart boundary"
    probes = [
        Probe("multipart", "no boundary", base, "refuse", boundary, _BOUNDARY, png, True),
        Probe("multipart", "no file part", base, "refuse", "image.required", required or _IMAGE),
        Probe("upload", "not an image", base, "refuse", "image decodes", _IMAGE, _NOT_IMAGE),
        Probe("upload", "truncated PNG", base, "refuse", "image complete", _TRUNCATED, truncated),
    ]
    for media_type in operation.file_media_types:
        fmt = _FORMATS.get(media_type)
        if fmt is None:
            continue
        image = (media_type, encode_image(UPLOAD_SIDE, UPLOAD_SIDE, (200, 120, 40), fmt))
        probes.append(Probe("upload", media_type, base, "accept", "image type", _ENCODING, image))
    return probes


def auth_probes(base: dict[str, Any]) -> list[Probe]:
    """The cheap valid request without credentials, and with a token the gateway never issued."""
    return [
        Probe("auth", "no credentials", base, "refuse", "security", _SECURITY, credentials="none"),
        Probe("auth", "a wrong token", base, "refuse", "security", _SECURITY, credentials="wrong"),
    ]

"""Sources decide verdicts: recommended rules are advisories by default and fail `--profile strict`;
real pipelines (rounding sizes) pass; edge probes, tokens and generated requests stay realistic."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.arguments import check_names
from livepeer_conformance.config import RunConfig
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.judge import judge
from livepeer_conformance.media import MediaFetcher
from livepeer_conformance.plan_edges import probes_for
from livepeer_conformance.planned import Planned
from livepeer_conformance.properties import PROPERTIES, semantic_property
from livepeer_conformance.redaction import redact
from livepeer_conformance.sources import (
    CHECK_SOURCES,
    COERCION,
    negative_case_source,
    source_of_check,
    type_break_source,
)
from livepeer_conformance.strategies import encode_image
from livepeer_conformance.token_echo import find_echo
from livepeer_conformance.valid_requests import make_realistic
from livepeer_gateway_spec import Source
from livepeer_reference_gateway import FAULTS, GatewaySettings, running_gateway
from PIL import Image

#: The spec core's view of each operation, by path.
OPS = spec.served_operations(spec.load_spec(spec.spec_path()))

#: Room for the spec phase and every text-to-image edge probe, in a couple of seconds.
T2I_RUN = ("--operation", "textToImage", "--max-requests", "200", "--max-examples", "2")
SPEC_FILE = str(spec.spec_path())


def test_zero_images_accepted_is_an_advisory_by_default_and_fails_strict(
    run_cli: Callable[..., Any],
) -> None:
    default = run_cli(*T2I_RUN, "--seed", "3", "--fault", "accepts_zero_images")
    assert default.code == 0, default.stdout
    report = default.report()
    assert report["conforms"] is True and report["departures"] == []
    assert report["advisory_count"] == len(report["advisories"]) >= 1
    (advisory,) = [a for a in report["advisories"] if a["check"] == "negative_data_rejection"]
    assert advisory["cause"] == "200 num_images_per_prompt.minimum"
    assert advisory["source"] == "recommended" and "this project's bound" in advisory["source_text"]
    assert (
        "1 advisory(ies)" in default.stdout
        and "\n  failed negative_data_rejection (recommended)" in default.stdout
    )
    assert advisory["evidence"]["status_line"].startswith("HTTP/1.1 200")
    assert "--data-binary @" in advisory["reproducer"]
    markdown = (default.report_dir / "conformance.md").read_text(encoding="utf-8")
    assert "## Advisories (1)" in markdown and "Source: **recommended**" in markdown
    junit = ET.parse(default.report_dir / "conformance.junit.xml").getroot()
    (advised,) = [s for s in junit.iter("testsuite") if s.get("name") == "advisories"]
    assert advised.get("failures") == "0" and len(advised.findall("testcase")) == 1
    assert not junit.findall(".//failure")  # advisories never fail the run, in JUnit either

    strict = run_cli(
        *T2I_RUN, "--seed", "3", "--fault", "accepts_zero_images", "--profile", "strict"
    )
    assert strict.code == 1, strict.stdout
    (departure,) = strict.report()["departures"]
    assert (departure["check"], departure["cause"]) == (
        "negative_data_rejection",
        "200 num_images_per_prompt.minimum",
    )
    assert strict.report()["advisories"] == []


def test_documented_bound_fails_by_default(run_cli: Callable[..., Any]) -> None:
    """`strength` 0..1 is on the reference page: serving 1.01 is a departure, not an advisory."""
    result = run_cli(
        *("--operation", "imageToImage", "--max-requests", "220", "--max-examples", "2"),
        *("--seed", "3", "--fault", "accepts_out_of_range"),
    )
    assert result.code == 1, result.stdout
    documented = {d["cause"] for d in result.report()["departures"] if d["source"] == "documented"}
    assert {"200 strength.minimum", "200 strength.maximum"} <= documented
    advised = {a["cause"] for a in result.report()["advisories"]}
    assert "200 guidance_scale.maximum" in advised


def _png(width: int, height: int) -> bytes:
    return encode_image(width, height, (30, 60, 90), "PNG")


def test_rounding_pipeline_rounds_and_passes(run_cli: Callable[..., Any]) -> None:
    """A gateway rounding image-to-image sides down to a multiple of 8 answers 13x21 with 8x16,
    and the suite (properties included) stays quiet on it."""
    settings = GatewaySettings(token="rounding-token", faults=frozenset({"rounding_pipeline"}))
    with running_gateway(settings) as base_url:
        answer = httpx.post(
            base_url + "/image-to-image",
            headers={"Authorization": "Bearer rounding-token"},
            data={"prompt": "p", "num_inference_steps": "1", "seed": "1"},
            files={"image": ("in.png", _png(13, 21), "image/png")},
            timeout=10,
        )
    url = answer.json()["images"][0]["url"]
    data = base64.b64decode(url.split(",", 1)[1])
    assert Image.open(io.BytesIO(data)).size == (8, 16)

    result = run_cli(
        *("--operation", "imageToImage", "--max-requests", "220", "--max-examples", "5"),
        *("--seed", "2", "--fault", "rounding_pipeline"),
    )
    assert result.code == 0, result.stdout
    report = result.report()
    assert report["departures"] == [] and report["advisories"] == []
    sizes = [c for c in report["checks"] if c["check"] == "image_to_image_keeps_input_size"]
    assert sizes and sizes[0]["passed"] > 0


@pytest.mark.parametrize(
    ("output", "holds"),
    [((13, 21), True), ((8, 16), True), ((16, 24), True), ((8, 24), True), ((21, 13), False)],
)
def test_size_property_accepts_rounding_to_multiples_of_8(
    output: tuple[int, int], holds: bool
) -> None:
    document = spec.load_spec(SPEC_FILE)
    media_url = "data:image/png;base64," + base64.b64encode(_png(*output)).decode()
    body = {"images": [{"url": media_url, "seed": 1, "nsfw": False}]}
    exchange = Exchange(
        OPS["/image-to-image"],
        {"prompt": "p"},
        ("image/png", _png(13, 21)),
        200,
        body,
        MediaFetcher(RunConfig(spec_path=Path(SPEC_FILE), request_timeout=5.0)),
    )
    verdict = PROPERTIES["image_to_image_keeps_input_size"].check(exchange, document)
    assert (verdict is None) == holds, verdict
    if not holds:
        assert "rounded to a multiple of 8" in str(verdict)


def test_new_faults_fail_the_default_profile() -> None:
    """Only the minimum of one image (a recommended bound) needs the strict profile; the upscale
    factor is documented (the upscale pipeline page's "by a factor of 4")."""
    new = {
        "upscale_not_4x",
        "server_error_on_wide_seed",
        "seed_zero_random",
        "loras_not_object_crashes",
        "blank_prompt_crashes",
        "token_echoed",
        "multipart_refusal_not_http_error",
        "server_error_as_text_plain",
    }
    assert new <= FAULTS.keys()
    assert all(FAULTS[name].needs_profile is None for name in new)
    assert FAULTS["accepts_zero_images"].needs_profile == "strict"
    assert FAULTS["rounding_pipeline"].conformant


@pytest.mark.parametrize(
    ("path", "body", "cause", "kind"),
    [
        ("/text-to-image", {"prompt": "p", "num_images_per_prompt": 0}, "minimum", "recommended"),
        ("/image-to-image", {"prompt": "p", "image": b"x", "strength": 2}, "maximum", "documented"),
        (
            "/image-to-image",
            {"prompt": "p", "image": b"x", "strength": 2, "guidance_scale": 99},
            "strength.maximum",
            "documented",
        ),
        ("/upscale", {"image": b"x"}, "prompt.required", "documented"),
        ("/text-to-image", {"prompt": "p", "seed": "x"}, "seed.type", "protocol"),
        # Coercion: a mistyped value that reads as its type without loss is judged as read.
        (
            "/text-to-image",
            {"prompt": "p", "num_inference_steps": True},
            "steps.type",
            "recommended",
        ),
        ("/text-to-image", {"prompt": "p", "seed": "12"}, "seed.type", "recommended"),
        (
            "/text-to-image",
            {"prompt": "p", "num_images_per_prompt": False},
            "minimum",
            "recommended",
        ),
        (
            "/image-to-image",
            {"prompt": "p", "image": b"x", "safety_check": "0"},
            "check.type",
            "recommended",
        ),
        (
            "/image-to-image",
            {"prompt": "p", "image": b"x", "seed": "7.0"},
            "seed.type",
            "recommended",
        ),
        (
            "/image-to-image",
            {"prompt": "p", "image": b"x", "strength": "2"},
            "maximum",
            "documented",
        ),
        ("/upscale", {"prompt": 5, "image": b"x"}, "prompt.type", "recommended"),
        # Not lossless, or not read so: the declared type's rule.
        ("/text-to-image", {"prompt": "p", "seed": 1.5}, "seed.type", "protocol"),
        ("/text-to-image", {"prompt": 5}, "prompt.type", "protocol"),
        ("/text-to-image", {"prompt": "p", "safety_check": 2}, "check.type", "protocol"),
        ("/image-to-image", {"prompt": "p", "image": b"x", "seed": [1]}, "seed.type", "protocol"),
    ],
)
def test_an_accepted_invalid_request_takes_its_strongest_broken_rule(
    path: str, body: dict[str, Any], cause: str, kind: str
) -> None:
    found_cause, source = negative_case_source(SPEC_FILE, path, body)
    assert cause in found_cause and source.kind == kind


def test_probe_sources_hold_on_real_gateways() -> None:
    """A truncated upload served is recommended (upstream loads it on purpose), one that is no
    image at all documented; the type probe's 1.5 for an integer reads as no integer."""
    config = RunConfig(spec_path=spec.spec_path())
    by_purpose = {p.purpose: p for p in probes_for(OPS["/upscale"], config)}
    assert by_purpose["truncated PNG"].source.kind == "recommended"  # type: ignore[union-attr]
    not_image = by_purpose["not an image"].source
    assert not_image is not None and not_image.kind == "documented"
    (typed,) = [p for p in probes_for(OPS["/text-to-image"], config) if p.family == "type"]
    assert typed.source is not None and typed.source.kind == "protocol"
    integer = {"type": "integer"}
    assert type_break_source(integer, 2.0, multipart=False) == COERCION
    assert type_break_source(integer, 2.5, multipart=True).kind == "protocol"


def test_an_answer_to_a_refused_request_is_held_to_the_schemas_shape_only() -> None:
    """An empty image list answering a request the spec refuses breaks no protocol rule (the
    success schema's `minItems` is the success's own); answering a valid request it does."""
    document = spec.load_spec(SPEC_FILE)
    base = Planned(OPS["/text-to-image"], "numeric", "num_images_per_prompt=0", {"prompt": "p"})
    config = RunConfig(spec_path=Path(SPEC_FILE), request_timeout=5.0)

    def schema_verdicts(planned: Planned | None, body: Any, negative: bool = False) -> list[str]:
        exchange = Exchange(
            planned.operation if planned else OPS["/text-to-image"],
            {"prompt": "p"},
            None,
            200,
            body,
            MediaFetcher(config),
            content_type="application/json",
        )
        verdicts = judge(exchange, planned, document, [], lambda path: [], negative=negative)
        return [str(v.reason) for v in verdicts if v.check == "response_schema_conformance"]

    empty = {"images": []}
    refused = dataclasses.replace(base, expect="refuse", rule="num_images_per_prompt.minimum")
    assert schema_verdicts(refused, empty) == ["None"]
    assert schema_verdicts(None, empty, negative=True) == ["None"]
    (reason,) = schema_verdicts(dataclasses.replace(base, expect="accept"), empty)
    assert "should be non-empty" in reason
    assert "should be non-empty" in schema_verdicts(None, empty)[0]
    # The shape still holds: a success body without `images` breaks it whatever was asked.
    assert "'images' is a required property" in schema_verdicts(refused, {"data": []})[0]


def test_zero_images_served_empty_is_an_advisory_by_default(run_cli: Callable[..., Any]) -> None:
    """Upstream's answer to `num_images_per_prompt: 0`, an empty list, fails no protocol rule:
    the request breaks a recommended minimum, and the answer has the success schema's shape."""
    default = run_cli(*T2I_RUN, "--seed", "3", "--fault", "zero_images_served_empty")
    assert default.code == 0, default.stdout
    report = default.report()
    assert report["departures"] == []
    advised = {(a["check"], a["cause"]) for a in report["advisories"]}
    assert ("negative_data_rejection", "200 num_images_per_prompt.minimum") in advised
    assert {check for check, _ in advised} == {"negative_data_rejection"}


def test_edge_probes_reach_every_edge_at_minimal_cost() -> None:
    config = RunConfig(spec_path=spec.spec_path())
    probes = probes_for(OPS["/text-to-image"], config)
    assert probes == probes_for(OPS["/text-to-image"], config)  # deterministic
    seeds = {p.params["seed"] for p in probes if "seed" in p.params}
    assert {0, 1, 2**32 - 1, 2**64} <= seeds
    prompts = {p.params["prompt"] for p in probes if "prompt" in p.params}
    assert {"", "|"} <= prompts and any(len(text) >= 10_000 for text in prompts)
    # One probe of each refusal class the operation has (no upload: no "not an image").
    refusals = {p.refusal for p in probes} - {""}
    assert refusals == {"missing required field", "wrong type", "out of range"}
    (no_prompt,) = [p for p in probes if p.rule == "prompt.required"]
    assert "prompt" not in no_prompt.params and no_prompt.expect == "refuse"
    assert {"{}", "[]", "9"} <= {p.params.get("loras") for p in probes}
    most_steps = [p for p in probes if p.params["num_inference_steps"] == 150]
    assert [(p.params["width"], p.params["height"]) for p in most_steps] == [(64, 64)]
    families = {p.family for p in probes_for(OPS["/upscale"], config)}
    assert {"multipart", "upload", "seed", "prompt", "numeric"} <= families
    types = {p.image[0] for p in probes_for(OPS["/upscale"], config) if p.expect == "accept"}
    assert {"image/png", "image/jpeg", "image/webp", "image/x-portable-pixmap"} <= types


PROBE_TOKEN = "probe-token-" + "3c" * 10


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_edge_probe_departure_has_cause_evidence_and_a_replayable_reproducer(
    run_console: Callable[..., subprocess.CompletedProcess[bytes]],
    tmp_path: Path,
    paste: Callable[..., tuple[int, bytes]],
) -> None:
    """A departure only an edge probe finds (a 400 without `HTTPError` to a multipart body
    without its boundary) has a cause with its status, the answer as evidence, and a reproducer
    reading the raw body from `inputs/` that gets the same status again."""
    report_dir = tmp_path / "reports"
    settings = GatewaySettings(
        token=PROBE_TOKEN, faults=frozenset({"multipart_refusal_not_http_error"})
    )
    with running_gateway(settings) as base_url:
        result = run_console(
            [
                *("run", "--base-url", base_url, "--report-dir", str(report_dir)),
                *("--operation", "upscale", "--max-requests", "150", "--max-examples", "2"),
                *("--seed", "3"),
            ],
            env={"LIVEPEER_GATEWAY_TOKEN": PROBE_TOKEN},
        )
        assert result.returncode == 1, result.stdout.decode()
        report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
        (departure,) = report["departures"]
        assert departure["check"] == "error_statuses_have_declared_body"
        assert departure["cause"].startswith("400 ") and departure["source"] == "protocol"
        assert departure["reason"].startswith("edge probe no boundary")
        assert departure["evidence"]["status_line"].startswith("HTTP/1.1 400")
        reproducer = departure["reproducer"]
        body = next(part for part in shlex.split(reproducer) if part.startswith("@"))
        assert reproducer.startswith(f"cd {report_dir} && ") and body.startswith("@inputs/")
        env = {"LIVEPEER_GATEWAY_URL": base_url, "LIVEPEER_GATEWAY_TOKEN": PROBE_TOKEN}
        status, _ = paste(reproducer, tmp_path, env)
    assert status == 400
    assert PROBE_TOKEN not in (report_dir / "conformance.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "leak",
    [
        lambda t: t,
        lambda t: base64.b64encode(f"Bearer {t}".encode()).decode(),
        lambda t: base64.urlsafe_b64encode(t.encode()).decode().rstrip("="),
        lambda t: t.replace("/", "%2F"),
    ],
    ids=["raw", "base64-with-scheme", "base64url", "url-encoded"],
)
def test_token_is_found_in_any_form(leak: Callable[[str], str]) -> None:
    token = "tok/en-0123456789abcdef"
    assert find_echo([("x-debug", leak(token))], b"{}", [token]) is not None
    assert find_echo([], f'{{"msg": "{leak(token)}"}}'.encode(), [token]) is not None
    assert find_echo([("x-debug", "nothing")], b"{}", [token]) is None


@pytest.mark.parametrize(
    ("body", "pinned", "expected"),
    [
        (
            {"prompt": "p", "model_id": "random-junk", "loras": "[]"},
            None,
            {"prompt": "p", "loras": "{}"},
        ),
        ({"prompt": "p", "model_id": "x"}, "org/pinned", {"prompt": "p", "model_id": "org/pinned"}),
        (
            {"prompt": "p", "model_id": 5, "loras": '{"a": 1}'},
            None,
            {"prompt": "p", "model_id": 5, "loras": '{"a": 1}'},
        ),
        ({"prompt": "p", "loras": ""}, None, {"prompt": "p", "loras": ""}),
    ],
)
def test_generated_requests_never_invent_a_model(
    body: dict[str, Any], pinned: str | None, expected: dict[str, Any]
) -> None:
    path = "/text-to-image"
    model_ids = {path: pinned} if pinned is not None else {}
    config = RunConfig(spec_path=spec.spec_path(), model_ids=model_ids)
    make_realistic(body, OPS[path], config)
    assert body == expected


def test_every_source_text_survives_redaction() -> None:
    """A report redacts every `Bearer <value>`; no source text may read like one, or the rule a
    departure cites would reach the report mangled (`bearer [redacted]`)."""
    sources = {**CHECK_SOURCES, **{name: p.source for name, p in PROPERTIES.items()}}
    for check, source in sources.items():
        assert redact(source.text) == source.text, check


def test_readme_check_table_is_the_registry() -> None:
    """Every check a run can report is in the README's table, with the source it carries."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = dict(
        re.findall(r"^\| `([a-z_]+)` \| (documented|protocol|recommended) \|", readme, re.M)
    )
    assert set(rows) == set(check_names())
    assert {name: source_of_check(name).kind for name in rows} == rows


def test_a_property_without_a_source_is_refused() -> None:
    """Registering a property needs a source: none, or an empty one, is an error at once."""
    with pytest.raises(TypeError):
        semantic_property(lambda exchange: True)(lambda exchange, document: None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="needs a Source"):
        semantic_property(lambda exchange: True, source=Source("recommended", ""))(
            lambda exchange, document: None
        )
    assert all(p.source.text for p in PROPERTIES.values())

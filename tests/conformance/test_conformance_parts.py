"""The suite's parts on their own: image strategies, the property registry, redaction, budget."""

from __future__ import annotations

import io
import re

import livepeer_gateway_spec as spec
from hypothesis import given, settings
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.properties import PROPERTIES
from livepeer_conformance.redaction import redact
from livepeer_conformance.strategies import images, register_image_strategies
from livepeer_gateway_spec import load_spec
from PIL import Image
from schemathesis.specs.openapi import formats
from schemathesis.transport.serialization import Binary

#: The spec core's view of each operation, by path.
OPS = spec.served_operations(spec.load_spec(spec.spec_path()))

#: The suite's semantic property names, fixed and shared with the fault catalogue.
PROPERTY_NAMES = {
    "images_count_matches_request",
    "seeds_follow_request_seed",
    "seeds_distinct_without_seed",
    "urls_fetch_and_decode",
    "text_to_image_has_requested_size",
    "image_to_image_keeps_input_size",
    "upscale_is_four_times_input",
    "error_statuses_have_declared_body",
    "nsfw_is_boolean",
    "same_seed_same_seeds",
    "same_seed_same_pixels",
}


@settings(max_examples=20, deadline=None)
@given(png=images("PNG"), jpeg=images("JPEG"))
def test_image_strategies_draw_real_small_images(png: bytes, jpeg: bytes) -> None:
    """Each draw decodes with Pillow in its format, with sides of at most 64 pixels."""
    for data, fmt in ((png, "PNG"), (jpeg, "JPEG")):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == fmt
            assert max(image.size) <= 64


def test_binary_format_is_registered_with_schemathesis() -> None:
    """After registration schemathesis fills `format: binary` with real PNG or JPEG images."""
    register_image_strategies()
    strategy = formats.STRING_FORMATS["binary"]

    @settings(max_examples=10, deadline=None)
    @given(value=strategy)
    def drawn(value: Binary) -> None:
        with Image.open(io.BytesIO(value.data)) as image:
            assert image.format in {"PNG", "JPEG"}

    drawn()


def test_property_registry_holds_exactly_the_named_properties() -> None:
    """Every property is registered under its fixed name, titled by a one-sentence docstring."""
    assert set(PROPERTIES) == PROPERTY_NAMES
    for prop in PROPERTIES.values():
        assert prop.title.count(". ") == 0 and prop.title.endswith(".")
        assert '"' in prop.title  # it quotes the sentence it enforces
    assert PROPERTIES["same_seed_same_pixels"].profile == "strict"


def _descriptions(node: object) -> list[str]:
    """Every `description` in the spec, whitespace-normalised."""
    if isinstance(node, dict):
        own = (
            [" ".join(node["description"].split())]
            if isinstance(node.get("description"), str)
            else []
        )
        return own + [text for value in node.values() for text in _descriptions(value)]
    if isinstance(node, list):
        return [text for value in node for text in _descriptions(value)]
    return []


def test_property_titles_cite_what_the_spec_says() -> None:
    """Each title quotes a sentence of openapi.yaml, and the schema or field it names exists."""
    document = load_spec()
    descriptions = _descriptions(document)
    schemas = document["components"]["schemas"]
    for prop in PROPERTIES.values():
        cited = re.search(
            r'\("(?P<quote>[^"]+)", openapi\.yaml(?: (?P<name>[\w.]+))?\)\.$', prop.title
        )
        assert cited, prop.title
        assert any(cited["quote"] in text for text in descriptions), prop.name
        if cited["name"]:
            schema, _, field = cited["name"].partition(".")
            assert schema in schemas, prop.name
            assert not field or field in schemas[schema]["properties"], prop.name


def _exchange(path: str, params: dict, status: int, body: object) -> Exchange:
    return Exchange(OPS[path], params, None, status, body, fetch=lambda url, operation: b"")


def test_properties_judge_hand_written_answers() -> None:
    """Seeds, counts, nsfw and error bodies are judged from the answer as sent."""
    document = load_spec()
    media = [
        {"url": "data:,", "seed": 5, "nsfw": False},
        {"url": "data:,", "seed": 7, "nsfw": "no"},
    ]
    exchange = _exchange(
        "/text-to-image", {"seed": 5, "num_images_per_prompt": 3}, 200, {"images": media}
    )
    assert "expected seeds [5, 6]" in PROPERTIES["seeds_follow_request_seed"].check(
        exchange, document
    )
    assert "asked for 3" in PROPERTIES["images_count_matches_request"].check(exchange, document)
    assert "'no'" in PROPERTIES["nsfw_is_boolean"].check(exchange, document)
    refused = _exchange("/text-to-image", {}, 400, {"error": "bad"})
    assert "does not match" in PROPERTIES["error_statuses_have_declared_body"].check(
        refused, document
    )
    declared = _exchange(
        "/text-to-image", {}, 422, {"detail": [{"loc": ["body"], "msg": "m", "type": "t"}]}
    )
    assert PROPERTIES["error_statuses_have_declared_body"].check(declared, document) is None


def test_redaction_hides_the_token_and_any_bearer_value() -> None:
    """Both the known secret and whatever follows `Bearer` are replaced."""
    text = "curl -H 'Authorization: Bearer abc123' -d 'x' # token s3cret"
    redacted = redact(text, ["s3cret"])
    assert "abc123" not in redacted and "s3cret" not in redacted
    assert re.search(r"Authorization: Bearer \[redacted\]'", redacted)


def test_redaction_keeps_the_token_variable_a_reproducer_names() -> None:
    """`Bearer $LIVEPEER_GATEWAY_TOKEN` is no credential; any other word after `Bearer` is."""
    kept = [
        '-H "Authorization: Bearer $LIVEPEER_GATEWAY_TOKEN"',
        "Bearer ${LIVEPEER_GATEWAY_TOKEN}",
    ]
    assert [redact(text) for text in kept] == kept
    for text in ("Bearer $LIVEPEER_GATEWAY_TOKENS", "Bearer $OTHER", "Bearer ${X}"):
        assert redact(text) == "Bearer [redacted]", text


def test_budget_counts_and_stops() -> None:
    """A budget of 3 grants three requests, holds some back on request, and stops on silence."""
    budget = RequestBudget(3)
    with budget.holding_back(2):
        assert budget.try_spend() and not budget.try_spend()
    assert budget.try_spend() and budget.try_spend() and not budget.try_spend()
    assert budget.spent == 3
    silent = RequestBudget(100)
    for _ in range(3):
        silent.record_transport_failure()
    assert silent.exhausted and not silent.try_spend()

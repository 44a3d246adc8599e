"""`bound-has-source`: every constraint of a request schema says where it comes from."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_tools import lint_spec

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
RULE = "bound-has-source"

Document = dict[str, Any]


def _schema(document: Document, name: str) -> Document:
    return document["components"]["schemas"][name]


def _unsource_width_maximum(document: Document) -> None:
    del _schema(document, "TextToImageParams")["properties"]["width"]["x-source"]["maximum"]


def _unknown_kind(document: Document) -> None:
    strength = _schema(document, "ImageToImageParams")["properties"]["strength"]
    strength["x-source"]["minimum"] = {"folklore": "everyone knows"}


def _empty_text(document: Document) -> None:
    _schema(document, "Seed")["x-source"]["maximum"] = {"recommended": "  "}


def _two_kinds(document: Document) -> None:
    _schema(document, "UpscaleParams")["x-source"]["required"] = {
        "documented": "https://docs.livepeer.org/ai/api-reference/upscale: prompt string required",
        "recommended": "and also this",
    }


def _source_for_unused_keyword(document: Document) -> None:
    _schema(document, "Seed")["x-source"]["multipleOf"] = {"recommended": "no such bound"}


def _new_unsourced_bound(document: Document) -> None:
    _schema(document, "TextToImageParams")["properties"]["negative_prompt"]["maxLength"] = 500


@pytest.fixture(scope="module")
def spec_document() -> Document:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def _failing_lint(
    document: Document,
    breakage: Callable[[Document], None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> list[str]:
    """The lines lint prints for a copy of `document` broken by `breakage` (exit 1 asserted)."""
    broken = copy.deepcopy(document)
    breakage(broken)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    assert lint_spec.main([str(path)]) == 1
    return capsys.readouterr().out.splitlines()


def test_every_constraint_of_the_checkout_spec_has_a_source(spec_document: Document) -> None:
    assert [p for p in lint_spec.lint(spec_document) if p.rule == RULE] == []


@pytest.mark.parametrize(
    ("breakage", "location", "words"),
    [
        (
            _unsource_width_maximum,
            "/components/schemas/TextToImageParams/properties/width",
            "maximum",
        ),
        (
            _unknown_kind,
            "/components/schemas/ImageToImageParams/properties/strength/x-source",
            "kind",
        ),
        (_empty_text, "/components/schemas/Seed/x-source", "non-empty"),
        (_two_kinds, "/components/schemas/UpscaleParams/x-source", "one {kind: text} pair"),
        (_source_for_unused_keyword, "/components/schemas/Seed/x-source", "multipleOf"),
        (
            _new_unsourced_bound,
            "/components/schemas/TextToImageParams/properties/negative_prompt",
            "maxLength has no source",
        ),
    ],
)
def test_a_missing_or_malformed_source_fails_the_lint(
    spec_document: Document,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breakage: Callable[[Document], None],
    location: str,
    words: str,
) -> None:
    lines = _failing_lint(spec_document, breakage, tmp_path, capsys)
    hits = [line for line in lines if f": {RULE}: {location}: " in line]
    assert hits and words in hits[0], lines


COVERS = "documented-source-covers"


def _require_width(document: Document) -> None:
    """`width` made required; the documented source still quotes only the prompt's sentence."""
    _schema(document, "TextToImageParams")["required"].append("width")


def _reword_strength(document: Document) -> None:
    """strength's bounds cite a sentence that is no longer its description and names no field."""
    _schema(document, "ImageToImageParams")["properties"]["strength"]["description"] = "How much."


def _cite_another_field(document: Document) -> None:
    """A bound on `width` cited with the sentence the page gives for `height`."""
    width = _schema(document, "TextToImageParams")["properties"]["width"]
    width["x-source"]["maximum"] = {
        "documented": "https://docs.livepeer.org/ai/api-reference/text-to-image: The height in"
        " pixels of the generated image."
    }


def test_every_documented_source_of_the_checkout_spec_covers_its_constraint(
    spec_document: Document,
) -> None:
    assert [p for p in lint_spec.lint(spec_document) if p.rule == COVERS] == []


@pytest.mark.parametrize(
    ("breakage", "locations", "field"),
    [
        (_require_width, ["/components/schemas/TextToImageParams/x-source/required"], "'width'"),
        (
            _reword_strength,
            [
                "/components/schemas/ImageToImageParams/properties/strength/x-source/minimum",
                "/components/schemas/ImageToImageParams/properties/strength/x-source/maximum",
            ],
            "'strength'",
        ),
        (
            _cite_another_field,
            ["/components/schemas/TextToImageParams/properties/width/x-source/maximum"],
            "'width'",
        ),
    ],
    ids=["required-field-not-named", "sentence-not-the-fields", "another-fields-sentence"],
)
def test_a_documented_source_that_does_not_cover_its_constraint_fails(
    spec_document: Document,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    breakage: Callable[[Document], None],
    locations: list[str],
    field: str,
) -> None:
    lines = _failing_lint(spec_document, breakage, tmp_path, capsys)
    lines = [line for line in lines if f": {COVERS}: " in line]
    assert [line.split(": ")[2] for line in lines] == locations, lines
    assert all(f"names no {field}" in line for line in lines), lines


def test_a_documented_source_that_cites_no_public_page_fails(
    spec_document: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page named by a local file, not by its URL on the docs site, is no citation."""

    def cite_a_file(document: Document) -> None:
        strength = _schema(document, "ImageToImageParams")["properties"]["strength"]
        strength["x-source"]["maximum"] = {
            "documented": "001_075d078fee857981.txt: Degree of transformation applied to the"
            " reference image (0 to 1)."
        }

    lines = _failing_lint(spec_document, cite_a_file, tmp_path, capsys)
    (line,) = [line for line in lines if f": {COVERS}: " in line]
    assert (
        "strength/x-source/maximum" in line
        and "cites no page of https://docs.livepeer.org/" in line
    )

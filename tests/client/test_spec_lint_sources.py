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
        "documented": "004_821cf0ba63eebc7b.txt: prompt string required",
        "recommended": "and also this",
    }


def _source_for_unused_keyword(document: Document) -> None:
    _schema(document, "Seed")["x-source"]["multipleOf"] = {"recommended": "no such bound"}


def _new_unsourced_bound(document: Document) -> None:
    _schema(document, "TextToImageParams")["properties"]["negative_prompt"]["maxLength"] = 500


@pytest.fixture(scope="module")
def spec_document() -> Document:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


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
    broken = copy.deepcopy(spec_document)
    breakage(broken)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")

    assert lint_spec.main([str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    hits = [line for line in lines if f": {RULE}: {location}: " in line]
    assert hits and words in hits[0], lines

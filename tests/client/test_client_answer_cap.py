"""The client's default size cap is the largest answer the spec allows, derived, not typed in."""

from __future__ import annotations

import copy
import io
import random

import pytest
from livepeer_gateway_client import client as generated_client
from livepeer_gateway_spec import SpecError, largest_answer_bytes, load_spec
from livepeer_gateway_spec.answers import data_url_bytes, largest_png_bytes, largest_value
from PIL import Image


def test_generated_default_is_the_specs_largest_answer() -> None:
    assert generated_client.DEFAULT_MAX_ANSWER_BYTES == largest_answer_bytes(load_spec())


@pytest.mark.parametrize("level", [0, 9])
def test_incompressible_png_fits_its_bound(level: int) -> None:
    """Noise pixels, stored or squeezed hardest, never exceed the bound (the worst encodings)."""
    side = 256
    pixels = random.Random(level).randbytes(side * side * 4)
    buffer = io.BytesIO()
    Image.frombytes("RGBA", (side, side), pixels).save(buffer, "PNG", compress_level=level)
    assert side * side * 4 < len(buffer.getvalue()) <= largest_png_bytes(side, side)


def test_the_cap_follows_the_specs_bounds() -> None:
    """Half the images, about half the answer: the cap moves with the spec, not by hand."""
    document = load_spec()
    most_images = largest_value(document, "num_images_per_prompt")
    halved = copy.deepcopy(document)
    for schema in halved["components"]["schemas"].values():
        batch = schema.get("properties", {}).get("num_images_per_prompt")
        if batch is not None:
            batch["maximum"] = most_images // 2
    full, half = largest_answer_bytes(document), largest_answer_bytes(halved)
    one_image = data_url_bytes(
        largest_png_bytes(largest_value(document, "width"), largest_value(document, "height"))
    )
    assert abs(full - 2 * half) < 1024
    assert half >= (most_images // 2) * one_image


def test_a_spec_without_size_bounds_is_refused() -> None:
    document = copy.deepcopy(load_spec())
    for schema in document["components"]["schemas"].values():
        schema.get("properties", {}).get("width", {}).pop("maximum", None)
    with pytest.raises(SpecError, match="no request declares a maximum for 'width'"):
        largest_answer_bytes(document)

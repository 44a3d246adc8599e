"""Whatever a client sends, the answer is a declared status with its declared body, never 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from livepeer_conformance.strategies import encode_image
from livepeer_gateway_spec import inline_refs, load_spec, response_schema
from livepeer_reference_gateway import GatewaySettings, running_gateway

SPEC = load_spec()
FIELDS = [
    "prompt",
    "width",
    "height",
    "seed",
    "num_images_per_prompt",
    "strength",
    "safety_check",
    "guidance_scale",
]


def _tiny_png() -> bytes:
    return encode_image(3, 2, (0, 0, 0), "PNG")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
json_bodies = (
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6)
    | json_values
)
form_text = st.one_of(
    st.text(max_size=12),
    st.integers(-5, 3000).map(str),
    st.sampled_from(["true", "False", "nan", "inf", "1e3", " 7 ", ""]),
)
form_fields = st.dictionaries(
    st.sampled_from([*FIELDS, "model_id", "extra"]), form_text, max_size=6
)
image_parts = st.one_of(
    st.just(_tiny_png()),
    st.binary(max_size=64),
    st.binary(max_size=64).map(lambda tail: _tiny_png()[:30] + tail),
    st.none(),
)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with (
        running_gateway(GatewaySettings()) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def _assert_declared(path: str, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    schema = response_schema(SPEC, path, response.status_code)
    assert schema is not None, f"undeclared {response.status_code}"
    Draft202012Validator(inline_refs(SPEC, schema)).validate(response.json())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_bodies)
def test_any_json_body_gets_a_declared_answer(http: httpx.Client, body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("width"), int):
        body["width"] = min(body["width"], 256)  # keep generated images cheap, not fewer cases
    _assert_declared("/text-to-image", http.post("/text-to-image", json=body))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=form_fields, image=image_parts, path=st.sampled_from(["/image-to-image", "/upscale"]))
def test_any_multipart_body_gets_a_declared_answer(
    http: httpx.Client, fields: dict[str, str], image: bytes | None, path: str
) -> None:
    files = {"image": ("in.png", image, "image/png")} if image is not None else {"_": (None, "")}
    _assert_declared(path, http.post(path, data=fields, files=files))


#: Past Python's 4300-digit limit, so `int()` and `json.loads` refuse it with ValueError.
HUGE_INTEGER = "9" * 5000


def test_huge_integer_in_a_multipart_field_is_a_422(http: httpx.Client) -> None:
    files = {"image": ("in.png", _tiny_png(), "image/png")}
    response = http.post("/image-to-image", data={"prompt": "p", "seed": HUGE_INTEGER}, files=files)
    _assert_declared("/image-to-image", response)
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [
        (["body", "seed"], "int_parsing")
    ]


def test_huge_integer_in_a_json_body_is_a_422(http: httpx.Client) -> None:
    body = f'{{"prompt": "p", "seed": {HUGE_INTEGER}}}'
    response = http.post(
        "/text-to-image", content=body, headers={"content-type": "application/json"}
    )
    _assert_declared("/text-to-image", response)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"

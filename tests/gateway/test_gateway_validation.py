"""Validation read from `openapi.yaml`: 422 entries, 400 for the prompt and bad images, no 5xx."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, inline_refs, load_spec, response_schema
from livepeer_reference_gateway import GatewaySettings, running_gateway
from livepeer_reference_gateway.errors import SettingsError

MakeImage = Callable[..., bytes]
SPEC = load_spec()


def _assert_declared(path: str, response: httpx.Response) -> None:
    """The response's status is declared for `path` and its body matches the declared schema."""
    schema = response_schema(SPEC, path, response.status_code)
    assert schema is not None, f"{response.status_code} is not declared for {path}"
    assert response.headers["content-type"] == "application/json"
    Draft202012Validator(inline_refs(SPEC, schema)).validate(response.json())


def _entries(response: httpx.Response) -> set[tuple[str, str]]:
    return {(tuple(e["loc"])[-1], e["type"]) for e in response.json()["detail"]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {("prompt", "missing")}),
        ({"prompt": "p", "width": 63}, {("width", "greater_than_equal"), ("width", "multiple_of")}),
        ({"prompt": "p", "height": 2056}, {("height", "less_than_equal")}),
        (
            {"prompt": "p", "num_images_per_prompt": 5},
            {("num_images_per_prompt", "less_than_equal")},
        ),
        ({"prompt": "p", "guidance_scale": -0.5}, {("guidance_scale", "greater_than_equal")}),
        ({"prompt": "p", "seed": 2**32}, {("seed", "less_than_equal")}),
        ({"prompt": "p", "seed": "1"}, {("seed", "int_type")}),
        ({"prompt": "p", "safety_check": "yes"}, {("safety_check", "bool_type")}),
        ({"prompt": "p", "width": True}, {("width", "int_type")}),
    ],
)
def test_invalid_json_fields_get_one_422_entry_each(
    client: httpx.Client, body: dict[str, object], expected: set[tuple[str, str]]
) -> None:
    response = client.post("/text-to-image", json=body)
    assert response.status_code == 422
    _assert_declared("/text-to-image", response)
    assert _entries(response) == expected
    assert all(e["loc"][0] == "body" for e in response.json()["detail"])


@pytest.mark.parametrize("prompt", ["", 12])
def test_prompt_breaking_its_schema_gets_400_from_x_invalid_status(
    client: httpx.Client, prompt: object
) -> None:
    response = client.post("/text-to-image", json={"prompt": prompt})
    assert response.status_code == 400
    _assert_declared("/text-to-image", response)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"prompt"', "application/json"),
        (b'{"prompt": "p", "guidance_scale": NaN}', "application/json"),
        (b'{"prompt": "p"}', "text/plain"),
        (b'{"prompt": "p"}', None),
        (b"[" * 100_000, "application/json"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_malformed_or_mislabelled_json_gets_422(
    client: httpx.Client, content: bytes, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/text-to-image", content=content, headers=headers)
    assert response.status_code == 422
    _assert_declared("/text-to-image", response)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"seed": "abc"}, {("seed", "int_parsing")}),
        ({"strength": "1.5"}, {("strength", "less_than_equal")}),
        ({"strength": "nan"}, {("strength", "float_parsing")}),
        # Numbers follow JSON's grammar: ASCII digits, no underscores, signs or padding.
        ({"seed": "\u0665"}, {("seed", "int_parsing")}),  # an Arabic-Indic five
        ({"seed": " 7 "}, {("seed", "int_parsing")}),
        ({"seed": "+7"}, {("seed", "int_parsing")}),
        ({"seed": "007"}, {("seed", "int_parsing")}),
        ({"seed": "1_000"}, {("seed", "int_parsing")}),
        ({"strength": "0.5_0"}, {("strength", "float_parsing")}),
        ({"strength": " 0.5"}, {("strength", "float_parsing")}),
        ({"strength": ".5"}, {("strength", "float_parsing")}),
        ({"strength": "0.\u0665"}, {("strength", "float_parsing")}),
        ({"safety_check": "yes"}, {("safety_check", "bool_parsing")}),
        ({"num_images_per_prompt": "0"}, {("num_images_per_prompt", "greater_than_equal")}),
    ],
)
def test_multipart_fields_are_coerced_to_their_declared_types(
    client: httpx.Client,
    make_image: MakeImage,
    data: dict[str, str],
    expected: set[tuple[str, str]],
) -> None:
    files = {"image": ("in.png", make_image(8, 8), "image/png")}
    response = client.post("/image-to-image", files=files, data={"prompt": "p", **data})
    assert response.status_code == 422
    _assert_declared("/image-to-image", response)
    assert _entries(response) == expected


@pytest.mark.parametrize(
    ("seed", "strength"), [("0", "0"), ("7", "0.5"), ("4294967295", "1e-1"), ("12", "5E-1")]
)
def test_multipart_numbers_in_json_syntax_are_accepted(
    client: httpx.Client, make_image: MakeImage, seed: str, strength: str
) -> None:
    files = {"image": ("in.png", make_image(8, 8), "image/png")}
    data = {"prompt": "p", "seed": seed, "strength": strength}
    response = client.post("/image-to-image", files=files, data=data)
    assert response.status_code == 200, response.text
    assert response.json()["images"][0]["seed"] == int(seed)


@pytest.mark.parametrize("flag", ["true", "false", "True", "False"])
def test_multipart_booleans_accept_both_spellings(
    client: httpx.Client, make_image: MakeImage, flag: str
) -> None:
    files = {"image": ("in.png", make_image(8, 8), "image/png")}
    data = {"prompt": "[nsfw]", "safety_check": flag}
    response = client.post("/upscale", files=files, data=data)
    assert response.status_code == 200
    assert response.json()["images"][0]["nsfw"] is (flag.lower() == "true")


def test_multipart_missing_image_and_prompt_are_422_missing(client: httpx.Client) -> None:
    response = client.post("/upscale", files={"seed": (None, "1")})
    assert response.status_code == 422
    assert _entries(response) == {("prompt", "missing"), ("image", "missing")}


@pytest.mark.parametrize(
    "content",
    [b"garbage", b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n"],
)
def test_malformed_multipart_gets_422(client: httpx.Client, content: bytes) -> None:
    headers = {"content-type": "multipart/form-data; boundary=b"}
    response = client.post("/upscale", content=content, headers=headers)
    assert response.status_code == 422
    _assert_declared("/upscale", response)


def test_json_sent_to_a_multipart_operation_gets_422(client: httpx.Client) -> None:
    response = client.post("/image-to-image", json={"prompt": "p"})
    assert response.status_code == 422
    _assert_declared("/image-to-image", response)


@pytest.mark.parametrize("payload", [b"not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b""])
@pytest.mark.parametrize("path", ["/image-to-image", "/upscale"])
def test_image_that_does_not_decode_gets_400(
    client: httpx.Client, path: str, payload: bytes
) -> None:
    response = client.post(
        path, files={"image": ("x.png", payload, "image/png")}, data={"prompt": "p"}
    )
    assert response.status_code == 400
    _assert_declared(path, response)


def test_undeclared_method_gets_405_with_allow_and_unknown_path_404(client: httpx.Client) -> None:
    response = client.get("/text-to-image")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert client.post("/no-such-pipeline", json={}).status_code == 404


def test_bounds_are_read_from_the_spec_not_from_code(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    width = document["components"]["schemas"]["TextToImageParams"]["properties"]["width"]
    width["maximum"] = 128
    spec = tmp_path / "narrow.yaml"
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    with running_gateway(GatewaySettings(spec_path=spec)) as url:
        body = {"prompt": "p", "width": 136, "height": 64}
        response = httpx.post(f"{url}/text-to-image", json=body)
        assert response.status_code == 422
        assert _entries(response) == {("width", "less_than_equal")}
        assert httpx.post(f"{url}/text-to-image", json={**body, "width": 128}).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"media_urls": "ftp"},
        {"max_upload_bytes": 0},
        {"max_image_pixels": -1},
        {"max_inflight_body_bytes": 0},
        {"public_url": "gateway.example"},
    ],
)
def test_settings_refuse_nonsense(changes: dict[str, object]) -> None:
    with pytest.raises(SettingsError):
        GatewaySettings(**changes)  # type: ignore[arg-type]


def test_repeated_single_valued_fields_are_an_array_where_one_value_is_declared(
    client: httpx.Client, make_image: MakeImage
) -> None:
    png = make_image(4, 4)
    parts = [
        ("seed", (None, "1")),
        ("seed", (None, "2")),
        ("prompt", (None, "p")),
        ("image", ("a.png", png, "image/png")),
        ("image", ("b.png", png, "image/png")),
        ("undeclared", (None, "1")),
        ("undeclared", (None, "2")),
    ]
    response = client.post("/upscale", files=parts)
    assert response.status_code == 422
    assert _entries(response) == {("seed", "int_type"), ("image", "string_type")}


def test_repeated_prompt_breaks_its_schema_and_gets_its_own_status(
    client: httpx.Client, make_image: MakeImage
) -> None:
    parts = [
        ("prompt", (None, "a")),
        ("prompt", (None, "b")),
        ("image", ("a.png", make_image(4, 4), "image/png")),
    ]
    response = client.post("/upscale", files=parts)
    assert response.status_code == 400
    _assert_declared("/upscale", response)

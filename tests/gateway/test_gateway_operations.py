"""The three operations behave as Livepeer's runners do: sizes, counts, seeds, nsfw, URLs."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from livepeer_gateway_spec import DEFAULT_SPEC_PATH, load_spec, request_body, served_operations
from livepeer_reference_gateway import GatewaySettings, running_gateway
from livepeer_reference_gateway.media import MediaStore
from PIL import Image

Decode = Callable[..., Image.Image]
MakeImage = Callable[..., bytes]


def _text_to_image(client: httpx.Client, **body: object) -> httpx.Response:
    return client.post("/text-to-image", json={"prompt": "a lighthouse", **body})


@pytest.mark.parametrize(("width", "height", "count"), [(64, 64, 1), (128, 72, 3), (64, 200, 4)])
def test_text_to_image_returns_count_images_of_requested_size(
    client: httpx.Client, decode: Decode, width: int, height: int, count: int
) -> None:
    response = _text_to_image(
        client, width=width, height=height, num_images_per_prompt=count, seed=10
    )
    assert response.status_code == 200
    images = response.json()["images"]
    assert len(images) == count
    assert [decode(m["url"]).size for m in images] == [(width, height)] * count
    assert [m["seed"] for m in images] == [10 + i for i in range(count)]
    assert all(m["nsfw"] is False for m in images)


def test_text_to_image_defaults_come_from_the_spec(client: httpx.Client, decode: Decode) -> None:
    _, schema = request_body(load_spec(), "/text-to-image")
    expected = (schema["properties"]["width"]["default"], schema["properties"]["height"]["default"])
    response = _text_to_image(client)
    assert response.status_code == 200
    images = response.json()["images"]
    assert len(images) == schema["properties"]["num_images_per_prompt"]["default"]
    assert decode(images[0]["url"]).size == expected


def test_same_seed_gives_same_pixels_and_other_seed_differs(
    client: httpx.Client, decode: Decode
) -> None:
    def pixels(seed: int, prompt: str = "p") -> bytes:
        body = {"prompt": prompt, "width": 64, "height": 64, "seed": seed}
        return decode(client.post("/text-to-image", json=body).json()["images"][0]["url"]).tobytes()

    assert pixels(5) == pixels(5)
    assert pixels(5) != pixels(6)
    assert pixels(5, "p") != pixels(5, "q")


def test_batch_image_i_equals_single_image_with_seed_plus_i(
    client: httpx.Client, decode: Decode
) -> None:
    batch = _text_to_image(client, width=64, height=64, seed=40, num_images_per_prompt=3).json()
    single = _text_to_image(client, width=64, height=64, seed=42).json()
    assert (
        decode(batch["images"][2]["url"]).tobytes() == decode(single["images"][0]["url"]).tobytes()
    )


def test_seeds_without_seed_are_consecutive_from_a_random_base(client: httpx.Client) -> None:
    bases = set()
    for _ in range(3):
        seeds = [
            m["seed"]
            for m in _text_to_image(client, width=64, height=64, num_images_per_prompt=2).json()[
                "images"
            ]
        ]
        assert seeds[1] == seeds[0] + 1
        bases.add(seeds[0])
    assert len(bases) > 1


@pytest.mark.parametrize(
    ("prompt", "safety_check", "flagged"),
    [("calm [NSFW] sea", True, True), ("calm [nsfw] sea", False, False), ("calm sea", True, False)],
)
def test_nsfw_marker_flags_only_with_safety_check(
    client: httpx.Client, prompt: str, safety_check: bool, flagged: bool
) -> None:
    body = {"width": 64, "height": 64, "safety_check": safety_check, "prompt": prompt}
    media = client.post("/text-to-image", json=body).json()["images"]
    assert [m["nsfw"] for m in media] == [flagged]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_image_to_image_keeps_input_size(
    client: httpx.Client, decode: Decode, make_image: MakeImage, fmt: str
) -> None:
    files = {"image": (f"in.{fmt.lower()}", make_image(40, 24, fmt), f"image/{fmt.lower()}")}
    data = {"prompt": "watercolour", "num_images_per_prompt": "2", "seed": "7"}
    response = client.post("/image-to-image", files=files, data=data)
    assert response.status_code == 200
    images = response.json()["images"]
    assert [decode(m["url"]).size for m in images] == [(40, 24), (40, 24)]
    assert [m["seed"] for m in images] == [7, 8]


def test_image_to_image_depends_on_the_input(
    client: httpx.Client, decode: Decode, make_image: MakeImage
) -> None:
    def first_pixels(color: tuple[int, int, int]) -> bytes:
        files = {"image": ("in.png", make_image(16, 16, "PNG", color), "image/png")}
        media = client.post(
            "/image-to-image", files=files, data={"prompt": "p", "seed": "1"}
        ).json()
        return decode(media["images"][0]["url"]).tobytes()

    assert first_pixels((0, 0, 0)) != first_pixels((255, 255, 255))


def test_upscale_returns_one_image_its_declared_factor_times_the_input(
    client: httpx.Client, decode: Decode, make_image: MakeImage
) -> None:
    factor = served_operations(load_spec())["/upscale"].upscale_factor
    files = {"image": ("in.png", make_image(30, 17), "image/png")}
    response = client.post("/upscale", files=files, data={"prompt": "sharper", "seed": "3"})
    assert response.status_code == 200
    images = response.json()["images"]
    assert len(images) == 1
    assert decode(images[0]["url"]).size == (30 * factor, 17 * factor)
    assert images[0]["seed"] == 3


def _spec_copy(tmp_path: Path, change: Callable[[dict[str, object]], None]) -> Path:
    document = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_upscale_factor_and_operations_are_read_from_the_spec(
    tmp_path: Path, decode: Decode, make_image: MakeImage
) -> None:
    """Served from a copy declaring a factor of 3 and a second upscale at 2: both as declared."""

    def change(document: dict[str, object]) -> None:
        paths = document["paths"]
        assert isinstance(paths, dict)
        paths["/upscale"]["post"]["x-upscale-factor"] = 3
        twice = copy.deepcopy(paths["/upscale"])
        twice["post"].update({"operationId": "upscaleTwice", "x-upscale-factor": 2})
        paths["/upscale-twice"] = twice

    spec = _spec_copy(tmp_path, change)
    with running_gateway(GatewaySettings(spec_path=spec)) as url:
        sizes = {}
        for path in ("/upscale", "/upscale-twice"):
            files = {"image": ("in.png", make_image(10, 6), "image/png")}
            response = httpx.post(f"{url}{path}", files=files, data={"prompt": "p"})
            assert response.status_code == 200, response.text
            sizes[path] = decode(response.json()["images"][0]["url"]).size
    assert sizes == {"/upscale": (30, 18), "/upscale-twice": (20, 12)}


def test_http_media_urls_are_served_by_the_gateway(decode: Decode) -> None:
    with (
        running_gateway(GatewaySettings(media_urls="http")) as url,
        httpx.Client(base_url=url) as http,
    ):
        body = {"prompt": "p", "width": 64, "height": 72, "num_images_per_prompt": 2}
        media = http.post("/text-to-image", json=body).json()["images"]
        assert all(m["url"].startswith(f"{url}/media/") for m in media)
        assert [decode(m["url"], http).size for m in media] == [(64, 72)] * 2
        missing = http.get("/media/unknown.png")
        assert missing.status_code == 404
        assert missing.json() == {"detail": {"msg": "no such media, or it expired"}}
        # The Host header a client sends never becomes part of a URL given to others.
        spoofed = http.post("/text-to-image", json=body, headers={"Host": "evil.example"})
        assert all(m["url"].startswith(f"{url}/media/") for m in spoofed.json()["images"])


def test_http_media_urls_use_the_configured_public_url() -> None:
    public = "https://gateway.example/ai"
    settings = GatewaySettings(media_urls="http", public_url=public + "/")
    with running_gateway(settings) as url, httpx.Client(base_url=url) as http:
        body = {"prompt": "p", "width": 64, "height": 64}
        media = http.post("/text-to-image", json=body, headers={"Host": "evil.example"})
        [image] = media.json()["images"]
        assert image["url"].startswith(f"{public}/media/")
        # The same path, asked of the gateway itself, serves the image.
        assert http.get(image["url"].removeprefix(public)).status_code == 200


def test_media_store_drops_expired_and_over_bound_items() -> None:
    """The store's clock is injected so expiry is checked without waiting."""
    now = [0.0]
    store = MediaStore(ttl_seconds=10, max_items=2, max_bytes=100, clock=lambda: now[0])
    first = store.put(b"a" * 10)
    assert store.get(first) == b"a" * 10
    now[0] = 10.5
    assert store.get(first) is None
    kept = [store.put(bytes([i]) * 10) for i in range(3)]
    assert store.get(kept[0]) is None and store.get(kept[2]) is not None
    big = store.put(b"x" * 95)
    assert store.get(kept[2]) is None and store.get(big) is not None
    assert len(store) == 1


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("I;16", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("1", "PNG"),
        ("CMYK", "JPEG"),
        ("L", "JPEG"),
        ("RGBA", "WEBP"),
    ],
)
def test_uploads_in_any_mode_of_the_declared_formats_are_served(
    client: httpx.Client, decode: Decode, mode: str, fmt: str
) -> None:
    buffer = io.BytesIO()
    Image.new(mode, (12, 10)).save(buffer, format=fmt)
    files = {"image": ("in", buffer.getvalue(), f"image/{fmt.lower()}")}
    response = client.post("/upscale", files=files, data={"prompt": "p"})
    assert response.status_code == 200
    assert decode(response.json()["images"][0]["url"]).size == (48, 40)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_uploads_in_undeclared_formats_get_400(client: httpx.Client, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 10)).save(buffer, format=fmt)
    files = {"image": ("in", buffer.getvalue(), "application/octet-stream")}
    response = client.post("/image-to-image", files=files, data={"prompt": "p"})
    assert response.status_code == 400
    assert response.json() == {"detail": {"msg": "the image cannot be decoded"}}

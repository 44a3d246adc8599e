"""Every registered fault changes what the gateway observably answers, and only through settings."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from livepeer_conformance.arguments import check_names
from livepeer_reference_gateway import GatewaySettings, create_app, running_gateway
from livepeer_reference_gateway.faults import FAULTS
from PIL import Image

TOKEN = "fault-token-91d4"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: The checks a fault may name: every check a run can report, as the suite registers them.
CHECK_NAMES = check_names()
FIXED_NAMES = {
    "media_field_missing",
    "accepts_missing_prompt",
    "auth_not_enforced",
    "images_per_prompt_ignored",
    "upscale_not_4x",
    "slow_response",
    "server_error_on_bad_image",
}
#: Probe timeout, well under the slow fault's delay here.
PROBE_TIMEOUT = 2.0
FAULT_DELAY = 4.0


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Probe:
    """One request, described so its answer can be compared between two gateways."""

    name: str
    send: Callable[[httpx.Client], httpx.Response]


def _t2i(
    body: dict[str, object], headers: dict[str, str] = AUTH
) -> Callable[[httpx.Client], httpx.Response]:
    return lambda http: http.post("/text-to-image", json=body, headers=headers)


def _multipart(path: str, image: bytes, **data: str) -> Callable[[httpx.Client], httpx.Response]:
    files = {"image": ("in.png", image, "image/png")}
    return lambda http: http.post(path, files=files, data={"prompt": "p", **data}, headers=AUTH)


SMALL = {"prompt": "p", "width": 64, "height": 64, "seed": 7}
VALID = {"prompt": "p", "width": 64, "height": 128, "seed": 5, "num_images_per_prompt": 2}
PROBES = (
    Probe("text-to-image valid", _t2i(VALID)),
    Probe("text-to-image valid again", _t2i(VALID)),
    Probe("no token", _t2i(VALID, {})),
    Probe("wrong token", _t2i(VALID, {"Authorization": "Bearer nope"})),
    Probe("missing prompt", _t2i({"width": 64, "height": 64})),
    Probe("out of range", _t2i({"prompt": "p", "width": 64, "height": 64, "guidance_scale": 25})),
    Probe("wrong type", _t2i({"prompt": "p", "width": 64, "height": 64, "seed": "x"})),
    Probe("empty prompt", _t2i({"prompt": "", "width": 64, "height": 64})),
    Probe(
        "image-to-image valid",
        _multipart("/image-to-image", _png(24, 16), seed="3", num_images_per_prompt="2"),
    ),
    Probe("upscale valid", _multipart("/upscale", _png(16, 8), seed="4")),
    Probe("upscale not an image", _multipart("/upscale", b"not an image")),
    # the edge probes' families
    Probe("zero images", _t2i({**SMALL, "num_images_per_prompt": 0})),
    Probe("seed 0", _t2i({**SMALL, "seed": 0})),
    Probe("seed 2**31", _t2i({**SMALL, "seed": 2**31})),
    Probe("loras not an object", _t2i({**SMALL, "loras": "[]"})),
    Probe("prompt only |", _t2i({**SMALL, "prompt": "|"})),
    Probe("most steps", _t2i({**SMALL, "num_inference_steps": 150})),
    Probe("largest batch", _t2i({**SMALL, "num_images_per_prompt": 4})),
    Probe(
        "upscale without its image",
        lambda http: http.post("/upscale", files={"prompt": (None, "p")}, headers=AUTH),
    ),
    Probe(
        "multipart without boundary",
        lambda http: http.post(
            "/upscale",
            content=b"--b\r\nContent-Disposition: form-data; name=prompt\r\n\r\np\r\n--b--\r\n",
            headers={**AUTH, "Content-Type": "multipart/form-data"},
        ),
    ),
)

Observation = tuple[object, ...]


def _observe(http: httpx.Client, probe: Probe) -> Observation:
    try:
        response = probe.send(http)
    except httpx.TimeoutException:
        return ("timeout",)
    headers = response.headers
    return (
        response.status_code,
        headers.get("content-type"),
        headers.get("www-authenticate"),
        response.content,
    )


def _first_difference(url: str, expected: dict[str, Observation]) -> str | None:
    with httpx.Client(base_url=url, timeout=PROBE_TIMEOUT) as http:
        for probe in PROBES:
            if _observe(http, probe) != expected[probe.name]:
                return probe.name
    return None


@pytest.fixture(scope="module")
def clean_answers() -> Iterator[dict[str, Observation]]:
    """The clean gateway's answer to every probe (checked to be deterministic)."""
    with (
        running_gateway(GatewaySettings(token=TOKEN)) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        answers = {probe.name: _observe(http, probe) for probe in PROBES}
        again = {probe.name: _observe(http, probe) for probe in PROBES}
    assert answers == again
    assert answers["text-to-image valid"][0] == 200 and answers["no token"][0] == 401
    yield answers


@pytest.mark.parametrize("name", sorted(n for n, f in FAULTS.items() if not f.conformant))
def test_fault_changes_an_observable_answer(
    name: str, clean_answers: dict[str, Observation]
) -> None:
    settings = GatewaySettings(
        token=TOKEN, faults=frozenset({name}), fault_delay_seconds=FAULT_DELAY
    )
    with running_gateway(settings) as url:
        assert _first_difference(url, clean_answers) is not None, (
            f"{name} changes no probe's answer"
        )


def test_registry_is_complete_and_well_formed() -> None:
    assert len(FAULTS) >= 25
    assert FIXED_NAMES <= FAULTS.keys()
    for name, fault in FAULTS.items():
        assert fault.name == name
        assert fault.description and "\n" not in fault.description
        # A conformant variant is detected by nothing: the suite must stay quiet on it.
        assert bool(fault.detected_by) != fault.conformant, name
        assert fault.detected_by <= CHECK_NAMES, name
    categories = {fault.category for fault in FAULTS.values()}
    assert categories == {
        "response shape",
        "status codes",
        "content type",
        "auth",
        "semantics",
        "robustness",
    }


def test_unknown_fault_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        create_app(GatewaySettings(faults=frozenset({"no_such_fault"})))


LAX_READINGS = [
    ({"width": "64"}, 200),  # a numeric string read as its integer
    ({"seed": "7"}, 200),
    ({"num_images_per_prompt": True}, 200),  # pydantic's lax mode reads true as 1
    ({"safety_check": "true"}, 200),
    ({"guidance_scale": "7.5"}, 200),
    ({"width": "64.5"}, 422),  # no lossless reading: refused as the clean gateway refuses it
    ({"guidance_scale": "nan"}, 422),  # read as a number, but not a finite one
    ({"prompt": 5}, 400),  # pydantic does not read a number as a string
]


@pytest.mark.parametrize(("change", "status"), LAX_READINGS)
def test_lax_json_types_reads_what_pydantic_reads(change: dict[str, object], status: int) -> None:
    """The conformant variant the suite must stay quiet on: the clean gateway refuses each of
    these mistyped values, the lax one serves the ones pydantic's lax mode reads."""
    body = {**SMALL, **change}
    answers = []
    for faults in (frozenset(), frozenset({"lax_json_types"})):
        with (
            running_gateway(GatewaySettings(token=TOKEN, faults=faults)) as url,
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            answers.append(http.post("/text-to-image", json=body, headers=AUTH).status_code)
    clean, lax = answers
    assert clean in (400, 422)
    assert lax == status


def _closed_after(url: str, body: bytes) -> tuple[int, bool, bool]:
    """(status, whether the answer said `Connection: close`, whether the gateway then closed
    the connection) for one keep-alive request sent on a raw socket."""
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /text-to-image HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, "the gateway closed the connection before its answer's head"
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        while len(rest) < length:
            chunk = sock.recv(65536)
            assert chunk, "the gateway closed the connection before its answer's body"
            rest += chunk
        sock.settimeout(1.0)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    status = int(head.split(b" ")[1])
    return status, b"connection: close" in head.lower(), closed


@pytest.mark.parametrize(("body", "status"), [(b'{"prompt": ""}', 400), (b"{", 422)])
def test_closes_after_errors_closes_without_saying(body: bytes, status: int) -> None:
    """The conformant variant closes the connection after an error answer, unannounced; the
    clean gateway keeps it open; a valid request keeps it open on both."""
    valid = b'{"prompt": "p", "width": 64, "height": 64}'
    seen = {}
    for faults in (frozenset(), frozenset({"closes_after_errors"})):
        with running_gateway(GatewaySettings(token=TOKEN, faults=faults)) as url:
            seen[faults] = (_closed_after(url, body), _closed_after(url, valid))
    assert seen[frozenset()] == ((status, False, False), (200, False, False))
    assert seen[frozenset({"closes_after_errors"})] == ((status, False, True), (200, False, False))

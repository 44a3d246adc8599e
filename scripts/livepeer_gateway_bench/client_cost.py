"""Client-side cost per call: the generated client and the official SDK against raw httpx.

All three send the same request to the same loopback server, a separate process that answers a
fixed valid ImageResponse without looking at the request, so that what differs between the
columns is the client's own work: building the body, encoding it, parsing the answer.
"""

from __future__ import annotations

import io
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec.cli import OneLineParser

from livepeer_gateway_bench.common import Section, Spread

BLOCKS = 8
CALLS_PER_BLOCK = 250
WARMUP_CALLS = 100
COLD_RUNS = 5
IMAGE_SIDE = 256
TOKEN = "bench-token"
TARGETS = {"text-to-image": 1.05, "image-to-image": 1.05}
FIXED_RESPONSE = json.dumps(
    {"images": [{"url": "https://example.invalid/image.png", "seed": 123, "nsfw": False}]}
).encode()

Call = Callable[[], object]


def fast_app() -> object:
    """A Starlette app that reads the request body and answers FIXED_RESPONSE."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def answer(request: Request) -> Response:
        await request.body()
        return Response(FIXED_RESPONSE, media_type="application/json")

    paths = ("/text-to-image", "/image-to-image", "/upscale")
    return Starlette(routes=[Route(path, answer, methods=["POST"]) for path in paths])


def serve_forever() -> None:
    """Serve fast_app on a free loopback port; print the port on stdout first."""
    import uvicorn
    from livepeer_reference_gateway import bind_loopback

    sock = bind_loopback()
    # Accepted sockets inherit it: without it, Nagle's algorithm and delayed ACKs add some
    # 40 ms to every keep-alive response on loopback, drowning what is measured.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(fast_app(), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def fast_server() -> Iterator[str]:
    """Run the fast server in a child process (its own GIL); yield its base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "livepeer_gateway_bench.client_cost", "--serve"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = child.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("the benchmark server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def noise_png(side: int = IMAGE_SIDE) -> bytes:
    """A side x side RGB PNG of seeded noise: realistic size (it barely compresses)."""
    from PIL import Image

    pixels = random.Random(0).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def full_request(path: str, **chosen: object) -> dict[str, object]:
    """Every field of `path`'s request: the spec's defaults, then `chosen`.

    The generated client sends every field that has a default, so the other clients are given
    the same fields: all three then put the same request on the wire.
    """
    _, schema = spec.request_body(spec.load_spec(), path)
    defaults = {n: p["default"] for n, p in schema["properties"].items() if "default" in p}
    return {**defaults, **chosen}


TEXT_FIELDS = full_request(
    "/text-to-image", prompt="a lighthouse on a cliff at dusk", width=64, height=64, seed=123
)
IMAGE_FIELDS = full_request(
    "/image-to-image", prompt="the same scene in watercolour", strength=0.8, seed=123
)


def form_value(value: object) -> str:
    """A form field's text as the generated client writes it (booleans as JSON spells them)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


@dataclass
class Contenders:
    """For one operation: a zero-argument call per client, each sending the same request."""

    raw_httpx: Call
    #: raw httpx given the operation's absolute URL, joined once as the generated client does.
    raw_joined: Call
    generated: Call
    sdk: Call


def build_contenders(
    base_url: str, png: bytes, stack: list[Callable[[], None]]
) -> dict[str, Contenders]:
    """Persistent clients (keep-alive) for raw httpx, the generated client and the SDK."""
    from livepeer_ai import Livepeer
    from livepeer_gateway_client import AuthenticatedClient
    from livepeer_gateway_client.api.generate import image_to_image, text_to_image
    from livepeer_gateway_client.models import ImageToImageParams, TextToImageParams
    from livepeer_gateway_client.types import File

    raw = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"})
    generated = AuthenticatedClient(base_url=base_url, token=TOKEN)
    sdk = Livepeer(http_bearer=TOKEN, server_url=base_url)
    stack += [raw.close, lambda: generated.get_httpx_client().close()]

    text_url = raw.build_request("POST", "/text-to-image").url
    image_url = raw.build_request("POST", "/image-to-image").url

    def raw_text(url: str | httpx.URL = "/text-to-image") -> object:
        return raw.post(url, json=dict(TEXT_FIELDS)).json()

    def raw_image(url: str | httpx.URL = "/image-to-image") -> object:
        data = {key: form_value(value) for key, value in IMAGE_FIELDS.items()}
        files = {"image": ("image.png", png, "image/png")}
        return raw.post(url, data=data, files=files).json()

    def generated_text() -> object:
        return text_to_image.sync(client=generated, body=TextToImageParams(**TEXT_FIELDS))

    def generated_image() -> object:
        body = ImageToImageParams(**IMAGE_FIELDS, image=File(payload=png, file_name="image.png"))
        return image_to_image.sync(client=generated, body=body)

    def sdk_text() -> object:
        return sdk.generate.text_to_image(request=dict(TEXT_FIELDS))

    def sdk_image() -> object:
        image = {"file_name": "image.png", "content": png, "content_type": "image/png"}
        return sdk.generate.image_to_image(request={**IMAGE_FIELDS, "image": image})

    return {
        "text-to-image": Contenders(raw_text, lambda: raw_text(text_url), generated_text, sdk_text),
        "image-to-image": Contenders(
            raw_image, lambda: raw_image(image_url), generated_image, sdk_image
        ),
    }


@dataclass(frozen=True)
class WarmResult:
    """Each client's single-call wall times, split into blocks of consecutive iterations."""

    raw: list[list[float]]
    raw_joined: list[list[float]]
    generated: list[list[float]]
    sdk: list[list[float]]

    @staticmethod
    def per_call(column: list[list[float]]) -> Spread:
        """The median call over all blocks, with the lowest and highest block median."""
        medians = [statistics.median(block) for block in column]
        return Spread(
            statistics.median([t for block in column for t in block]), min(medians), max(medians)
        )

    def ratio(self, column: list[list[float]], baseline: list[list[float]] | None = None) -> Spread:
        """Median call over the baseline's (raw httpx's unless given) median call: over all
        blocks, and the block extremes."""
        baseline = self.raw if baseline is None else baseline
        whole = self.per_call(column).median / self.per_call(baseline).median
        ratios = [
            statistics.median(mine) / statistics.median(theirs)
            for mine, theirs in zip(column, baseline, strict=True)
        ]
        return Spread(whole, min(ratios), max(ratios))


def measure_warm(contenders: Contenders) -> WarmResult:
    """Single calls interleaved in a shuffled order each iteration, each one timed.

    Taking the three clients' calls side by side, one at a time, puts every drift of a shared
    machine on all of them alike; the median of many single calls ignores the scheduler's
    outliers. Two columns given the same client read 1.00x within 0.01 this way.
    """
    calls = (contenders.raw_httpx, contenders.raw_joined, contenders.generated, contenders.sdk)
    for call in calls:
        for _ in range(WARMUP_CALLS):
            call()
    shuffler = random.Random(0)
    clock = time.perf_counter
    blocks: list[list[list[float]]] = [[] for _ in calls]
    for _ in range(BLOCKS):
        times: list[list[float]] = [[] for _ in calls]
        order = list(range(len(calls)))
        for _ in range(CALLS_PER_BLOCK):
            shuffler.shuffle(order)
            for index in order:
                started = clock()
                calls[index]()
                times[index].append(clock() - started)
        for index in range(len(calls)):
            blocks[index].append(times[index])
    return WarmResult(*blocks)


COLD_SCRIPTS = {
    "raw httpx": """
import httpx
imported = time.perf_counter()
with httpx.Client(base_url=URL, headers={"Authorization": "Bearer t"}) as client:
    client.post("/text-to-image", json={"prompt": "p", "width": 64, "height": 64}).json()
""",
    "generated client": """
from livepeer_gateway_client import AuthenticatedClient
from livepeer_gateway_client.api.generate import text_to_image
from livepeer_gateway_client.models import TextToImageParams
imported = time.perf_counter()
with AuthenticatedClient(base_url=URL, token="t") as client:
    text_to_image.sync(client=client, body=TextToImageParams(prompt="p", width=64, height=64))
""",
    "livepeer-ai SDK": """
from livepeer_ai import Livepeer
imported = time.perf_counter()
# Kept in a name: the SDK closes its HTTP client when the Livepeer object is collected.
sdk = Livepeer(http_bearer="t", server_url=URL)
sdk.generate.text_to_image(request={"prompt": "p", "width": 64, "height": 64})
""",
}


def measure_cold(base_url: str, body: str) -> tuple[Spread, Spread]:
    """Import time and first text-to-image call, each in a fresh interpreter (seconds)."""
    script = (
        "import time\nstarted = time.perf_counter()\n"
        f"URL = {base_url!r}\n{body}\n"
        "done = time.perf_counter()\nprint(imported - started, done - imported)\n"
    )
    imports, first_calls = [], []
    for _ in range(COLD_RUNS):
        output = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
        ).stdout.split()
        imports.append(float(output[0]))
        first_calls.append(float(output[1]))
    return Spread.of(imports), Spread.of(first_calls)


def _ms(spread: Spread) -> str:
    return spread.fmt(" ms", scale=1000.0, digits=3)


def run() -> Section:
    """Measure warm per-call cost and cold start of the three clients; report as Markdown."""
    png = noise_png()
    closers: list[Callable[[], None]] = []
    lines = [
        "Per-call wall time on one persistent connection: the median of "
        f"{BLOCKS * CALLS_PER_BLOCK} single calls per client, each timed, the four clients' "
        "calls interleaved in a shuffled order, with (min–max) the lowest and highest median of "
        f"{BLOCKS} blocks of {CALLS_PER_BLOCK}. A ratio is a median call over raw httpx's "
        "median call. Raw httpx is called as its users write it, `client.post(path, ...)` on a "
        "client with a `base_url`, which parses and joins the URL on every call; the generated "
        "client joins each operation's URL once, so the last two columns show raw httpx given "
        "that absolute URL and the generated client's cost beside it. The server is a separate "
        "process answering a fixed ImageResponse without parsing the request, so its time is "
        "small and identical for all columns. "
        f"Image-to-image uploads a {IMAGE_SIDE}x{IMAGE_SIDE} noise PNG ({len(png) // 1024} KiB).",
        "",
        "| operation | raw httpx | generated client | ratio (target) | livepeer-ai SDK | ratio "
        "| raw httpx, URL joined once | generated client / it |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    with fast_server() as base_url:
        try:
            contenders = build_contenders(base_url, png, closers)
            for operation, calls in contenders.items():
                result = measure_warm(calls)
                generated_ratio = result.ratio(result.generated)
                verdict = "met" if generated_ratio.median <= TARGETS[operation] else "missed"
                lines.append(
                    f"| {operation} | {_ms(result.per_call(result.raw))} "
                    f"| {_ms(result.per_call(result.generated))} "
                    f"| {generated_ratio.fmt('x', digits=3)} (≤ {TARGETS[operation]}x: {verdict}) "
                    f"| {_ms(result.per_call(result.sdk))} | {result.ratio(result.sdk).fmt('x')} "
                    f"| {_ms(result.per_call(result.raw_joined))} "
                    f"| {result.ratio(result.generated, result.raw_joined).fmt('x', digits=3)} |"
                )
        finally:
            for close in closers:
                close()
        lines += [
            "",
            "Cold cost a command-line user pays, in a fresh interpreter, median (min–max) of "
            f"{COLD_RUNS} runs: importing the client, then its first text-to-image call "
            "(building the connection included).",
            "",
            "| client | import | first call |",
            "| --- | --- | --- |",
        ]
        for name, body in COLD_SCRIPTS.items():
            imports, first_call = measure_cold(base_url, body)
            lines.append(f"| {name} | {_ms(imports)} | {_ms(first_call)} |")
    lines += ["", "Command: `make bench ARGS='--only client_cost'`."]
    return Section("Client cost per call", "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """`--serve` runs the benchmark server (used by fast_server); otherwise print the section."""
    parser = OneLineParser(
        prog="python -m livepeer_gateway_bench.client_cost", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--serve", action="store_true", help="run the fast server")
    args = parser.parse_args(argv)
    if args.serve:
        serve_forever()
        return 0
    print(run().markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

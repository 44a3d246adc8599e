"""Reference gateway throughput: requests/s and p50/p95 latency under concurrent load.

The gateway runs in a subprocess, with one and then two worker processes (`--workers`), so it
does not share the GIL with the load generator, an asyncio httpx client holding a fixed number
of requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from livepeer_reference_gateway import gateway_process
from PIL import Image

from livepeer_gateway_bench.common import Section, Spread

#: Worker processes compared side by side (the console command serves with one by default).
WORKER_COUNTS = (1, 2)
#: Requests kept in flight by the load generator.
CONCURRENCY = 8
#: Seconds of measurement per scenario, after WARMUP_SECONDS of unmeasured load.
SECONDS = 4.0
WARMUP_SECONDS = 1.0
#: Measured rounds per scenario; each figure is the median over them, with min and max.
ROUNDS = 3


@dataclass(frozen=True)
class Scenario:
    """One measured request shape."""

    title: str
    send: Callable[[httpx.AsyncClient], object]


@dataclass(frozen=True)
class Measurement:
    """What one scenario measured."""

    requests: int
    failures: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def _png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((side, side)).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _scenarios() -> list[Scenario]:
    upscale_input = _png(128)
    return [
        Scenario(
            "text-to-image 64x64",
            lambda http: http.post(
                "/text-to-image", json={"prompt": "bench", "width": 64, "height": 64}
            ),
        ),
        Scenario(
            "text-to-image 1024x576 (default size)",
            lambda http: http.post("/text-to-image", json={"prompt": "bench"}),
        ),
        Scenario(
            "upscale 128x128 PNG (512x512 out)",
            lambda http: http.post(
                "/upscale",
                files={"image": ("in.png", upscale_input, "image/png")},
                data={"prompt": "bench"},
            ),
        ),
    ]


async def _measure(url: str, scenario: Scenario) -> Measurement:
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def worker(until: float, record: bool) -> None:
            nonlocal failures
            while time.perf_counter() < until:
                started = time.perf_counter()
                try:
                    response = await scenario.send(http)  # type: ignore[misc]
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if record:
                    latencies.append(time.perf_counter() - started)
                    failures += 0 if ok else 1

        warm_until = time.perf_counter() + WARMUP_SECONDS
        await asyncio.gather(*(worker(warm_until, False) for _ in range(CONCURRENCY)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + SECONDS, True) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return Measurement(len(latencies), failures, elapsed, latencies)


def run() -> Section:
    """Measure the three scenarios against one gateway subprocess per worker count.

    The gateways run side by side and their rounds alternate, so a change in the machine's
    load while the benchmark runs falls on both alike.
    """
    by_workers: dict[int, dict[str, list[Measurement]]] = {w: {} for w in WORKER_COUNTS}
    with contextlib.ExitStack() as stack:
        urls = {
            workers: stack.enter_context(
                gateway_process("--log-level", "warning", "--workers", str(workers))
            )[0]
            for workers in WORKER_COUNTS
        }
        for scenario in _scenarios():
            for _ in range(ROUNDS):
                for workers, url in urls.items():
                    measured = asyncio.run(_measure(url, scenario))
                    by_workers[workers].setdefault(scenario.title, []).append(measured)
    rows = []
    for scenario in _scenarios():
        one = Spread.of([r.per_second for r in by_workers[1][scenario.title]])
        for workers in WORKER_COUNTS:
            rounds = by_workers[workers][scenario.title]
            rate = Spread.of([r.per_second for r in rounds])
            p50 = Spread.of([r.percentile(50) for r in rounds])
            p95 = Spread.of([r.percentile(95) for r in rounds])
            rows.append(
                f"| {scenario.title} | {workers} | {rate.fmt(digits=1)} "
                f"| {rate.median / one.median:.2f} | {p50.fmt(scale=1000, digits=1)} "
                f"| {p95.fmt(scale=1000, digits=1)} | {sum(r.requests for r in rounds)} "
                f"| {sum(r.failures for r in rounds)} |"
            )
    table = "\n".join(
        [
            "| request | workers | requests/s | vs 1 | p50 ms | p95 ms | requests | non-200 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
        ]
    )
    counts = " and ".join(str(w) for w in WORKER_COUNTS)
    return Section(
        "Reference gateway load",
        f"The reference gateway in its own process, served by {counts} worker processes "
        "(`--workers`) side by side, their rounds alternating, on loopback; "
        f"{CONCURRENCY} requests in flight from one asyncio httpx client (itself one process "
        f"on the same cores); {ROUNDS} "
        f"rounds of {SECONDS:.0f} s per row, each after {WARMUP_SECONDS:.0f} s of warm-up: "
        "median (min–max) over the rounds. Images are data URLs (the default).\n\n"
        f"{table}\n",
    )


if __name__ == "__main__":
    print(run().markdown)

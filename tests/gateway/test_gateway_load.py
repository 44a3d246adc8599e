"""Fifty concurrent clients for ten seconds get no transport error and no 5xx."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest
from livepeer_reference_gateway import GatewaySettings, running_gateway

CLIENTS = 50
SECONDS = 10.0
BODY = {"prompt": "load", "width": 64, "height": 64, "num_inference_steps": 1}


async def _hold(base_url: str) -> tuple[Counter[int], list[str]]:
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    deadline = time.monotonic() + SECONDS
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def one_client(http: httpx.AsyncClient, index: int) -> None:
        while time.monotonic() < deadline:
            try:
                response = await http.post("/text-to-image", json={**BODY, "seed": index})
                statuses[response.status_code] += 1
            except httpx.TransportError as exc:
                problems.append(f"{type(exc).__name__}: {exc}")

    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(one_client(http, i) for i in range(CLIENTS)))
    return statuses, problems


@pytest.mark.slow
def test_fifty_concurrent_clients_for_ten_seconds() -> None:
    with running_gateway(GatewaySettings()) as url:
        statuses, problems = asyncio.run(_hold(url))
    total = sum(statuses.values())
    print(f"load: {total} requests by {CLIENTS} clients in {SECONDS:.0f} s: {dict(statuses)}")
    assert problems == []
    assert total >= CLIENTS
    assert set(statuses) == {200}

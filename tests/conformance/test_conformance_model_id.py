"""What every accepted request of every phase carries: the pinned model id, and cheap sizes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livepeer_reference_gateway.app import create_app
from livepeer_reference_gateway.server import serving
from livepeer_reference_gateway.settings import GatewaySettings

TOKEN = "model-id-test-token"


class RecordingApp:
    """ASGI wrapper around the reference gateway keeping each request's path, body and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[tuple[str, bytes, int]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status: list[int] = []

        async def recording_receive() -> dict[str, Any]:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, recording_receive, recording_send)
        self.exchanges.append((scope["path"], b"".join(chunks), status[0] if status else 0))


def test_model_id_is_pinned_in_every_phase(tmp_path: Path, run_console: Callable[..., Any]) -> None:
    """Every text-to-image request the gateway accepted carried the pinned model id."""
    recorder = RecordingApp(create_app(GatewaySettings(token=TOKEN)))
    with serving(recorder) as base_url:
        result = run_console(
            [
                *("run", "--base-url", base_url, "--operation", "textToImage"),
                *("--model-id", "textToImage=org/pinned-model", "--max-requests", "120"),
                *("--max-examples", "3", "--seed", "5", "--report-dir", str(tmp_path)),
            ],
            env={"LIVEPEER_GATEWAY_TOKEN": TOKEN},
        )
    accepted = [
        json.loads(body)
        for path, body, status in recorder.exchanges
        if path == "/text-to-image" and status == 200
    ]
    assert len(accepted) >= 10, result.stderr.decode()
    assert {request.get("model_id") for request in accepted} == {"org/pinned-model"}
    # Without --allow-large nothing is generated above 128x128 or 4 steps, omitted fields
    # (whose spec defaults are 1024x576 and 50 steps) included; an edge probe takes one field
    # to its declared maximum and keeps the others at their minimum.
    costs = {
        (r.get("width", 1024), r.get("height", 576), r.get("num_inference_steps", 50))
        for r in accepted
    }
    cheap = {(w, h, steps) for w, h, steps in costs if w <= 128 and h <= 128 and steps <= 4}
    edges = {(2048, 64, 1), (64, 2048, 1), (64, 64, 150)}
    assert costs - cheap <= edges, costs - cheap

"""A multipart reproducer, run as is by curl, sends the request's text fields verbatim."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from livepeer_conformance.exchanges import Exchange
from livepeer_conformance.strategies import encode_image
from livepeer_reference_gateway.server import serving
from starlette.requests import Request
from starlette.responses import JSONResponse


class FormRecorder:
    """ASGI app keeping the multipart fields of the last request; files as (type, bytes)."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        async with Request(scope, receive).form() as form:
            for name, value in form.multi_items():
                if isinstance(value, str):
                    self.fields[name] = value
                else:
                    self.fields[name] = (value.content_type, await value.read())
        await JSONResponse({})(scope, receive, send)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_sends_text_fields_starting_with_at_or_angle_verbatim(tmp_path: Path) -> None:
    """Values curl's `-F` would read as files (`@…`, `<…`) or parse (`;type=`) arrive as text."""
    image = encode_image(8, 8, (10, 20, 30), "PNG")
    params = {"prompt": "<a lighthouse;type=text/plain", "model_id": "@cf/x", "seed": 3}
    exchange = Exchange("/image-to-image", params, ("image/png", image), 0, None, lambda url: b"")
    recorder = FormRecorder()
    with serving(recorder) as base_url:
        command = shlex.split(exchange.curl(base_url, tmp_path / "inputs"))
        sent = subprocess.run(
            [*command, "--silent", "--show-error", "--fail"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert sent.returncode == 0, sent.stderr
    assert recorder.fields == {
        "prompt": "<a lighthouse;type=text/plain",
        "model_id": "@cf/x",
        "seed": "3",
        "image": ("image/png", image),
    }

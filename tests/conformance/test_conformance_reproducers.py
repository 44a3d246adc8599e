"""A multipart reproducer, run as is by curl, sends the request's text fields verbatim."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.evidence import curl_for_request
from livepeer_conformance.exchanges import SentRequest
from livepeer_conformance.planned import Planned, build_request
from livepeer_conformance.strategies import encode_image
from livepeer_reference_gateway.server import running_gateway, serving
from livepeer_reference_gateway.settings import GatewaySettings
from starlette.requests import Request
from starlette.responses import JSONResponse

#: The spec core's view of each operation, by path.
OPS = spec.served_operations(spec.load_spec(spec.spec_path()))


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
    """Values curl's `-F` would read as files (`@…`, `<…`) or parse (`;type=`) arrive as text:
    a reproducer sends the request's own bytes, read from a file."""
    image = encode_image(8, 8, (10, 20, 30), "PNG")
    params = {"prompt": "<a lighthouse;type=text/plain", "model_id": "@cf/x", "seed": 3}
    planned = Planned(OPS["/image-to-image"], "example", "verbatim", params, ("image/png", image))
    recorder = FormRecorder()
    with serving(recorder) as base_url:
        with httpx.Client() as client:
            sent = SentRequest.of(build_request(client, base_url, planned, None))
        reproducer = curl_for_request(
            sent.method, sent.url, sent.headers, sent.body, tmp_path / "inputs"
        )
        assert "@cf/x" not in reproducer and "--data-binary" in reproducer
        command = shlex.split(reproducer)
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


REPLAY_TOKEN = "replay-token-" + "9f" * 10


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_reproducer_of_a_run_reproduces_its_status(tmp_path: Path, run_console: Any) -> None:
    """Replayed as is (token put back), each cause's reproducer gets the status it reports.

    Multipart bodies with real image bytes and JSON bodies alike, from every phase (edge
    probes included): every body is read from a file under `inputs/`, never inlined.
    """
    report_dir = tmp_path / "reports"
    faults = frozenset(
        {
            "server_error_on_bad_image",
            "accepts_out_of_range",
            "image_to_image_resized",
            "any_token_accepted",
        }
    )
    with running_gateway(GatewaySettings(token=REPLAY_TOKEN, faults=faults)) as base_url:
        result = run_console(
            [
                *("run", "--base-url", base_url, "--report-dir", str(report_dir)),
                *("--max-requests", "150", "--max-examples", "2", "--seed", "7"),
                *("--operation", "imageToImage"),
            ],
            env={"LIVEPEER_GATEWAY_TOKEN": REPLAY_TOKEN},
        )
        assert result.returncode == 1, result.stderr.decode()
        report = json.loads((report_dir / "conformance.json").read_text())
        # Advisories (a recommended rule, such as the kept input size) carry reproducers too.
        departures = report["departures"] + report["advisories"]
        replayed = []
        for departure in departures:
            evidence = departure["evidence"]
            if not evidence or not evidence["status_line"].startswith("HTTP/"):
                continue
            command = shlex.split(departure["reproducer"].replace("[redacted]", REPLAY_TOKEN))
            assert command[0] == "curl" and "-d" not in command
            assert any(part.startswith(("@", "image=@")) or "=@" in part for part in command)
            sent = subprocess.run(
                [*command, "-o", "/dev/null", "-w", "%{http_code}"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            expected = evidence["status_line"].split()[1]
            replayed.append((departure["check"], departure["cause"], sent.stdout, expected))
    assert len(replayed) >= 3, departures
    assert [r for r in replayed if r[2] != r[3]] == []
    assert {r[0] for r in replayed} >= {
        "not_a_server_error",
        "negative_data_rejection",
        "image_to_image_keeps_input_size",
        "ignored_auth",
    }

"""Reproducers run as pasted: into bash, from any directory, with the report's variables set."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import livepeer_gateway_spec as spec
import pytest
from livepeer_conformance.cli import main
from livepeer_conformance.config import Transport
from livepeer_conformance.evidence import Replay, curl_for_request, tls_options
from livepeer_conformance.exchanges import SentRequest
from livepeer_conformance.planned import Planned, build_request
from livepeer_conformance.strategies import encode_image
from livepeer_reference_gateway.app import create_app
from livepeer_reference_gateway.server import serving
from livepeer_reference_gateway.settings import GatewaySettings
from starlette.requests import Request
from starlette.responses import JSONResponse

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="curl and bash are needed to paste a reproducer",
)

#: The spec core's view of each operation, by path.
OPS = spec.served_operations(spec.load_spec(spec.spec_path()))
TOKEN = "replay-token-" + "9f" * 10
#: A `-H` header the operator passes: a secret the reproducer must send, never show.
API_KEY = ("X-Api-Key", "key-" + "5e" * 12)


class FormRecorder:
    """ASGI app keeping the headers and multipart fields of the last request."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.headers: dict[str, str] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.headers = dict(request.headers)
        async with request.form() as form:
            for name, value in form.multi_items():
                if isinstance(value, str):
                    self.fields[name] = value
                else:
                    self.fields[name] = (value.content_type, await value.read())
        await JSONResponse({})(scope, receive, send)


class HeaderRequired:
    """The gateway behind a check that refuses (403) any request without the `-H` header."""

    def __init__(self, app: Any, name: str, value: str) -> None:
        self.app, self.name, self.value = app, name.lower().encode(), value.encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(self.name) != self.value:
            await JSONResponse({"error": {"message": "no api key"}}, 403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_pasted_reproducer_sends_the_exact_request_with_its_variables(
    tmp_path: Path, paste: Callable[..., tuple[int, bytes]]
) -> None:
    """Pasted from another directory, a multipart reproducer sends its text fields verbatim
    (`@…`, `<…`, `;type=` are curl's syntax elsewhere), the token and the `-H` header from
    their variables, and a header full of shell syntax as it was; no value of a secret, nor
    the run's URL, is in the line."""
    image = encode_image(8, 8, (10, 20, 30), "PNG")
    params = {"prompt": "<a lighthouse;type=text/plain", "model_id": "@cf/x", "seed": 3}
    planned = Planned(OPS["/image-to-image"], "example", "verbatim", params, ("image/png", image))
    shell_syntax = ("X-Note", 'it\'s "$HOME" `id` !! \\n ${x}')
    recorder = FormRecorder()
    report_dir = tmp_path / "a report's folder"
    with serving(recorder) as base_url:
        with httpx.Client(headers=[API_KEY, shell_syntax]) as client:
            sent = SentRequest.of(build_request(client, base_url, planned, TOKEN))
        replay = Replay(report_dir, base_url, TOKEN, frozenset({"x-api-key"}), (TOKEN, API_KEY[1]))
        reproducer = curl_for_request(sent.method, sent.url, sent.headers, sent.body, replay)
        assert reproducer.startswith(f"cd {shlex.quote(str(report_dir))} && curl ")
        assert '"$LIVEPEER_GATEWAY_URL/image-to-image"' in reproducer
        assert '"Authorization: Bearer $LIVEPEER_GATEWAY_TOKEN"' in reproducer
        assert '"X-Api-Key: $LIVEPEER_HEADER_X_API_KEY"' in reproducer
        assert "@cf/x" not in reproducer and " --data-binary @inputs/" in reproducer
        for value in (TOKEN, API_KEY[1], base_url, "[redacted]"):
            assert value not in reproducer
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        env = {
            "LIVEPEER_GATEWAY_URL": base_url,
            "LIVEPEER_GATEWAY_TOKEN": TOKEN,
            "LIVEPEER_HEADER_X_API_KEY": API_KEY[1],
        }
        status, _ = paste(reproducer, elsewhere, env)
    assert status == 200
    assert recorder.fields == {
        "prompt": "<a lighthouse;type=text/plain",
        "model_id": "@cf/x",
        "seed": "3",
        "image": ("image/png", image),
    }
    assert recorder.headers["authorization"] == f"Bearer {TOKEN}"
    assert recorder.headers["x-api-key"] == API_KEY[1]
    assert recorder.headers["x-note"] == shell_syntax[1]


#: Faults whose findings need every kind of request: a multipart upload (500 on a bad image),
#: JSON and multipart out of range, a wrong token and no credentials (both served), a multipart
#: body without its boundary (refused with a bare string), a kept input size changed.
FAULTS = frozenset(
    {
        "server_error_on_bad_image",
        "accepts_out_of_range",
        "auth_not_enforced",
        "multipart_refusal_not_http_error",
        "image_to_image_resized",
    }
)


def _findings(document: Any) -> Iterator[dict[str, Any]]:
    """Every entry of a JSON report that carries a reproducer, wherever the report lists it."""
    if isinstance(document, dict):
        if "reproducer" in document:
            yield document
        for value in document.values():
            yield from _findings(value)
    elif isinstance(document, list):
        for value in document:
            yield from _findings(value)


def _gateway() -> Any:
    return HeaderRequired(create_app(GatewaySettings(token=TOKEN, faults=FAULTS)), *API_KEY)


def test_every_reproducer_of_a_run_gets_its_status_pasted_from_another_directory(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    paste: Callable[..., tuple[int, bytes]],
) -> None:
    """A run with `-H`, its report directory relative to where it ran: every reproducer,
    pasted into bash from another directory with the report's variables pointing at a new
    gateway with the same faults, gets the status of the answer that failed."""
    started_in = tmp_path / "run"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    monkeypatch.setenv("LIVEPEER_GATEWAY_TOKEN", TOKEN)
    with serving(_gateway()) as run_url:
        code = main(
            [
                *("run", "--base-url", run_url, "--report-dir", "reports"),
                *("--max-requests", "200", "--max-examples", "2", "--seed", "7"),
                *("--operation", "imageToImage", "--operation", "textToImage"),
                *("-H", f"{API_KEY[0]}: {API_KEY[1]}"),
            ]
        )
    printed = capsys.readouterr()
    assert code == 1, printed.out
    report_dir = started_in / "reports"
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    # The preamble sets the URL and names the secrets' variables without their values.
    assert f"export LIVEPEER_GATEWAY_URL={run_url}" in report["replay"]
    assert "export LIVEPEER_HEADER_X_API_KEY=<value>" in report["replay"]
    assert f"export LIVEPEER_GATEWAY_URL={run_url}" in printed.out
    written = printed.out + printed.err
    written += "".join(p.read_text() for p in report_dir.glob("conformance.*"))
    assert TOKEN not in written and API_KEY[1] not in written
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    replayed = []
    with serving(_gateway()) as replay_url:
        env = {
            "LIVEPEER_GATEWAY_URL": replay_url,
            "LIVEPEER_GATEWAY_TOKEN": TOKEN,
            "LIVEPEER_HEADER_X_API_KEY": API_KEY[1],
        }
        for finding in _findings(report):
            evidence = finding["evidence"]
            if not evidence or not evidence["status_line"].startswith("HTTP/"):
                continue  # no answer came: nothing to compare
            reproducer = finding["reproducer"]
            assert run_url not in reproducer and "[redacted]" not in reproducer
            status, _ = paste(reproducer, elsewhere, env)
            expected = int(evidence["status_line"].split()[1])
            # A finding, or one more trigger of it (`examples`), each with its own reproducer.
            what = finding.get("reason", finding.get("trigger", ""))
            replayed.append((finding.get("check", ""), what, reproducer, status, expected))
    assert [r for r in replayed if r[3] != r[4]] == []
    reproducers = [r[2] for r in replayed]
    # Multipart and JSON bodies, each read from inputs/.
    assert any("multipart/form-data; boundary=" in r for r in reproducers)
    assert any("application/json" in r for r in reproducers)
    # The wrong token (not a secret) from a file; no credentials at all.
    wrong = [r for r in reproducers if " -H @inputs/" in r]
    assert wrong and all("LIVEPEER_GATEWAY_TOKEN" not in r for r in wrong)
    assert any("Authorization" not in r and " -H @inputs/" not in r for r in reproducers)
    assert any("no boundary" in r[1] for r in replayed)
    assert {r[0] for r in replayed} >= {
        "not_a_server_error",
        "negative_data_rejection",
        "image_to_image_keeps_input_size",
        "ignored_auth",
        "error_statuses_have_declared_body",
    }


def test_reproducer_carries_the_runs_tls_options(tmp_path: Path) -> None:
    """The run's certificate authority, client certificate and key reach curl by absolute path;
    `--no-tls-verify` becomes `--insecure`."""
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    verified = Transport(cacert=files["ca"], client_cert=files["cert"], client_key=files["key"])
    replay = Replay(tmp_path, "https://gw.example", tls=tls_options(verified))
    reproducer = curl_for_request("POST", "https://gw.example/upscale", (), b"", replay)
    assert reproducer == (
        f"cd {tmp_path} && curl -sS --cacert {files['ca']} --cert {files['cert']} "
        f'--key {files["key"]} -X POST "$LIVEPEER_GATEWAY_URL/upscale"'
    )
    unverified = Replay(tmp_path, "https://gw.example", tls=tls_options(Transport(verify=False)))
    assert " curl -sS --insecure -X POST " in curl_for_request(
        "POST", "https://gw.example/upscale", (), b"", unverified
    )


def test_spec_phase_reproducers_get_their_status_pasted(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    paste: Callable[..., tuple[int, bytes]],
) -> None:
    """Findings met only by schemathesis's own requests (the spec phase) replay as pasted too.

    The gateway reads JSON as pydantic's lax mode does, so schemathesis's mistyped values that
    read without loss are served: advisories, each met in the spec checks. Pasted against the
    same gateway each gets its 200 again; against the clean gateway the same bytes are refused,
    so what the reproducer sends is what triggered the finding.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIVEPEER_GATEWAY_TOKEN", TOKEN)
    lax = GatewaySettings(token=TOKEN, faults=frozenset({"lax_json_types"}))
    with serving(create_app(lax)) as run_url:
        code = main(
            [
                *("run", "--base-url", run_url, "--report-dir", "reports"),
                *("--seed", "1", "--operation", "textToImage"),
            ]
        )
    printed = capsys.readouterr()
    assert code == 0, printed.out
    report = json.loads((tmp_path / "reports" / "conformance.json").read_text(encoding="utf-8"))
    spec_phase = [
        example
        for finding in report["advisories"]
        if finding["phases"] == ["spec checks"]
        for example in finding["examples"]
    ]
    assert spec_phase, "no advisory came from the spec phase alone"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    statuses: dict[str, list[int]] = {"lax": [], "clean": []}
    for name, settings in (("lax", lax), ("clean", GatewaySettings(token=TOKEN))):
        with serving(create_app(settings)) as replay_url:
            env = {"LIVEPEER_GATEWAY_URL": replay_url, "LIVEPEER_GATEWAY_TOKEN": TOKEN}
            for example in spec_phase:
                statuses[name].append(paste(example["reproducer"], elsewhere, env)[0])
    expected = [int(e["evidence"]["status_line"].split()[1]) for e in spec_phase]
    assert statuses["lax"] == expected
    assert all(400 <= status < 500 for status in statuses["clean"]), statuses["clean"]

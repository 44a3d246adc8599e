"""The reference gateway's HTTP application: routes from the spec, one handler per request."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import pipelines
from .auth import authenticate
from .closing import AnswerSentClosing, CloseAfterAnswer
from .contract import OperationContract, load_contracts, parse_json_object
from .errors import (
    BodiesOverBudget,
    BodyTooLarge,
    GatewayError,
    Violation,
    error_response,
    excerpt,
    validation_failed,
)
from .faults import ActiveFaults
from .images import open_upload
from .limits import InflightBudget, UploadLimit, over_budget, too_large
from .media import MediaStore
from .plan import Answer, GenerationPlan, RequestInfo
from .settings import GatewaySettings

log = logging.getLogger("livepeer_reference_gateway")

#: How often a held-back answer checks whether its client is still there.
HOLD_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ParsedRequest:
    """A validated request: its parameters with defaults, and the upload when there is one."""

    params: dict[str, Any]
    upload: IO[bytes] | None


class Gateway:
    """State shared by the handlers: settings, contracts, active faults and the media store."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        # Every POST operation of the spec, each running the pipeline its schema implies.
        self.contracts = load_contracts(settings.spec_path)
        self.faults = ActiveFaults(settings.faults)
        self.media = (
            MediaStore(
                settings.media_ttl_seconds, settings.media_max_items, settings.media_max_bytes
            )
            if settings.media_urls == "http"
            else None
        )
        self.requests_seen = 0

    def routes(self) -> list[Route]:
        """One POST route per spec operation, plus /media when http media URLs are on."""
        routes = [
            Route(c.path, self._endpoint(c), methods=["POST"], name=c.operation_id)
            for c in self.contracts.values()
        ]
        if self.media is not None:
            routes.append(
                Route("/media/{media_id}.png", self.serve_media, methods=["GET"], name="media")
            )
        return routes

    def _endpoint(self, contract: OperationContract) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(request, contract)

        return endpoint

    async def handle(self, request: Request, contract: OperationContract) -> Response:
        """Answer one request to an image operation; never lets an exception escape."""
        self.requests_seen += 1
        info = RequestInfo(
            contract.operation_id,
            self.requests_seen,
            self.settings.fault_delay_seconds,
            request.headers.get("authorization", ""),
        )
        try:
            if (refusal := self.faults.before(info)) is not None:
                raise refusal
            self.authenticate(request)
            answer = await self.answer(request, contract)
        except GatewayError as error:
            answer = _refusal(error)
        except BodyTooLarge:
            limit = request.scope.get("state", {}).get("body_limit", self.settings.max_upload_bytes)
            answer = _refusal(too_large(limit))
        except BodiesOverBudget:
            answer = _refusal(over_budget())
        except ClientDisconnect:
            # The client left before its body arrived (a timeout, say): nobody reads an answer.
            log.debug("client left during %s", contract.path)
            answer = _refusal(GatewayError(400, "client_gone", "the client disconnected"))
        except Exception:
            log.exception("unexpected error answering %s", contract.path)
            answer = _refusal(GatewayError(500, "internal", "Internal Server Error"))
        if (seconds := self.faults.delay(info)) > 0:
            await _hold(request, seconds)
        answer.request = info
        return _render(self.faults.answer(answer))

    def authenticate(self, request: Request) -> None:
        """Raise 401 unless the request carries the configured bearer token."""
        raw = next((v for k, v in request.scope["headers"] if k == b"authorization"), None)
        outcome = self.faults.auth(authenticate(raw, self.settings.token))
        if outcome != "ok":
            # Worded so that no "bearer <word>" reads as a credential in a redacted report.
            message = (
                "no Authorization header with a token"
                if outcome == "missing"
                else "the token is not accepted"
            )
            raise GatewayError(401, "auth", message, headers={"WWW-Authenticate": "Bearer"})

    async def answer(self, request: Request, contract: OperationContract) -> Answer:
        """Parse, validate, generate and describe the images of one request."""
        if contract.media_type == "multipart/form-data":
            _require_media_type(request, contract.media_type)
            form = await self._form(request)
            try:
                parsed = await self._parse_form(form, contract)
                return await self._generate(request, contract, parsed)
            finally:
                await form.close()
        _require_media_type(request, contract.media_type)
        raw = await request.body()
        # Parsing and validating run on a worker thread, so a large body (up to the JSON
        # limit) never holds the event loop, and other clients are answered meanwhile.
        params = await run_in_threadpool(self._validated_json, contract, raw)
        return await self._generate(request, contract, ParsedRequest(params, None))

    async def _form(self, request: Request) -> FormData:
        """The multipart body, its files spooled to disk past `spool_bytes`."""
        parser = MultiPartParser(
            request.headers,
            request.stream(),
            max_files=self.settings.max_form_files,
            max_fields=self.settings.max_form_fields,
            max_part_size=self.settings.max_field_bytes,
        )
        parser.spool_max_size = self.settings.spool_bytes
        try:
            return await parser.parse()
        except MultiPartException as exc:  # python-multipart could not parse the body
            raise validation_failed(
                [Violation("", excerpt(exc.message), "multipart_invalid")]
            ) from None

    def _validated_json(self, contract: OperationContract, raw: bytes) -> dict[str, Any]:
        body = self.faults.read_body(contract.properties, parse_json_object(raw))
        return self._validated(contract, body, [])

    async def _parse_form(self, form: FormData, contract: OperationContract) -> ParsedRequest:
        values: dict[str, Any] = {}
        upload: IO[bytes] | None = None
        problems: list[Violation] = []
        for name in dict.fromkeys(form.keys()):
            if (repeated := contract.repeated_field(name, len(form.getlist(name)))) is not None:
                problems.append(repeated)
        for name, value in form.multi_items():
            if name in contract.binary_fields:
                upload = value.file if isinstance(value, UploadFile) else io.BytesIO(value.encode())
                values[name] = ""  # the schema's `string/binary`: the bytes are checked by decoding
                continue
            text = await _field_text(value, self.settings.max_field_bytes)
            if text is None:
                problems.append(Violation(name, "Input should be a valid string", "string_type"))
                continue
            values[name], problem = contract.coerce_form_field(name, text)
            if problem is not None and all(p.field != name for p in problems):
                problems.append(problem)
        return ParsedRequest(self._validated(contract, values, problems), upload)

    def _validated(
        self, contract: OperationContract, body: Any, problems: list[Violation]
    ) -> dict[str, Any]:
        bad_fields = {p.field for p in problems}
        found = problems + [v for v in contract.violations(body) if v.field not in bad_fields]
        remaining = self.faults.violations(found)
        if remaining:
            raise contract.refusal(remaining)
        params = dict(body)
        for waived in found:  # a fault let it through: the field falls back to its default
            if waived.field:
                params[waived.field] = contract.fallback(waived.field)
        return contract.with_defaults({k: v for k, v in params.items() if v is not None})

    async def _generate(
        self, request: Request, contract: OperationContract, parsed: ParsedRequest
    ) -> Answer:
        plan = self.faults.plan(pipelines.build_plan(contract, parsed.params))
        limit = (
            self.settings.max_upscale_input_pixels
            if contract.pipeline == "upscale"
            else self.settings.max_image_pixels
        )
        pngs = await run_in_threadpool(_render_plan, plan, parsed.upload, limit)
        nsfw = pipelines.is_nsfw(parsed.params)
        media = [
            {"url": self._url(request, png), "seed": seed, "nsfw": nsfw}
            for png, seed in zip(pngs, plan.seeds, strict=True)
        ]
        return Answer(200, {"images": media})

    def _url(self, request: Request, png: bytes) -> str:
        if self.media is None:
            return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        media_id = self.media.put(png)
        return f"{self._public_base(request)}/media/{media_id}.png"

    def _public_base(self, request: Request) -> str:
        """The configured public URL, else the address the connection arrived at (not `Host`)."""
        if self.settings.public_url is not None:
            return self.settings.public_url.rstrip("/")
        host, port = request.scope.get("server") or ("127.0.0.1", 80)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    async def serve_media(self, request: Request) -> Response:
        """GET /media/{id}.png: an image kept for an http media URL, or 404 once it expired."""
        png = self.media.get(request.path_params["media_id"]) if self.media is not None else None
        if png is None:
            return error_response(GatewayError(404, "not_found", "no such media, or it expired"))
        return Response(png, media_type="image/png")


async def _hold(request: Request, seconds: float) -> None:
    """Wait `seconds`, or less if the client goes away (so nothing is left running for it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(remaining, HOLD_POLL_SECONDS))


def _render_plan(plan: GenerationPlan, upload: IO[bytes] | None, max_pixels: int) -> list[bytes]:
    source: Image.Image | None = open_upload(upload, max_pixels) if upload is not None else None
    if source is None and plan.pipeline != "text-to-image":
        raise GatewayError(400, "bad_image", "the image cannot be decoded")
    return pipelines.render(plan, source)


async def _field_text(value: str | UploadFile, max_bytes: int) -> str | None:
    """A text field's value; a file sent where text is declared is read as UTF-8 text."""
    if isinstance(value, str):
        return value
    raw = await value.read(max_bytes + 1)
    if len(raw) > max_bytes:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _require_media_type(request: Request, expected: str) -> None:
    actual = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if actual != expected:
        shown = actual or "none"
        raise validation_failed(
            [Violation("", f"Content-Type must be {expected}, got {shown}", "content_type")]
        )


def _refusal(error: GatewayError) -> Answer:
    return Answer(error.status, error.body(), dict(error.headers), error=error)


def _render(answer: Answer) -> Response:
    if answer.media_type == "application/json":
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
    content = b"" if answer.body is None else json.dumps(answer.body).encode()
    return Response(
        content, status_code=answer.status, headers=answer.headers, media_type=answer.media_type
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = "method_not_allowed" if exc.status_code == 405 else "not_found"
    error = GatewayError(exc.status_code, kind, str(exc.detail), headers=dict(exc.headers or {}))
    return error_response(error)


async def _unexpected(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, AnswerSentClosing):  # raised after an answer, to close: not an error
        log.exception("unexpected error", exc_info=exc)
    return error_response(GatewayError(500, "internal", "Internal Server Error"))


def create_app(settings: GatewaySettings) -> Starlette:
    """The reference gateway as an ASGI application."""
    gateway = Gateway(settings)
    budget = InflightBudget(settings.max_inflight_body_bytes)
    limit = Middleware(
        UploadLimit,
        max_bytes=settings.max_upload_bytes,
        max_json_bytes=settings.max_json_bytes,
        budget=budget,
    )
    closing = [Middleware(CloseAfterAnswer, closes=gateway.faults.closes_after)]
    app = Starlette(
        routes=gateway.routes(),
        middleware=[*closing, limit] if gateway.faults.close_connections else [limit],
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
    )
    app.state.gateway = gateway
    app.state.budget = budget
    return app

"""The clients that hold a gateway's address, its connection settings and the bounds of its answers.

Every answer is read within bounds: a size (`max_answer_bytes`, on the wire and decompressed), a
JSON nesting depth (`max_json_depth`) and a deadline for the whole answer (`timeout`), so a
gateway that floods, nests, trickles or stalls ends the call with a documented error.
"""

import email.utils
import functools
import json
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, Self

import httpx
from attrs import define, evolve, field, frozen

from . import errors
from .types import Response, Unset

#: Largest answer read, in bytes, counted both as sent and decompressed. Computed from the API
#: description when the client is generated: the most images a request may ask for, each of the
#: largest width and height, as a `data:` URL of an 8-bit RGBA PNG whose pixels do not compress.
DEFAULT_MAX_ANSWER_BYTES = 89648792
#: Deepest JSON nesting read; the API's bodies nest four levels at most.
DEFAULT_MAX_JSON_DEPTH = 32
#: Seconds for a whole answer, from sending the request to its last byte. Livepeer's docs give
#: cold model loads of 30 s to 5 minutes; this covers the slowest load and a minute of work.
DEFAULT_TIMEOUT = 360.0
#: Seconds to open a connection: a gateway that cannot be reached is reported quickly.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Statuses that say the gateway did not run the request and it may be sent again.
RETRYABLE_STATUSES = frozenset({429, 503})
#: Statuses after which the gateway may have run the request (retried only when asked).
UNSAFE_RETRY_STATUSES = frozenset({500, 502, 504})
#: A connection that broke once the request went out (on a reused one: the gateway had closed it).
_LOST_CONNECTION = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_CONNECT_FAILURES = (httpx.ConnectError, httpx.ConnectTimeout)

TimeoutSetting = float | httpx.Timeout | None


@frozen
class Retries:
    """Opt-in retries: `AuthenticatedClient(..., retries=Retries())`.

    A request is sent again after a 429 or 503 answer and after a failure to connect, at most
    `attempts` more times, waiting `backoff` seconds doubled at each retry (with jitter) or the
    answer's `Retry-After`, and never more than `max_wait` seconds in all; when a wait would pass
    that budget, the last answer or error is what the call returns or raises. A request the gateway
    may have run (a 500, 502 or 504, or a connection lost after sending) is sent again only with
    `after_sending=True`.
    """

    attempts: int = 3
    backoff: float = 0.5
    max_wait: float = 30.0
    connect_errors: bool = True
    after_sending: bool = False

    def retries_status(self, status_code: int) -> bool:
        return status_code in RETRYABLE_STATUSES or (
            self.after_sending and status_code in UNSAFE_RETRY_STATUSES
        )

    def wait(self, retry: int, waited: float, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number `retry` (1-based), or None to stop here."""
        if retry > self.attempts:
            return None
        if retry_after is None:
            retry_after = self.backoff * 2 ** (retry - 1) * random.uniform(0.5, 1.0)
        return retry_after if waited + retry_after <= self.max_wait else None


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """The answer's `Retry-After` in seconds (delay or HTTP date), None when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _nesting_depth_over(content: bytes, value: Any, limit: int) -> bool:
    # A body with no more opening brackets than the limit cannot nest deeper: most answers.
    if content.count(b"[") + content.count(b"{") <= limit:
        return False
    # Iterative, so a deep body cannot exhaust the interpreter's stack here.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


@define(slots=True)
class Answer:
    """A gateway's answer, read whole within the client's bounds: status, headers and body."""

    status_code: int
    content: bytes
    headers: httpx.Headers
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH

    def json(self) -> Any:
        """The body as JSON, no deeper than `max_json_depth`; raises errors.UnexpectedResponseBody."""
        try:
            data = json.loads(self.content)
        except RecursionError:
            raise self._too_deep() from None
        except ValueError as exc:
            raise errors.UnexpectedResponseBody(
                self.status_code, self.content, f"not JSON: {exc}"
            ) from None
        if isinstance(data, dict | list) and _nesting_depth_over(
            self.content, data, self.max_json_depth
        ):
            raise self._too_deep()
        return data

    def _too_deep(self) -> errors.AnswerTooDeep:
        return errors.AnswerTooDeep(
            self.status_code,
            self.content,
            f"JSON nested deeper than max_json_depth ({self.max_json_depth})",
        )

    def error(self, parse: Callable[[], Any]) -> errors.GatewayError:
        """The typed error for this error status; `parse` gives the declared model, if any."""
        try:
            data = self.json()
        except errors.AnswerTooDeep:
            raise
        except errors.UnexpectedResponseBody:
            data = None
        try:
            parsed = parse()
        except errors.ResponseError:
            parsed = None
        response = Response(
            status_code=self.status_code, content=self.content, headers=self.headers, parsed=parsed
        )
        return errors.error_for_status(
            response, errors.detail_message(data, self.content), retry_after_seconds(self.headers)
        )


class _BoundedBody:
    """The body of one answer, collected chunk by chunk within the size cap and the deadline."""

    def __init__(self, response: httpx.Response, max_bytes: int, deadline: float | None) -> None:
        self.response = response
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.chunks: list[bytes] = []
        self.size = 0
        declared = response.headers.get("content-length", "")
        self.declared = int(declared) if declared.isdigit() else None
        if self.declared is not None and self.declared > max_bytes:
            raise self.too_large(f"Content-Length {self.declared}")

    def too_large(self, what: str) -> errors.AnswerTooLarge:
        return errors.AnswerTooLarge(
            self.response.status_code,
            b"".join(self.chunks)[: errors.QUOTED_BODY_LENGTH],
            f"{what} is over max_answer_bytes ({self.max_bytes})",
        )

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise self.too_large(f"the decompressed body (over {self.size} bytes)")
        if self.response.num_bytes_downloaded > self.max_bytes:
            raise self.too_large(
                f"the body as sent (over {self.response.num_bytes_downloaded} bytes)"
            )
        self.chunks.append(chunk)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise errors.DeadlineExceeded("the answer did not arrive whole before the deadline")

    def expects_more(self) -> bool:
        """Whether the body is still arriving (its length unknown, or not reached yet)."""
        # A transport that hands over a body already read counts no download: use its size.
        received = self.response.num_bytes_downloaded or self.size
        return self.declared is None or received < self.declared

    def content(self) -> bytes:
        return b"".join(self.chunks)


def _cut_connection(response: httpx.Response) -> None:
    # Unblocks a read in progress in another thread: the deadline holds even while bytes trickle.
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _read_sync(response: httpx.Response, max_bytes: int, deadline: float | None) -> bytes:
    body = _BoundedBody(response, max_bytes, deadline)
    watchdog: threading.Timer | None = None
    try:
        for chunk in response.iter_bytes():
            body.add(chunk)
            # Only a body that keeps arriving needs a watchdog; most answers come in one read.
            if watchdog is None and deadline is not None and body.expects_more():
                watchdog = threading.Timer(
                    max(0.0, deadline - time.monotonic()), _cut_connection, (response,)
                )
                watchdog.daemon = True
                watchdog.start()
    finally:
        if watchdog is not None:
            watchdog.cancel()
    return body.content()


async def _read_async(response: httpx.Response, max_bytes: int, deadline: float | None) -> bytes:
    body = _BoundedBody(response, max_bytes, deadline)
    async for chunk in response.aiter_bytes():
        body.add(chunk)
    return body.content()


class _JoinedUrls:
    """Operation paths joined to an httpx client's base URL, each joined once.

    httpx parses a relative URL and joins it to `base_url` on every request, which is a good part
    of a call's cost; an absolute `httpx.URL` it takes as is. The join is httpx's own rule (the
    base's path, then the path without its leading slash), and a new `base_url` on the httpx
    client (another object) starts afresh.
    """

    LIMIT = 64

    def __init__(self) -> None:
        # One tuple, read once per call: a call racing a change of base never mixes the two.
        self.state: tuple[httpx.URL | None, dict[str, httpx.URL]] = (None, {})

    def __call__(self, base: httpx.URL, url: str) -> httpx.URL:
        known_base, joined_urls = self.state
        if base is not known_base or len(joined_urls) >= self.LIMIT:
            # A new base, or paths with parameters in them: start afresh, staying bounded.
            joined_urls = {}
            self.state = (base, joined_urls)
        joined = joined_urls.get(url)
        if joined is None:
            relative = httpx.URL(url)
            joined = relative
            if relative.is_relative_url:
                joined = base.copy_with(raw_path=base.raw_path + relative.raw_path.lstrip(b"/"))
            joined_urls[url] = joined
        return joined


@functools.lru_cache(maxsize=64)
def _httpx_timeout(total: float | None, connect: float) -> tuple[httpx.Timeout, dict[str, Any]]:
    timeout = httpx.Timeout(total, connect=connect if total is None else min(connect, total))
    return timeout, timeout.as_dict()


class _Attempt:
    """One send: its deadline, and whether it opened a new connection.

    httpcore's trace tells which: a request's first event is the connection's `connect_tcp`
    (or `connect_unix_socket`, through a proxy or not) when it opens one, and its first HTTP
    event (`http11.send_request_headers`, `http2...`) when it reuses one.
    Once that first event is seen the trace is removed from the request, so the rest of the
    exchange is not traced (httpcore reads the request's extensions at each step).
    """

    def __init__(self, total: float | None, connect: float) -> None:
        self.total = total
        self.timeout, self._timeout_extension = _httpx_timeout(total, connect)
        self.deadline = None if total is None else time.monotonic() + total
        self.opened_connection: bool | None = None
        self.extensions: dict[str, Any] = {}

    def build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        request_kwargs: dict[str, Any],
        asynchronous: bool,
    ) -> httpx.Request:
        """The request, with this attempt's timeout and trace in its extensions."""
        extensions = {
            # Given as httpx's extension, so httpx need not build a Timeout for each request.
            "timeout": dict(self._timeout_extension),
            "trace": self.async_trace if asynchronous else self.trace,
        }
        request = http.build_request(**request_kwargs, extensions=extensions)
        self.extensions = request.extensions
        return request

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if self.opened_connection is None:
            # "connection.connect_tcp.started", "socks.connect_tcp.started", ...: a new one.
            self.opened_connection = event.split(".")[1].startswith("connect_")
            self.extensions.pop("trace", None)

    async def async_trace(self, event: str, info: dict[str, Any]) -> None:
        self.trace(event, info)

    def reused_connection(self) -> bool:
        """Whether the request went out on a kept-alive connection (False when unknown)."""
        return self.opened_connection is False

    def overdue(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def deadline_error(self) -> errors.DeadlineExceeded:
        return errors.DeadlineExceeded(
            f"no whole answer within the {self.total:g} s deadline (timeout)"
        )


def _timeouts(timeout: TimeoutSetting, connect: float) -> tuple[float | None, float]:
    """(whole-answer deadline, connect timeout) of a `timeout` setting."""
    if isinstance(timeout, httpx.Timeout):
        return timeout.read, timeout.connect if timeout.connect is not None else connect
    return timeout, connect


@define
class GatewayClient:
    """What both clients share: the gateway's address, connection settings and answer bounds.

    Keyword arguments, used to build the underlying httpx clients:

        ``base_url``: the gateway's address; every operation's path is relative to it.

        ``cookies``, ``headers``: sent with every request.

        ``timeout``: seconds for a whole answer, from sending to its last byte (default
        DEFAULT_TIMEOUT); past it an operation raises ``errors.DeadlineExceeded``. An
        ``httpx.Timeout`` gives its ``read`` value as that deadline and its ``connect`` value
        as the connect timeout. Each operation also takes ``timeout=`` for one call.

        ``connect_timeout``: seconds to open a connection (default DEFAULT_CONNECT_TIMEOUT).

        ``max_answer_bytes``: largest answer read, as sent and decompressed (default
        DEFAULT_MAX_ANSWER_BYTES, the largest answer the API allows); over it an operation raises
        ``errors.AnswerTooLarge``. ``max_json_depth``: deepest JSON nesting read (default
        DEFAULT_MAX_JSON_DEPTH); deeper raises ``errors.AnswerTooDeep``.

        ``raise_on_error_status``: raise a typed ``errors.GatewayError`` for every 4xx and 5xx
        answer, whatever its body (default True); when False, a declared error status returns its
        parsed body as before.

        ``resend_on_stale_connection``: send a request once more, on a new connection, when it
        failed on a reused keep-alive connection the gateway had closed, before any byte of an
        answer (default True).

        ``retries``: a ``Retries`` to retry 429, 503 and failed connections (default None: no
        retries).

        ``verify_ssl``: whether to verify the server's certificate (keep True in production).

        ``follow_redirects``: whether to follow redirects (default False).

        ``httpx_args``: further arguments for the ``httpx.Client`` and ``httpx.AsyncClient``.

        ``raise_on_unexpected_status``: raise ``errors.UnexpectedStatus`` when the gateway answers
        a status the API description does not declare (default True); when False, the operation
        returns None (``parsed`` is None in the detailed variants).

    """

    raise_on_unexpected_status: bool = field(default=True, kw_only=True)
    raise_on_error_status: bool = field(default=True, kw_only=True)
    resend_on_stale_connection: bool = field(default=True, kw_only=True)
    retries: Retries | None = field(default=None, kw_only=True)
    max_answer_bytes: int = field(default=DEFAULT_MAX_ANSWER_BYTES, kw_only=True)
    max_json_depth: int = field(default=DEFAULT_MAX_JSON_DEPTH, kw_only=True)
    connect_timeout: float = field(default=DEFAULT_CONNECT_TIMEOUT, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: TimeoutSetting = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)
    _urls: _JoinedUrls = field(factory=_JoinedUrls, init=False, repr=False, eq=False)
    _async_urls: _JoinedUrls = field(factory=_JoinedUrls, init=False, repr=False, eq=False)

    @property
    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate a request: none unless the client holds a token."""
        return {}

    def with_headers(self, headers: dict[str, str]) -> Self:
        """A copy of this client that also sends `headers`."""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> Self:
        """A copy of this client that also sends `cookies`."""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: TimeoutSetting) -> Self:
        """A copy of this client with another whole-answer deadline (see ``timeout``)."""
        copy = evolve(self, timeout=timeout)
        if self._client is not None:
            self._client.timeout = copy._httpx_timeout()
        if self._async_client is not None:
            self._async_client.timeout = copy._httpx_timeout()
        return copy

    def _httpx_timeout(self) -> httpx.Timeout:
        total, connect = _timeouts(self._timeout, self.connect_timeout)
        return _Attempt(total, connect).timeout

    def _httpx_settings(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            # No auth_headers: each operation adds them, so other URLs fetched with this
            # httpx client (a media URL on another host) never receive the token.
            "headers": self._headers,
            "timeout": self._httpx_timeout(),
            "verify": self._verify_ssl,
            "follow_redirects": self._follow_redirects,
            **self._httpx_args,
        }

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Use `client` for synchronous calls; its own settings replace this client's, but the
        authentication header is still sent with every operation."""
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """The httpx.Client synchronous calls use, built on first use unless one was set."""
        if self._client is None:
            self._client = httpx.Client(**self._httpx_settings())
        return self._client

    def __enter__(self) -> Self:
        """Open the underlying httpx.Client (a client can be entered only once)."""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        """Close the underlying httpx.Client."""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Use `async_client` for asynchronous calls; its own settings replace this client's, but
        the authentication header is still sent with every operation."""
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """The httpx.AsyncClient asynchronous calls use, built on first use unless one was set."""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(**self._httpx_settings())
        return self._async_client

    async def __aenter__(self) -> Self:
        """Open the underlying httpx.AsyncClient (a client can be entered only once)."""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: object, **kwargs: Any) -> None:
        """Close the underlying httpx.AsyncClient."""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)


@define
class Client(GatewayClient):
    """A client for operations that need no authentication; its arguments are GatewayClient's."""


@define
class AuthenticatedClient(GatewayClient):
    """A client for secured operations: sends ``Authorization: Bearer <token>`` with each call.

    The header is added to every operation's request, so it is sent also through an httpx
    client given with ``set_httpx_client``; the token never appears in ``repr()``. Its
    arguments are GatewayClient's, and:

        ``token``: the bearer token; ``prefix`` (default "Bearer", empty for none) and
        ``auth_header_name`` (default "Authorization") shape the header.
    """

    token: str = field(repr=False)
    prefix: str = "Bearer"
    auth_header_name: str = "Authorization"

    @property
    def auth_headers(self) -> dict[str, str]:
        """The header that carries the token."""
        value = f"{self.prefix} {self.token}" if self.prefix else self.token
        return {self.auth_header_name: value}


def _attempt(client: GatewayClient, timeout: TimeoutSetting | Unset) -> _Attempt:
    setting = client._timeout if isinstance(timeout, Unset) else timeout
    return _Attempt(*_timeouts(setting, client.connect_timeout))


def _answer(client: GatewayClient, response: httpx.Response, content: bytes) -> Answer:
    return Answer(response.status_code, content, response.headers, client.max_json_depth)


class _Retrying:
    """The retries of one call: how many were made and how long they waited."""

    def __init__(self, client: GatewayClient) -> None:
        self.retries = client.retries
        self.retry = 0
        self.waited = 0.0

    def wait_after(self, outcome: Answer | httpx.HTTPError) -> float | None:
        """Seconds to wait before sending again; None for a final answer (a final error is raised)."""
        self.retry += 1
        wait = self._wait(outcome)
        if wait is None and isinstance(outcome, httpx.HTTPError):
            raise outcome
        self.waited += wait or 0.0
        return wait

    def _wait(self, outcome: Answer | httpx.HTTPError) -> float | None:
        retries = self.retries
        if retries is None or isinstance(outcome, errors.DeadlineExceeded):
            return None
        if isinstance(outcome, Answer):
            if not retries.retries_status(outcome.status_code):
                return None
            return retries.wait(self.retry, self.waited, retry_after_seconds(outcome.headers))
        if isinstance(outcome, _CONNECT_FAILURES) and retries.connect_errors:
            return retries.wait(self.retry, self.waited)
        if isinstance(outcome, _LOST_CONNECTION) and retries.after_sending:
            return retries.wait(self.retry, self.waited)
        return None


def _send_once(
    client: GatewayClient, request_kwargs: dict[str, Any], timeout: TimeoutSetting | Unset
) -> Answer:
    http = client.get_httpx_client()
    request_kwargs = {**request_kwargs, "url": client._urls(http.base_url, request_kwargs["url"])}
    for resend in (False, True):
        attempt = _attempt(client, timeout)
        request = attempt.build_request(http, request_kwargs, asynchronous=False)
        try:
            response = http.send(request, stream=True)
        except _LOST_CONNECTION:
            if resend or not attempt.reused_connection() or not client.resend_on_stale_connection:
                raise
            continue
        except httpx.TimeoutException as exc:
            if attempt.overdue():
                raise attempt.deadline_error() from exc
            raise
        try:
            return _answer(
                client, response, _read_sync(response, client.max_answer_bytes, attempt.deadline)
            )
        except (httpx.TimeoutException, *_LOST_CONNECTION) as exc:
            # The watchdog ends a trickling answer by cutting its connection.
            if attempt.overdue():
                raise attempt.deadline_error() from exc
            raise
        finally:
            response.close()
    raise AssertionError("unreachable")


def exchange(
    client: GatewayClient, request_kwargs: dict[str, Any], timeout: TimeoutSetting | Unset
) -> Answer:
    """Send one operation's request and read its answer within the bounds, retrying as set."""
    if client.retries is None:
        return _send_once(client, request_kwargs, timeout)
    retrying = _Retrying(client)
    while True:
        try:
            outcome: Answer | httpx.HTTPError = _send_once(client, request_kwargs, timeout)
        except httpx.HTTPError as exc:
            outcome = exc
        wait = retrying.wait_after(outcome)
        if wait is None:
            return outcome
        time.sleep(wait)


async def _send_once_async(
    client: GatewayClient, request_kwargs: dict[str, Any], timeout: TimeoutSetting | Unset
) -> Answer:
    import asyncio

    http = client.get_async_httpx_client()
    request_kwargs = {
        **request_kwargs,
        "url": client._async_urls(http.base_url, request_kwargs["url"]),
    }
    for resend in (False, True):
        attempt = _attempt(client, timeout)
        request = attempt.build_request(http, request_kwargs, asynchronous=True)
        try:
            async with asyncio.timeout(attempt.total):
                try:
                    response = await http.send(request, stream=True)
                except _LOST_CONNECTION:
                    if (
                        resend
                        or not attempt.reused_connection()
                        or not client.resend_on_stale_connection
                    ):
                        raise
                    continue
                try:
                    content = await _read_async(response, client.max_answer_bytes, attempt.deadline)
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise attempt.deadline_error() from exc
        except httpx.TimeoutException as exc:
            if attempt.overdue() or isinstance(exc, errors.DeadlineExceeded):
                raise attempt.deadline_error() from exc
            raise
        return _answer(client, response, content)
    raise AssertionError("unreachable")


async def exchange_async(
    client: GatewayClient, request_kwargs: dict[str, Any], timeout: TimeoutSetting | Unset
) -> Answer:
    """The asynchronous `exchange`."""
    import asyncio  # here, not at the top: importing it would slow every synchronous caller's start

    if client.retries is None:
        return await _send_once_async(client, request_kwargs, timeout)
    retrying = _Retrying(client)
    while True:
        try:
            outcome: Answer | httpx.HTTPError = await _send_once_async(
                client, request_kwargs, timeout
            )
        except httpx.HTTPError as exc:
            outcome = exc
        wait = retrying.wait_after(outcome)
        if wait is None:
            return outcome
        await asyncio.sleep(wait)

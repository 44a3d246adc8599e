"""The clients that hold a gateway's address and connection settings."""

import ssl
from typing import Any, Self

import httpx
from attrs import define, evolve, field


@define
class Client:
    """A client for operations that need no authentication.

    Keyword arguments, used to build the underlying httpx clients:

        ``base_url``: the gateway's address; every operation's path is relative to it.

        ``cookies``, ``headers``: sent with every request.

        ``timeout``: an ``httpx.Timeout``; operations raise ``httpx.TimeoutException`` past it.

        ``verify_ssl``: whether to verify the server's certificate (keep True in production).

        ``follow_redirects``: whether to follow redirects (default False).

        ``httpx_args``: further arguments for the ``httpx.Client`` and ``httpx.AsyncClient``.

        ``raise_on_unexpected_status``: raise ``errors.UnexpectedStatus`` when the gateway answers
        a status the API description does not declare (default True); when False, the operation
        returns None (``parsed`` is None in the detailed variants).

    """

    raise_on_unexpected_status: bool = field(default=True, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: httpx.Timeout | None = field(default=None, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    @property
    def auth_headers(self) -> dict[str, str]:
        """The headers that authenticate a request: none for this client."""
        return {}

    def with_headers(self, headers: dict[str, str]) -> "Client":
        """A copy of this client that also sends `headers`."""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "Client":
        """A copy of this client that also sends `cookies`."""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> "Client":
        """A copy of this client with another timeout."""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def _httpx_settings(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            # No auth_headers: each operation adds them, so other URLs fetched with this
            # httpx client (a media URL on another host) never receive the token.
            "headers": self._headers,
            "timeout": self._timeout,
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
class AuthenticatedClient:
    """A client for secured operations: sends ``Authorization: Bearer <token>`` with each call.

    The header is added to every operation's request, so it is sent also through an httpx
    client given with ``set_httpx_client``; the token never appears in ``repr()``.

    Keyword arguments, used to build the underlying httpx clients:

        ``base_url``: the gateway's address; every operation's path is relative to it.

        ``cookies``, ``headers``: sent with every request.

        ``timeout``: an ``httpx.Timeout``; operations raise ``httpx.TimeoutException`` past it.

        ``verify_ssl``: whether to verify the server's certificate (keep True in production).

        ``follow_redirects``: whether to follow redirects (default False).

        ``httpx_args``: further arguments for the ``httpx.Client`` and ``httpx.AsyncClient``.

        ``raise_on_unexpected_status``: raise ``errors.UnexpectedStatus`` when the gateway answers
        a status the API description does not declare (default True); when False, the operation
        returns None (``parsed`` is None in the detailed variants).

        ``token``: the bearer token; ``prefix`` (default "Bearer", empty for none) and
        ``auth_header_name`` (default "Authorization") shape the header.
    """

    raise_on_unexpected_status: bool = field(default=True, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: httpx.Timeout | None = field(default=None, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    token: str = field(repr=False)
    prefix: str = "Bearer"
    auth_header_name: str = "Authorization"

    @property
    def auth_headers(self) -> dict[str, str]:
        """The header that carries the token."""
        value = f"{self.prefix} {self.token}" if self.prefix else self.token
        return {self.auth_header_name: value}

    def with_headers(self, headers: dict[str, str]) -> "AuthenticatedClient":
        """A copy of this client that also sends `headers`."""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "AuthenticatedClient":
        """A copy of this client that also sends `cookies`."""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> "AuthenticatedClient":
        """A copy of this client with another timeout."""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def _httpx_settings(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "cookies": self._cookies,
            # No auth_headers: each operation adds them, so other URLs fetched with this
            # httpx client (a media URL on another host) never receive the token.
            "headers": self._headers,
            "timeout": self._timeout,
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

"""The options of one conformance run, and the profiles that decide which checks it runs."""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import httpx

from livepeer_conformance.bounded import DEFAULT_MAX_RESPONSE_BYTES, MediaLimits
from livepeer_conformance.cheap import CHEAP, UNCAPPED, CheapLimits

Profile = Literal["core", "livepeer", "strict"]
#: How the embedded gateway points to its images (`--media-urls`), as the reference gateway's
#: `MediaUrls` says.
EmbeddedMediaUrls = Literal["data", "http"]
#: The values of `--media-urls`, the default first.
EMBEDDED_MEDIA_URLS: tuple[str, ...] = get_args(EmbeddedMediaUrls)

#: Profiles, strictest last: what the spec says, plus the runners' semantics, plus determinism.
PROFILES: tuple[Profile, ...] = ("core", "livepeer", "strict")
DEFAULT_PROFILE: Profile = "livepeer"

#: Checks about authentication, dropped for a gateway that is open on purpose (`--auth none`):
#: with no credentials sent, none can be ignored or come back.
AUTH_CHECKS: frozenset[str] = frozenset({"ignored_auth", "token_not_echoed"})

#: Requests a default run may send: enough to cover every check on every operation once,
#: few enough that a run against a paid gateway costs a handful of small images.
DEFAULT_MAX_REQUESTS = 500
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_EXAMPLES = 5
DEFAULT_REPORT_DIR = Path("reports")
#: What fails a run by default (`--fail-on`): a departure (exit 1) and an incomplete run (exit 3).
FAIL_ON: tuple[str, ...] = ("departures", "incomplete")
#: Header values shorter than this are printed: so short a value is no credential, and
#: redacting every occurrence of it would garble every report.
MIN_REDACTED_HEADER = 4


@dataclass(frozen=True)
class Transport:
    """How the suite's requests reach the gateway (`-H`, the TLS options, `--proxy`): read by
    every place that sends, through `client_options` and `ssl_context`."""

    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    verify: bool = True
    cacert: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    #: `--proxy`; without it the environment's proxy variables, when `env_proxies`.
    proxy: str | None = field(default=None, repr=False)
    env_proxies: bool = True

    def proxy_for(self, url: str) -> str | None:
        """The proxy a request to `url` goes through: `--proxy`, else the environment's
        (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, less `NO_PROXY`), else none."""
        if self.proxy or not self.env_proxies:
            return self.proxy
        parts = httpx.URL(url)
        if urllib.request.proxy_bypass_environment(parts.host):
            return None
        found = urllib.request.getproxies_environment()
        return found.get(parts.scheme) or found.get("all")


def proxy_shown(proxy: str | None) -> str:
    """`proxy` as messages name it: without its user and password."""
    return str(httpx.URL(proxy).copy_with(username=None, password=None)) if proxy else ""


@lru_cache(maxsize=8)
def ssl_context(transport: Transport) -> ssl.SSLContext:
    """The TLS context of every connection the suite makes: `--cacert` or the default
    authorities (`SSL_CERT_FILE`/`SSL_CERT_DIR` when set, else certifi's), no verification
    with `--no-tls-verify`, and the client certificate. Raises `ssl.SSLError` or `OSError`."""
    if transport.verify and transport.cacert is not None:
        context = ssl.create_default_context(cafile=transport.cacert)
    else:
        context = httpx.create_ssl_context(verify=transport.verify)
    if transport.client_cert is not None:
        context.load_cert_chain(transport.client_cert, transport.client_key)
    return context


def client_options(
    config: RunConfig,
    url: str | None = None,
    *,
    gateway_headers: bool = True,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments of every httpx client or request the suite makes to `url` (by default
    the gateway): timeout, TLS, proxy, and the `-H` headers unless `gateway_headers` is off
    (media URLs may be on another host, which gets no header meant for the gateway), and
    `headers` of the caller's own."""
    transport = config.transport
    options: dict[str, Any] = {
        "timeout": httpx.Timeout(config.request_timeout),
        "verify": ssl_context(transport),
        # The proxy is resolved here, once for every sender, so httpx reads no environment.
        "trust_env": False,
        "proxy": transport.proxy_for(url or config.base_url or ""),
    }
    if gateway_headers:
        options["headers"] = {**dict(transport.headers), **(headers or {})}
    return options


@dataclass(frozen=True)
class RunConfig:
    """Everything a conformance run needs to know, fixed before it starts."""

    spec_path: Path
    base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    profile: Profile = DEFAULT_PROFILE
    max_requests: int = DEFAULT_MAX_REQUESTS
    rate_limit: float | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    seed: int | None = None
    model_ids: Mapping[str, str] = field(default_factory=dict)
    #: Paths of the operations to check; empty means every operation of the spec.
    operations: frozenset[str] = frozenset()
    max_examples: int = DEFAULT_MAX_EXAMPLES
    allow_large: bool = False
    #: Ceilings on the requests the spec and property phases draw or fill in (the defaults,
    #: lifted by `--allow-large`, lowered by `--max-side`, `--max-steps`, `--max-images`).
    limits: CheapLimits = CHEAP
    #: The ceilings the user set (`--max-side`, `--max-steps`, `--max-images`), which also hold
    #: the edge probes a conforming gateway serves: the spec's extremes otherwise.
    user_limits: CheapLimits = UNCAPPED
    report_dir: Path = DEFAULT_REPORT_DIR
    baseline: Path | None = None
    write_baseline: Path | None = None
    faults: frozenset[str] = frozenset()
    #: How the embedded gateway points to its images (`--media-urls`): `data` or `http`.
    media_urls: EmbeddedMediaUrls = "data"
    #: The gateway is open on purpose (`--auth none`): no credentials, no authentication checks.
    open_gateway: bool = False
    #: Checks left out of the run (`--exclude-check`), by name.
    excluded_checks: frozenset[str] = frozenset()
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    #: What the run fetches of the media URLs answers point to (`--max-media-*`).
    media_limits: MediaLimits = MediaLimits()
    transport: Transport = Transport()
    #: Stop the run once this many departures that fail it are found (`--max-failures`).
    max_failures: int | None = None
    #: What makes the run exit non-zero (`--fail-on`): departures, an incomplete run, or both.
    fail_on: frozenset[str] = frozenset(FAIL_ON)

    def reported_options(self) -> dict[str, object]:
        """What the run chose, as every report states it (no secret: header names only)."""
        return {
            "profile": self.profile,
            "max_requests": self.max_requests,
            "max_examples": self.max_examples,
            "seed": self.seed,
            "timeout_seconds": self.request_timeout,
            "rate_limit": self.rate_limit,
            "ceilings": self.limits.ceilings(),
            "user_ceilings": self.user_limits.ceilings(),
            "allow_large": self.allow_large,
            "model_ids": dict(sorted(self.model_ids.items())),
            "operations": sorted(self.operations),
            "excluded_checks": sorted(self.excluded_checks),
            "auth": "none" if self.open_gateway else "bearer",
            "extra_headers": sorted(name for name, _ in self.transport.headers),
            "max_failures": self.max_failures,
            "fail_on": sorted(self.fail_on),
            "faults": sorted(self.faults),
        }

    @property
    def runs_properties(self) -> bool:
        """Whether the semantic properties run (every profile but `core`)."""
        return self.profile != "core"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never be written anywhere: the token, the `-H` header values and
        the proxy's password."""
        values = [value for _, value in self.transport.headers if len(value) >= MIN_REDACTED_HEADER]
        proxy = httpx.URL(self.transport.proxy) if self.transport.proxy else None
        if proxy is not None and proxy.password:
            values.append(proxy.password)
        return tuple(filter(None, (self.token, *values)))

    def runs_check(self, name: str) -> bool:
        """Whether the run holds gateways to the check `name` (`--exclude-check`, `--auth none`)."""
        return name not in self.excluded_checks and not (self.open_gateway and name in AUTH_CHECKS)

    def checks_operation(self, path: str) -> bool:
        """Whether the run checks the operation at `path`."""
        return not self.operations or path in self.operations

    def model_id_for(self, path: str) -> str | None:
        """The model id pinned for the operation at `path`, if any."""
        return self.model_ids.get(path)


def profile_includes(profile: Profile, required: Profile) -> bool:
    """Whether `profile` is at least as strict as `required`."""
    return PROFILES.index(profile) >= PROFILES.index(required)

"""The command line's values, each checked before the first request, made into a `RunConfig`.

Every check fails with a `UsageError` of one line (exit 2): URLs, minimums, TLS files, headers,
the baseline, writable outputs, operation names and model pins.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import TOKEN_ENV

from livepeer_conformance.baseline import load_baseline
from livepeer_conformance.bounded import (
    ANSWER_WITHIN_LIMITS,
    MediaLimits,
)
from livepeer_conformance.cheap import CHEAP, UNCAPPED, CheapLimits
from livepeer_conformance.config import (
    EMBEDDED_MEDIA_URLS,
    FAIL_ON,
    RunConfig,
    Transport,
    ssl_context,
)
from livepeer_conformance.errors import UsageError
from livepeer_conformance.evidence import header_variable

#: The largest certificate or key file read (`--cacert`, `--client-cert`, `--client-key`).
MAX_PEM_BYTES = 4 * 2**20

#: Headers the suite sets itself, which `-H` may not replace.
RESERVED_HEADERS = frozenset(
    {"authorization", "host", "content-length", "content-type", "transfer-encoding", "connection"}
)

#: An HTTP header name (RFC 9110's token).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _operation_path(name: str, document: dict[str, Any], option: str) -> str:
    """The path of the operation `name` (an operationId, a path, or a path without '/')."""
    operations = {op.operation_id: op.path for op in spec.served_operations(document).values()}
    by_name = {**operations, **{p: p for p in operations.values()}}
    by_name |= {p.lstrip("/"): p for p in operations.values()}
    if name not in by_name:
        raise UsageError(f"{option}: unknown operation {name!r} (one of {', '.join(operations)})")
    return by_name[name]


def _model_ids(pairs: Sequence[str], document: dict[str, Any]) -> dict[str, str]:
    """`OP=ID` pairs keyed by operation path."""
    pinned: dict[str, str] = {}
    for pair in pairs:
        name, separator, model_id = pair.partition("=")
        if not separator or not model_id:
            raise UsageError(f"--model-id expects OP=ID, got {pair!r}")
        pinned[_operation_path(name, document, "--model-id")] = model_id
    return pinned


#: Each ceiling option, its `CheapLimits` field and the request fields it holds.
_CEILINGS = (
    ("max_side", "max_side", ("width", "height")),
    ("max_steps", "max_steps", ("num_inference_steps",)),
    ("max_images", "max_images", ("num_images_per_prompt",)),
)


def _user_limits(args: argparse.Namespace) -> CheapLimits:
    return replace(UNCAPPED, **{field: getattr(args, dest) for dest, field, _ in _CEILINGS})


def _limits(args: argparse.Namespace, document: dict[str, Any]) -> CheapLimits:
    """The ceilings of drawn requests: the defaults (none with `--allow-large`), each lowered
    by the option that names it; an option below the spec's own minimum is refused."""
    limits = UNCAPPED if args.allow_large else CHEAP
    for dest, field, names in _CEILINGS:
        value = getattr(args, dest)
        if value is None:
            continue
        option = "--" + dest.replace("_", "-")
        for op in spec.served_operations(document).values():
            path, properties = op.path, op.properties
            for name in names:
                low = properties.get(name, {}).get("minimum")
                if low is not None and value < low:
                    raise UsageError(
                        f"{option} {value} is below {name}'s minimum ({low}) on {path}"
                    )
        current = getattr(limits, field)
        limits = replace(limits, **{field: value if current is None else min(value, current)})
    return limits


def _baseline_dir(path: Path | None) -> tuple[Path, str]:
    return (path.parent if path else Path("."), "baseline directory")


def check_names() -> frozenset[str]:
    """Every check a run can report, by name (what `--exclude-check` accepts)."""
    from livepeer_conformance.answer_conformance import CHECKS as ANSWER_CHECKS
    from livepeer_conformance.properties import PROPERTIES
    from livepeer_conformance.results import (
        GATEWAY_AVAILABLE,
        GATEWAY_REACHABLE,
        RESPONDS_WITHIN_TIMEOUT,
    )
    from livepeer_conformance.spec_checks import SPEC_CHECKS
    from livepeer_conformance.token_echo import TOKEN_NOT_ECHOED

    names = {*SPEC_CHECKS, *ANSWER_CHECKS, *PROPERTIES, GATEWAY_REACHABLE, RESPONDS_WITHIN_TIMEOUT}
    names |= {GATEWAY_AVAILABLE, TOKEN_NOT_ECHOED, ANSWER_WITHIN_LIMITS}
    return frozenset(names)


def _http_url(text: str, option: str) -> httpx.URL:
    """`text` checked as an http(s) URL with a host, no spaces, query or fragment."""
    if not text.startswith(("http://", "https://")):
        raise UsageError(f"{option} must be an http(s) URL, got {text!r}")
    if any(character.isspace() for character in text):
        raise UsageError(f"{option} must not contain spaces, got {text!r}")
    try:
        url = httpx.URL(text)
        url.port  # noqa: B018 - a port that is not a number raises here
    except (httpx.InvalidURL, ValueError):
        raise UsageError(f"{option} is not a valid URL") from None
    if not url.host:
        raise UsageError(f"{option} has no host")
    if "?" in text or "#" in text:
        raise UsageError(f"{option} must not have a query or a fragment (? or #)")
    return url


def _base_url(text: str | None) -> str | None:
    """`--base-url` checked: an http(s) URL with a host, and no credentials in it."""
    if text is None:
        return None
    if _http_url(text, "--base-url").userinfo:
        raise UsageError(
            f"--base-url must not carry credentials (user:pass@); the token comes from ${TOKEN_ENV}"
        )
    return text.rstrip("/")


def _proxy(text: str | None) -> str | None:
    """`--proxy` checked: an http(s) URL with a host and no path."""
    if text is None:
        return None
    if _http_url(text, "--proxy").path not in ("", "/"):
        raise UsageError("--proxy must be a proxy's origin (scheme, host and port), not a path")
    return text


def _header(text: str) -> tuple[str, str]:
    """`-H 'NAME: VALUE'` checked: a header name, a value an HTTP header can carry."""
    name, separator, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not separator or not _HEADER_NAME.fullmatch(name):
        raise UsageError("-H expects 'NAME: VALUE' with a header name before the colon")
    if name.lower() in RESERVED_HEADERS:
        raise UsageError(
            f"-H {name}: the suite sets this header itself (the token comes from ${TOKEN_ENV})"
        )
    if not (value.isascii() and value.isprintable()):
        raise UsageError(f"-H {name}: the value holds characters an HTTP header cannot carry")
    return name, value


def _headers(texts: Sequence[str]) -> tuple[tuple[str, str], ...]:
    headers = [_header(text) for text in texts]
    names = [name.lower() for name, _ in headers]
    if twice := sorted({name for name in names if names.count(name) > 1}):
        raise UsageError(f"-H {twice[0]} is given more than once")
    # Reproducers read each value from a variable named after the header: one per header.
    variables = [header_variable(name) for name, _ in headers]
    if shared := sorted({v for v in variables if variables.count(v) > 1}):
        clashing = [name for name, _ in headers if header_variable(name) == shared[0]]
        raise UsageError(
            f"-H {' and -H '.join(clashing)}: reproducers would read both from ${shared[0]}"
        )
    return tuple(headers)


def _pem_file(path: Path | None, option: str) -> Path | None:
    """`path` checked: a regular, readable file of at most `MAX_PEM_BYTES`."""
    if path is None:
        return None
    try:
        if not path.is_file():
            raise UsageError(f"{option} {path}: not a regular file")
        if path.stat().st_size > MAX_PEM_BYTES:
            raise UsageError(f"{option} {path}: larger than {MAX_PEM_BYTES} bytes")
        with path.open("rb"):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror}") from None
    return path


def _transport(args: argparse.Namespace, base_url: str | None) -> Transport:
    """The transport options checked, the TLS files read and parsed once before any request."""
    given = [
        option
        for option, value in (
            ("--no-tls-verify", not args.tls_verify),
            ("--cacert", args.cacert),
            ("--client-cert", args.client_cert),
            ("--client-key", args.client_key),
            ("--proxy", args.proxy),
        )
        if value
    ]
    if given and base_url is None:
        raise UsageError(f"{given[0]} applies to a gateway given with --base-url")
    if args.client_key and not args.client_cert:
        raise UsageError("--client-key needs --client-cert")
    if args.cacert and not args.tls_verify:
        raise UsageError("--cacert and --no-tls-verify contradict each other")
    transport = Transport(
        headers=_headers(args.header),
        verify=args.tls_verify,
        cacert=_pem_file(args.cacert, "--cacert"),
        client_cert=_pem_file(args.client_cert, "--client-cert"),
        client_key=_pem_file(args.client_key, "--client-key"),
        proxy=_proxy(args.proxy),
        # The embedded gateway is on loopback: no proxy stands between it and the suite.
        env_proxies=base_url is not None,
    )
    try:
        ssl_context(transport)
    except (ssl.SSLError, OSError) as exc:
        files = " / ".join(
            f"{option} {path}"
            for option, path in (
                ("--cacert", args.cacert),
                ("--client-cert", args.client_cert),
                ("--client-key", args.client_key),
            )
            if path
        )
        reason = getattr(exc, "reason", None) or exc.strerror or type(exc).__name__
        raise UsageError(f"{files}: not a usable PEM certificate or key ({reason})") from None
    return transport


def _can_create(directory: Path) -> bool:
    """Whether `directory` exists or could be made, tried (a file the system deletes at once, in
    its nearest existing ancestor) rather than read from permission bits, which root passes."""
    for candidate in (directory, *directory.absolute().parents):
        if candidate.exists():
            if not candidate.is_dir():
                return False
            try:
                with tempfile.TemporaryFile(dir=candidate):
                    return True
            except OSError:
                return False
    return False


def _can_write(path: Path) -> bool:
    """Whether the existing file `path` can be written, tried without changing it."""
    try:
        with path.open("ab"):
            return True
    except OSError:
        return False


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run's config from parsed arguments and the environment; raise UsageError or SpecError."""
    spec_file = args.spec or spec.spec_path()
    document = spec.load_spec(spec_file)
    if args.fault and args.base_url:
        raise UsageError("--fault applies to the embedded reference gateway, not to --base-url")
    if args.media_urls != EMBEDDED_MEDIA_URLS[0] and args.base_url:
        raise UsageError(
            "--media-urls applies to the embedded reference gateway, not to --base-url"
        )
    if args.fault:
        from livepeer_reference_gateway import FAULTS

        unknown = sorted(set(args.fault) - FAULTS.keys())
        if unknown:
            raise UsageError(f"unknown fault(s): {', '.join(unknown)}")
    for directory, what in ((args.report_dir, "report dir"), _baseline_dir(args.write_baseline)):
        if not _can_create(directory):
            raise UsageError(f"cannot create {what} {directory}")
    for path, what in ((args.write_baseline, "baseline"),):
        if path is not None and path.exists() and (path.is_dir() or not _can_write(path)):
            raise UsageError(f"cannot write {what} {path}")
    if args.baseline is not None:
        load_baseline(args.baseline)  # read and parsed now, so that no request is wasted
    base_url = _base_url(args.base_url)
    transport = _transport(args, base_url)
    unknown_checks = sorted(set(args.exclude_check) - check_names())
    if unknown_checks:
        raise UsageError(f"--exclude-check: unknown check(s): {', '.join(unknown_checks)}")
    open_gateway = args.auth == "none"
    token = None if open_gateway else (os.environ.get(TOKEN_ENV) or None)
    # An HTTP header carries printable ASCII only; say so rather than fail mid-run.
    if args.base_url and token is not None and not (token.isascii() and token.isprintable()):
        raise UsageError(f"${TOKEN_ENV} holds characters an HTTP header cannot carry")
    return RunConfig(
        spec_path=Path(spec_file),
        base_url=base_url,
        # The embedded gateway gets a fresh token per run, so that the auth checks mean something.
        token=token if args.base_url else secrets.token_urlsafe(24),
        profile=args.profile,
        max_requests=args.max_requests,
        rate_limit=args.rate_limit,
        request_timeout=args.timeout,
        seed=args.seed,
        model_ids=_model_ids(args.model_id, document),
        operations=frozenset(_operation_path(n, document, "--operation") for n in args.operation),
        # One example costs at least one request: more examples than requests cannot be sent.
        max_examples=min(args.max_examples, args.max_requests),
        allow_large=args.allow_large,
        limits=_limits(args, document),
        user_limits=_user_limits(args),
        report_dir=args.report_dir,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
        faults=frozenset(args.fault),
        open_gateway=open_gateway,
        excluded_checks=frozenset(args.exclude_check),
        max_response_bytes=args.max_response_bytes,
        media_limits=MediaLimits(
            args.max_media_fetches, args.max_media_bytes, args.max_media_seconds
        ),
        media_urls=args.media_urls,
        transport=transport,
        max_failures=args.max_failures,
        fail_on=frozenset(args.fail_on or FAIL_ON),
    )

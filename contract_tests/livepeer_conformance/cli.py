"""`livepeer-conformance run`: check a gateway against `openapi.yaml` and report where it departs.

Exit codes: 0 conforms; 1 departures found (not accepted by `--baseline`; departures from
`recommended` rules are advisories that count only under `--profile strict`); 2 could not run
(unreachable, credentials refused, a wrong argument or file); 3 incomplete (budget spent,
stopped, edge probes left unsent, or an operation or check never exercised); 130 interrupted
by Ctrl-C. `--fail-on` chooses which of 1 and 3 fail a run (else it exits 0).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import secrets
import signal
import ssl
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import TOKEN_ENV
from livepeer_gateway_spec.cli import EXIT_USAGE, OneLineParser, positive_float, positive_int

from livepeer_conformance.baseline import load_baseline
from livepeer_conformance.bounded import (
    ANSWER_WITHIN_LIMITS,
    DEFAULT_MAX_MEDIA_BYTES,
    DEFAULT_MAX_MEDIA_FETCHES,
    DEFAULT_MAX_MEDIA_SECONDS,
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_MEDIA_BYTES,
    MediaLimits,
)
from livepeer_conformance.budget import INTERRUPTED, RequestBudget
from livepeer_conformance.cheap import CHEAP, UNCAPPED, CheapLimits
from livepeer_conformance.config import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_PROFILE,
    DEFAULT_REPORT_DIR,
    DEFAULT_REQUEST_TIMEOUT,
    FAIL_ON,
    PROFILES,
    EmbeddedMediaUrls,
    RunConfig,
    Transport,
    ssl_context,
)
from livepeer_conformance.errors import ConformanceError, ReportNotWritten, UsageError
from livepeer_conformance.evidence import header_variable
from livepeer_conformance.outcome import EXIT_INTERRUPTED, Outcome, exit_code
from livepeer_conformance.redaction import redact

#: Seconds a stopped run has to wind down before its request in flight is abandoned.
STOP_GRACE_SECONDS = 2.0
#: The shortest `--timeout`: below it no gateway could answer, and the run would blame it.
MIN_REQUEST_TIMEOUT = 0.1
#: The slowest `--rate-limit` (requests per second): slower, a run would never end.
MIN_RATE_LIMIT = 0.01
#: The smallest `--max-response-bytes`: a declared error body must fit.
MIN_RESPONSE_BYTES = 1024
#: The largest certificate or key file read (`--cacert`, `--client-cert`, `--client-key`).
MAX_PEM_BYTES = 4 * 2**20
EMBEDDED_MEDIA_URLS: tuple[str, ...] = get_args(EmbeddedMediaUrls)
#: Headers the suite sets itself, which `-H` may not replace.
RESERVED_HEADERS = frozenset(
    {"authorization", "host", "content-length", "content-type", "transfer-encoding", "connection"}
)
#: An HTTP header name (RFC 9110's token).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


#: Errors that end a run before its outcome, and their exit codes: the one place they are mapped.
#: Every one of them means the run could not be made (`UsageError`, `BaselineError`,
#: `GatewayUnreachable`, `CredentialsRefused`, `ReportNotWritten`, an unreadable spec, a file
#: that cannot be written).
ERROR_EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (ConformanceError, Outcome.COULD_NOT_RUN.exit_code),
    (spec.SpecError, Outcome.COULD_NOT_RUN.exit_code),
    (OSError, Outcome.COULD_NOT_RUN.exit_code),
)


def exit_code_for(error: Exception) -> int:
    """The exit code of a run that raised `error`."""
    return next(code for kind, code in ERROR_EXIT_CODES if isinstance(error, kind))


def _message(error: Exception) -> str:
    if isinstance(error, OSError) and not isinstance(error, ConformanceError):
        return f"{error.filename}: {error.strerror}"
    return str(error)


def at_least(minimum: float, kind: type = float) -> Any:
    """An `argparse` type: a finite number of at least `minimum`."""

    def parse(text: str) -> float:
        value = positive_int(text) if kind is int else positive_float(text)
        if value < minimum:
            shown = minimum if kind is int else f"{minimum:g}"
            raise argparse.ArgumentTypeError(f"must be at least {shown}, got {text!r}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command line of `livepeer-conformance`."""
    parser = OneLineParser(prog="livepeer-conformance", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    run = commands.add_parser(
        "run", help="check a gateway (the embedded reference gateway by default)"
    )
    run.add_argument(
        "--base-url",
        help=f"gateway to check; its token is read from ${TOKEN_ENV} (default: the embedded "
        "reference gateway)",
    )
    run.add_argument(
        "--spec",
        type=Path,
        default=None,
        help=f"OpenAPI document (default: ${spec.SPEC_ENV}, else openapi.yaml)",
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default=DEFAULT_PROFILE,
        help="which checks run; strict also fails on recommended rules (else advisories; "
        "default %(default)s)",
    )
    run.add_argument(
        "--max-requests",
        type=positive_int,
        default=DEFAULT_MAX_REQUESTS,
        help="request budget of the run (default %(default)s)",
    )
    run.add_argument(
        "--max-examples",
        type=positive_int,
        default=DEFAULT_MAX_EXAMPLES,
        help="generated requests per operation and phase (never more than --max-requests; "
        "default %(default)s)",
    )
    run.add_argument(
        "--rate-limit",
        type=at_least(MIN_RATE_LIMIT),
        help=f"at most this many requests per second, at least {MIN_RATE_LIMIT:g} "
        "(default: no limit)",
    )
    run.add_argument(
        "--timeout",
        type=at_least(MIN_REQUEST_TIMEOUT),
        default=DEFAULT_REQUEST_TIMEOUT,
        help="seconds from sending a request to its answer's last byte, at least "
        f"{MIN_REQUEST_TIMEOUT:g} (default %(default)s)",
    )
    run.add_argument("--seed", type=int, help="seed for a reproducible run (default: random)")
    run.add_argument(
        "--model-id",
        action="append",
        default=[],
        metavar="OP=ID",
        help="model id pinned for an operation (repeatable; default: none)",
    )
    run.add_argument(
        "--operation",
        action="append",
        default=[],
        metavar="OP",
        help="check only this operation (repeatable; default: every operation)",
    )
    run.add_argument(
        "--allow-large",
        action="store_true",
        help="let requests use the spec's full sizes and step counts (default: cheap ones)",
    )
    for option, what in (
        ("--max-side", "width or height"),
        ("--max-steps", "num_inference_steps"),
        ("--max-images", "num_images_per_prompt"),
    ):
        run.add_argument(
            option,
            type=positive_int,
            metavar="N",
            help=f"largest {what} of any request a conforming gateway serves (edge probes "
            "above it are not sent and the run says so; default: the spec's)",
        )
    run.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help="where reports are written (default %(default)s)",
    )
    run.add_argument(
        "--baseline", type=Path, help="JSON file of known departures to accept (default: none)"
    )
    run.add_argument(
        "--write-baseline",
        type=Path,
        help="record this run's departures as a baseline (default: not written)",
    )
    run.add_argument(
        "--auth",
        choices=("bearer", "none"),
        default="bearer",
        help="'none' for a gateway open on purpose: no token sent, no authentication checks "
        "(default %(default)s)",
    )
    run.add_argument(
        "--exclude-check",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this check out of the run (repeatable; default: none)",
    )
    run.add_argument(
        "--max-response-bytes",
        type=at_least(MIN_RESPONSE_BYTES, int),
        default=DEFAULT_MAX_RESPONSE_BYTES,
        help=f"largest answer read, compressed or not, at least {MIN_RESPONSE_BYTES} "
        "(default %(default)s)",
    )
    run.add_argument(
        "--max-media-fetches",
        type=positive_int,
        metavar="N",
        default=DEFAULT_MAX_MEDIA_FETCHES,
        help="http(s) media URLs the run fetches in all, outside the request budget "
        "(default %(default)s)",
    )
    run.add_argument(
        "--max-media-bytes",
        type=at_least(MAX_MEDIA_BYTES, int),
        metavar="N",
        default=DEFAULT_MAX_MEDIA_BYTES,
        help=f"bytes of media the run downloads in all, at least {MAX_MEDIA_BYTES} "
        "(default %(default)s)",
    )
    run.add_argument(
        "--max-media-seconds",
        type=at_least(MIN_REQUEST_TIMEOUT),
        metavar="S",
        default=DEFAULT_MAX_MEDIA_SECONDS,
        help="seconds the run spends fetching media in all (default %(default)s)",
    )
    run.add_argument(
        "--max-failures",
        type=positive_int,
        metavar="N",
        help="stop the run once N departures that fail it are found (default: no limit)",
    )
    run.add_argument(
        "--fail-on",
        action="append",
        choices=FAIL_ON,
        help="what makes the run exit non-zero: departures (exit 1), an incomplete run (exit 3); "
        "repeatable (default: both)",
    )
    transport = run.add_argument_group(
        "how requests reach the gateway (TLS and proxy: with --base-url only)"
    )
    transport.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="send this header with every request to the gateway; its value is redacted "
        "wherever the run writes, like the token (repeatable; default: none)",
    )
    transport.add_argument(
        "--tls-verify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="verify the gateway's TLS certificate (default: verify)",
    )
    transport.add_argument(
        "--cacert",
        type=Path,
        metavar="FILE",
        help="PEM bundle of the authorities that sign the gateway's certificate "
        "(default: $SSL_CERT_FILE, else certifi's)",
    )
    transport.add_argument(
        "--client-cert",
        type=Path,
        metavar="FILE",
        help="PEM client certificate presented to the gateway, with its key unless "
        "--client-key (default: none)",
    )
    transport.add_argument(
        "--client-key",
        type=Path,
        metavar="FILE",
        help="PEM private key of --client-cert (default: in the --client-cert file)",
    )
    transport.add_argument(
        "--proxy",
        metavar="URL",
        help="http(s) proxy every request goes through (default: $HTTPS_PROXY, $HTTP_PROXY or "
        "$ALL_PROXY for the gateway's scheme, less $NO_PROXY)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print the requests per operation and phase and the GPU work; send nothing",
    )
    run.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch a fault on (embedded gateway only; repeatable; default: none)",
    )
    run.add_argument(
        "--media-urls",
        choices=EMBEDDED_MEDIA_URLS,
        default=EMBEDDED_MEDIA_URLS[0],
        help="how the embedded gateway points to its images: data: URLs, or http URLs it "
        "serves (embedded gateway only; default %(default)s)",
    )
    return parser


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


@contextmanager
def _stopped_by_signals(budget: RequestBudget) -> Iterator[list[int]]:
    """While the block runs, SIGINT and SIGTERM stop the run through `budget`.

    The phase in progress winds down at its next request; a request still in flight after
    `STOP_GRACE_SECONDS` is abandoned. Yields the list of signals received.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    from livepeer_conformance.runner import RunInterrupted

    def on_alarm(signum: int, frame: Any) -> None:
        raise RunInterrupted

    def on_signal(signum: int, frame: Any) -> None:
        received.append(signum)
        budget.stop(INTERRUPTED)
        if len(received) == 1:
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_SECONDS)
        else:
            raise RunInterrupted

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        yield received
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _cache_dir() -> Path:
    """The user's cache directory for the suite (`$XDG_CACHE_HOME`, else `~/.cache`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "livepeer-conformance"


@contextmanager
def _hypothesis_storage() -> Iterator[None]:
    """Keep hypothesis's files out of the working directory: in the user's cache, else a temp dir.

    The run keeps no example database; what hypothesis stores is its character-table cache,
    which, kept between runs, saves each run more than a second.
    """
    from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

    previous = storage_directory(intent_to_write=False).path
    with contextlib.ExitStack() as stack:
        chosen = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
        directory = Path(chosen) if chosen else _cache_dir() / "hypothesis"
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        set_hypothesis_home_dir(directory)
        try:
            yield
        finally:
            set_hypothesis_home_dir(previous)


def _error(message: str) -> None:
    print(f"livepeer-conformance: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the suite, print the outcome; return the exit code (130 on Ctrl-C at
    any moment: during the run its signal handler winds it down; before or after, here)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    from livepeer_conformance import report, runner

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one line (or the help)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    hidden: tuple[str, ...] = ()
    try:
        config = config_from_args(args)
        hidden = config.secrets
        if args.dry_run:
            from livepeer_conformance import dry_run

            print(redact(dry_run.describe(dry_run.estimate(config), config.media_limits), hidden))
            return 0
        budget = RequestBudget(config.max_requests, config.rate_limit)
        with _hypothesis_storage(), _stopped_by_signals(budget) as received:
            try:
                result = runner.run(config, budget=budget)
            except runner.RunInterrupted:
                _error("interrupted before the run started; nothing was checked")
                return (
                    EXIT_INTERRUPTED if signal.SIGINT in received else Outcome.INCOMPLETE.exit_code
                )
        incomplete = (
            result.outcome is Outcome.INCOMPLETE or result.interrupted or bool(result.not_covered)
        )
        code = (
            EXIT_INTERRUPTED
            if signal.SIGINT in received
            else exit_code(result.outcome, incomplete, config.fail_on)
        )
        # Every report states the code the command returns, Ctrl-C's 130 included.
        result = dataclasses.replace(result, exit_code=code)
        print(redact(report.terminal(result), hidden))
        try:
            written = report.write_reports(result, config.report_dir, hidden)
            written += _github_outputs(result, hidden)
        except OSError as exc:
            raise ReportNotWritten(f"{exc.filename}: {exc.strerror}") from None
    except tuple(kind for kind, _ in ERROR_EXIT_CODES) as exc:
        _error(redact(_message(exc), hidden))
        return exit_code_for(exc)
    for path in written:
        print(f"wrote {path}")
    return code


def _github_outputs(result: Any, hidden: tuple[str, ...]) -> list[Path]:
    """In GitHub Actions: an annotation per failing finding and advisory, and the Markdown
    report appended to the job's step summary."""
    from livepeer_conformance import report

    if os.environ.get("GITHUB_ACTIONS") != "true":
        return []
    for line in report.github_lines(result):
        print(redact(line, hidden))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return []
    with open(summary, "a", encoding="utf-8") as file:
        file.write(redact(report.markdown(report.redacted(result, hidden)), hidden))
    return [Path(summary)]


if __name__ == "__main__":
    sys.exit(main())

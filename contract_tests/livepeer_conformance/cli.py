"""`livepeer-conformance run`: check a gateway against `openapi.yaml` and report where it departs.

Exit codes: 0 conforms; 1 departures found (not accepted by `--baseline`; departures from
`recommended` rules are advisories that count only under `--profile strict`); 2 could not run
(unreachable, credentials refused, a wrong argument or file); 3 incomplete (budget spent,
stopped, edge probes left unsent, or an operation or check never exercised); 130 interrupted
by Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import livepeer_gateway_spec as spec
from livepeer_gateway_spec import TOKEN_ENV
from livepeer_gateway_spec.cli import EXIT_USAGE, OneLineParser, positive_float, positive_int

from livepeer_conformance.bounded import ANSWER_WITHIN_LIMITS, DEFAULT_MAX_RESPONSE_BYTES
from livepeer_conformance.budget import RequestBudget
from livepeer_conformance.cheap import CHEAP, UNCAPPED, CheapLimits
from livepeer_conformance.config import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_PROFILE,
    DEFAULT_REPORT_DIR,
    DEFAULT_REQUEST_TIMEOUT,
    PROFILES,
    RunConfig,
)
from livepeer_conformance.errors import ConformanceError, ReportNotWritten, UsageError
from livepeer_conformance.outcome import EXIT_INTERRUPTED, Outcome
from livepeer_conformance.redaction import redact

#: Seconds a stopped run has to wind down before its request in flight is abandoned.
STOP_GRACE_SECONDS = 2.0


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


def build_parser() -> argparse.ArgumentParser:
    """The command line of `livepeer-conformance`."""
    parser = OneLineParser(prog="livepeer-conformance", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    run = commands.add_parser(
        "run", help="check a gateway (the embedded reference gateway by default)"
    )
    run.add_argument("--base-url", help=f"gateway to check; its token is read from ${TOKEN_ENV}")
    run.add_argument(
        "--spec", type=Path, default=None, help="OpenAPI document (default: openapi.yaml)"
    )
    run.add_argument(
        "--profile",
        choices=PROFILES,
        default=DEFAULT_PROFILE,
        help="which checks run; strict also fails on recommended rules (else advisories)",
    )
    run.add_argument(
        "--max-requests",
        type=positive_int,
        default=DEFAULT_MAX_REQUESTS,
        help="request budget of the run",
    )
    run.add_argument(
        "--max-examples",
        type=positive_int,
        default=DEFAULT_MAX_EXAMPLES,
        help="generated requests per operation and phase (never more than --max-requests)",
    )
    run.add_argument(
        "--rate-limit", type=positive_float, help="at most this many requests per second"
    )
    run.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULT_REQUEST_TIMEOUT,
        help="seconds from sending a request to its answer's last byte",
    )
    run.add_argument("--seed", type=int, help="seed for a reproducible run")
    run.add_argument(
        "--model-id",
        action="append",
        default=[],
        metavar="OP=ID",
        help="model id pinned for an operation",
    )
    run.add_argument(
        "--operation", action="append", default=[], metavar="OP", help="check only this operation"
    )
    run.add_argument(
        "--allow-large",
        action="store_true",
        help="let requests use the spec's full sizes and step counts",
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
            "above it are not sent and the run says so)",
        )
    run.add_argument(
        "--report-dir", type=Path, default=DEFAULT_REPORT_DIR, help="where reports are written"
    )
    run.add_argument("--baseline", type=Path, help="JSON file of known departures to accept")
    run.add_argument(
        "--write-baseline", type=Path, help="record this run's departures as a baseline"
    )
    run.add_argument(
        "--auth",
        choices=("bearer", "none"),
        default="bearer",
        help="'none' for a gateway open on purpose: no token sent, no authentication checks",
    )
    run.add_argument(
        "--exclude-check",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this check out of the run",
    )
    run.add_argument(
        "--max-response-bytes",
        type=positive_int,
        default=DEFAULT_MAX_RESPONSE_BYTES,
        help="largest answer read, compressed or not",
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
        help="switch a fault on (embedded gateway only)",
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


def _base_url(text: str | None) -> str | None:
    """`--base-url` checked: an http(s) URL with a host, and no credentials in it."""
    if text is None:
        return None
    if not text.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must be an http(s) URL, got {text!r}")
    try:
        url = httpx.URL(text)
        url.port  # noqa: B018 - a port that is not a number raises here
    except (httpx.InvalidURL, ValueError):
        raise UsageError("--base-url is not a valid URL") from None
    if not url.host:
        raise UsageError("--base-url has no host")
    if url.userinfo:
        raise UsageError(
            f"--base-url must not carry credentials (user:pass@); the token comes from ${TOKEN_ENV}"
        )
    return text.rstrip("/")


def _can_create(directory: Path) -> bool:
    """Whether `directory` exists or could be made, checked without creating anything."""
    for candidate in (directory, *directory.absolute().parents):
        if candidate.exists():
            return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    return False


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run's config from parsed arguments and the environment; raise UsageError or SpecError."""
    spec_file = args.spec or spec.spec_path()
    document = spec.load_spec(spec_file)
    if args.fault and args.base_url:
        raise UsageError("--fault applies to the embedded reference gateway, not to --base-url")
    if args.fault:
        from livepeer_reference_gateway import FAULTS

        unknown = sorted(set(args.fault) - FAULTS.keys())
        if unknown:
            raise UsageError(f"unknown fault(s): {', '.join(unknown)}")
    for directory, what in ((args.report_dir, "report dir"), _baseline_dir(args.write_baseline)):
        if not _can_create(directory):
            raise UsageError(f"cannot create {what} {directory}")
    for path, what in ((args.write_baseline, "baseline"),):
        if path is not None and path.exists() and (path.is_dir() or not os.access(path, os.W_OK)):
            raise UsageError(f"cannot write {what} {path}")
    base_url = _base_url(args.base_url)
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
        budget.stop("interrupted")
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
    """Parse `argv`, run the suite, print the outcome; return the exit code."""
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

            print(redact(dry_run.describe(dry_run.estimate(config)), hidden))
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
        print(redact(report.terminal(result), hidden))
        try:
            written = report.write_reports(result, config.report_dir, hidden)
        except OSError as exc:
            raise ReportNotWritten(f"{exc.filename}: {exc.strerror}") from None
    except tuple(kind for kind, _ in ERROR_EXIT_CODES) as exc:
        _error(redact(_message(exc), hidden))
        return exit_code_for(exc)
    for path in written:
        print(f"wrote {path}")
    if signal.SIGINT in received:
        return EXIT_INTERRUPTED
    return result.outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())

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
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import TOKEN_ENV
from livepeer_gateway_spec.cli import EXIT_USAGE, OneLineParser, positive_float, positive_int

from livepeer_conformance.arguments import config_from_args
from livepeer_conformance.bounded import (
    DEFAULT_MAX_MEDIA_BYTES,
    DEFAULT_MAX_MEDIA_FETCHES,
    DEFAULT_MAX_MEDIA_SECONDS,
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_MEDIA_BYTES,
)
from livepeer_conformance.budget import INTERRUPTED, RequestBudget
from livepeer_conformance.config import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_PROFILE,
    DEFAULT_REPORT_DIR,
    DEFAULT_REQUEST_TIMEOUT,
    EMBEDDED_MEDIA_URLS,
    FAIL_ON,
    PROFILES,
)
from livepeer_conformance.errors import ConformanceError, ReportNotWritten
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

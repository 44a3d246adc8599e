"""`livepeer-conformance run`: check a gateway against `openapi.yaml` and report where it departs.

Exit codes: 0 the gateway conforms, 1 departures found (not accepted by `--baseline`),
2 the gateway could not be reached, the spec is unreadable or an argument is wrong.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import livepeer_gateway_spec as spec
from livepeer_gateway_spec import TOKEN_ENV
from livepeer_gateway_spec.cli import OneLineParser

from livepeer_conformance.baseline import BaselineError
from livepeer_conformance.config import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_PROFILE,
    DEFAULT_REPORT_DIR,
    DEFAULT_REQUEST_TIMEOUT,
    PROFILES,
    RunConfig,
)
from livepeer_conformance.redaction import redact

EXIT_CONFORMS, EXIT_DEPARTURES, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A wrong argument; the message says which, in one line."""


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type accepting positive numbers of `kind`."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


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
        "--profile", choices=PROFILES, default=DEFAULT_PROFILE, help="which checks run"
    )
    run.add_argument(
        "--max-requests",
        type=_positive(int),
        default=DEFAULT_MAX_REQUESTS,
        help="request budget of the run",
    )
    run.add_argument(
        "--max-examples",
        type=_positive(int),
        default=DEFAULT_MAX_EXAMPLES,
        help="generated requests per operation and phase",
    )
    run.add_argument(
        "--rate-limit", type=_positive(float), help="at most this many requests per second"
    )
    run.add_argument(
        "--timeout",
        type=_positive(float),
        default=DEFAULT_REQUEST_TIMEOUT,
        help="per-request timeout, seconds",
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
    run.add_argument(
        "--report-dir", type=Path, default=DEFAULT_REPORT_DIR, help="where reports are written"
    )
    run.add_argument("--baseline", type=Path, help="JSON file of known departures to accept")
    run.add_argument(
        "--write-baseline", type=Path, help="record this run's departures as a baseline"
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
    operations = spec.image_operations(document)
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


def _baseline_dir(path: Path | None) -> tuple[Path, str]:
    return (path.parent if path else Path("."), "baseline directory")


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
    if args.base_url and not args.base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must be an http(s) URL, got {args.base_url!r}")
    token = os.environ.get(TOKEN_ENV) or None
    # An HTTP header carries printable ASCII only; say so rather than fail mid-run.
    if args.base_url and token is not None and not (token.isascii() and token.isprintable()):
        raise UsageError(f"${TOKEN_ENV} holds characters an HTTP header cannot carry")
    return RunConfig(
        spec_path=Path(spec_file),
        base_url=args.base_url.rstrip("/") if args.base_url else None,
        # The embedded gateway gets a fresh token per run, so that the auth checks mean something.
        token=token if args.base_url else secrets.token_urlsafe(24),
        profile=args.profile,
        max_requests=args.max_requests,
        rate_limit=args.rate_limit,
        request_timeout=args.timeout,
        seed=args.seed,
        model_ids=_model_ids(args.model_id, document),
        operations=frozenset(_operation_path(n, document, "--operation") for n in args.operation),
        max_examples=args.max_examples,
        allow_large=args.allow_large,
        report_dir=args.report_dir,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
        faults=frozenset(args.fault),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv`, run the suite, print the verdict; return the exit code."""
    from livepeer_conformance import report, runner

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one line (or the help)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    hidden: tuple[str, ...] = ()
    try:
        config = config_from_args(args)
        hidden = config.secrets
        verdict = runner.run(config)
    except (UsageError, spec.SpecError, BaselineError, runner.GatewayUnreachable) as exc:
        print(f"livepeer-conformance: error: {redact(str(exc), hidden)}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a baseline that cannot be written
        print(f"livepeer-conformance: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("livepeer-conformance: interrupted", file=sys.stderr)
        return EXIT_ERROR
    print(redact(report.terminal(verdict), hidden))
    try:
        written = report.write_reports(verdict, config.report_dir, hidden)
    except OSError as exc:
        print(f"livepeer-conformance: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
    for path in written:
        print(f"wrote {path}")
    return EXIT_CONFORMS if verdict.conforms else EXIT_DEPARTURES


if __name__ == "__main__":
    sys.exit(main())

"""`livepeer-reference-gateway`: serve the reference gateway.

Every default shown here is read from `GatewaySettings` and `ServerSettings`; every error is a
`ReferenceGatewayError`, mapped to an exit status in `EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from livepeer_gateway_spec import TOKEN_ENV
from livepeer_gateway_spec.cli import EXIT_USAGE, OneLineParser, positive_float, positive_int

from .app import create_app
from .errors import CannotListen, ReferenceGatewayError, SettingsError, SpecUnusable
from .faults import FAULTS
from .server import bind_loopback, serve_workers
from .settings import GatewaySettings, MediaUrls, ServerSettings, default

PROG = "livepeer-reference-gateway"

#: Exit status of each kind of error the gateway can stop on; a subclass takes its base's.
EXIT_CODES: dict[type[ReferenceGatewayError], int] = {
    SettingsError: EXIT_USAGE,
    SpecUnusable: EXIT_USAGE,
    CannotListen: EXIT_USAGE,
}


def exit_code(error: ReferenceGatewayError) -> int:
    """The exit status for `error`: that of the nearest class in `EXIT_CODES`, else 1."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]  # type: ignore[index]
    return 1


def _port(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, got {port}")
    return port


def _parser() -> argparse.ArgumentParser:
    def g(name: str) -> object:
        return default(GatewaySettings, name)

    def s(name: str) -> object:
        return default(ServerSettings, name)

    parser = OneLineParser(
        prog=PROG,
        description="Serve a conformant Livepeer AI gateway (no GPU, no model weights).",
    )
    add = parser.add_argument
    add("--host", default=s("host"), help="address to bind (default %(default)s)")
    add(
        "--port",
        type=_port,
        default=s("port"),
        help="port; 0 picks a free one (default %(default)s)",
    )
    add(
        "--workers",
        type=positive_int,
        default=s("workers"),
        metavar="N",
        help="processes serving the port, same settings and faults in each (default %(default)s)",
    )
    add(
        "--token-env",
        metavar="VAR",
        help=f"environment variable holding the bearer token; the gateway refuses to start when "
        f"it is unset or empty (default: ${TOKEN_ENV}, and with it unset or empty, serve openly)",
    )
    add(
        "--media-urls",
        choices=get_args(MediaUrls),
        default=g("media_urls"),
        help="image URLs: data: URLs or http URLs served here (default %(default)s)",
    )
    add(
        "--public-url",
        default=g("public_url"),
        metavar="URL",
        help="base of http media URLs as clients reach the gateway, e.g. behind a reverse proxy "
        "(default: the address it listens on; never the request's Host header)",
    )
    add(
        "--media-ttl",
        type=positive_float,
        default=g("media_ttl_seconds"),
        metavar="SECONDS",
        help="how long http media URLs live (default %(default)s)",
    )
    add(
        "--max-upload-bytes",
        type=positive_int,
        default=g("max_upload_bytes"),
        metavar="N",
        help="bodies larger get 413 (default %(default)s)",
    )
    add(
        "--max-json-bytes",
        type=positive_int,
        default=g("max_json_bytes"),
        metavar="N",
        help="JSON bodies larger get 413 (default %(default)s)",
    )
    add(
        "--max-inflight-body-bytes",
        type=positive_int,
        default=g("max_inflight_body_bytes"),
        metavar="N",
        help="bodies being received at once, together, per worker; past it 503 "
        "(default %(default)s)",
    )
    add(
        "--header-timeout",
        type=positive_float,
        default=s("header_timeout"),
        metavar="SECONDS",
        help="deadline for a request line and headers (default %(default)s)",
    )
    add(
        "--body-timeout",
        type=positive_float,
        default=s("body_timeout"),
        metavar="SECONDS",
        help="deadline for a whole request body (default %(default)s)",
    )
    add(
        "--keepalive-timeout",
        type=positive_float,
        default=s("keepalive_timeout"),
        metavar="SECONDS",
        help="idle keep-alive connections close after (default %(default)s)",
    )
    add(
        "--max-connections",
        type=positive_int,
        default=s("max_connections"),
        metavar="N",
        help="open connections per worker; past it 503 at once (default: the open-file limit "
        "less a reserve)",
    )
    add(
        "--fault",
        action="append",
        default=[],
        choices=sorted(FAULTS),
        metavar="NAME",
        help="switch on a named departure from the spec (repeatable)",
    )
    add("--list-faults", action="store_true", help="print the named faults and exit")
    add(
        "--fault-delay",
        type=positive_float,
        default=g("fault_delay_seconds"),
        metavar="SECONDS",
        help="how long the slow_response fault holds each answer (default %(default)s)",
    )
    add(
        "--spec",
        type=Path,
        default=g("spec_path"),
        help="the OpenAPI document to serve (default: $LIVEPEER_OPENAPI, else openapi.yaml)",
    )
    add(
        "--log-level",
        default=s("log_level"),
        choices=("critical", "error", "warning", "info", "debug"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, print the startup line, and serve until interrupted."""
    args = _parser().parse_args(argv)
    if args.list_faults:
        for fault in FAULTS.values():
            checks = ", ".join(sorted(fault.detected_by))
            print(f"{fault.name}  [{fault.category}; caught by {checks}]\n    {fault.description}")
        return 0
    token_env = args.token_env or TOKEN_ENV
    token = os.environ.get(token_env) or None
    try:
        if args.token_env is not None and token is None:
            raise SettingsError(
                f"--token-env {args.token_env}: ${args.token_env} is unset or empty"
            )
        settings = GatewaySettings(
            token=token,
            media_urls=args.media_urls,
            public_url=args.public_url,
            media_ttl_seconds=args.media_ttl,
            max_upload_bytes=args.max_upload_bytes,
            max_json_bytes=args.max_json_bytes,
            max_inflight_body_bytes=args.max_inflight_body_bytes,
            faults=frozenset(args.fault),
            fault_delay_seconds=args.fault_delay,
            spec_path=args.spec,
        )
        server_settings = ServerSettings(
            host=args.host,
            port=args.port,
            workers=args.workers,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            keepalive_timeout=args.keepalive_timeout,
            max_connections=args.max_connections,
            log_level=args.log_level,
        )
        if settings.media_urls == "http" and server_settings.workers > 1:
            raise SettingsError("--media-urls http keeps images in one process: use --workers 1")
        create_app(settings)  # the spec is read and checked before anything listens
        sock = bind_loopback(args.host, args.port)
    except ReferenceGatewayError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exit_code(exc)
    host, port = sock.getsockname()[:2]
    auth = (
        f"bearer token from ${token_env}" if token else "none (serving openly, no token configured)"
    )
    faults = ", ".join(sorted(settings.faults)) or "none"
    print(
        f"reference gateway on http://{host}:{port} | auth: {auth} "
        f"| media URLs: {settings.media_urls} | workers: {server_settings.workers} "
        f"| faults: {faults}",
        flush=True,
    )
    try:
        serve_workers(settings, server_settings, sock)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

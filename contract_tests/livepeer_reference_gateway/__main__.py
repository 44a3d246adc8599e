"""`livepeer-reference-gateway`: serve the reference gateway on a loopback port."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from livepeer_gateway_spec import TOKEN_ENV, SpecError
from livepeer_gateway_spec.cli import OneLineParser

from .app import create_app
from .faults import FAULTS
from .server import bind_loopback, uvicorn_server
from .settings import GatewaySettings


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
    parser = OneLineParser(
        prog="livepeer-reference-gateway",
        description="Serve a conformant Livepeer AI gateway (no GPU, no model weights).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to bind; 0 picks a free one (default 8000)"
    )
    parser.add_argument(
        "--token-env",
        default=TOKEN_ENV,
        metavar="VAR",
        help=f"environment variable holding the bearer token (default {TOKEN_ENV}); "
        "unset or empty serves openly",
    )
    parser.add_argument(
        "--media-urls",
        choices=("data", "http"),
        default="data",
        help="image URLs: data: URLs (default) or http URLs served here",
    )
    parser.add_argument(
        "--media-ttl",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long http media URLs live (default 300)",
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=int,
        default=GatewaySettings.max_upload_bytes,
        metavar="N",
        help="bodies larger get 413 (default 20 MiB)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=sorted(FAULTS),
        metavar="NAME",
        help="switch on a named departure from the spec (repeatable)",
    )
    parser.add_argument(
        "--list-faults", action="store_true", help="print the named faults and exit"
    )
    parser.add_argument(
        "--fault-delay",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="how long the slow_response fault holds each answer (default 3)",
    )
    parser.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="the OpenAPI document to serve (default openapi.yaml)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, print the startup line, and serve until interrupted."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list_faults:
        for fault in FAULTS.values():
            checks = ", ".join(sorted(fault.detected_by))
            print(f"{fault.name}  [{fault.category}; caught by {checks}]\n    {fault.description}")
        return 0
    if args.max_upload_bytes <= 0:
        parser.error("--max-upload-bytes must be positive")
    if args.media_ttl <= 0:
        parser.error("--media-ttl must be positive")
    token = os.environ.get(args.token_env) or None
    settings = GatewaySettings(
        token=token,
        media_urls=args.media_urls,
        media_ttl_seconds=args.media_ttl,
        max_upload_bytes=args.max_upload_bytes,
        faults=frozenset(args.fault),
        fault_delay_seconds=args.fault_delay,
        spec_path=args.spec,
    )
    try:
        server = uvicorn_server(
            create_app(settings),
            log_level=args.log_level,
            access_log=args.log_level in ("info", "debug"),
        )
        sock = bind_loopback(args.host, args.port)
    except SpecError as exc:
        print(f"livepeer-reference-gateway: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"livepeer-reference-gateway: cannot listen on {args.host}:{args.port}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    host, port = sock.getsockname()[:2]
    auth = (
        f"bearer token from ${args.token_env}"
        if token
        else "none (serving openly, no token configured)"
    )
    faults = ", ".join(sorted(settings.faults)) or "none"
    print(
        f"reference gateway on http://{host}:{port} | auth: {auth} "
        f"| media URLs: {settings.media_urls} | faults: {faults}",
        flush=True,
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a departure shows: the request sent, the answer's status line, content type and body."""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from livepeer_gateway_spec import TOKEN_ENV

from livepeer_conformance.config import Transport
from livepeer_conformance.redaction import redact

#: Characters of a text body a departure shows (after redaction).
BODY_EXCERPT_CHARS = 300
#: Characters of a body read for redaction before the excerpt is cut from it.
_REDACTION_WINDOW = 4096
#: Request headers a reproducer leaves to curl (it sets its own) or hides.
_DROPPED_HEADERS = frozenset(
    {"content-length", "user-agent", "accept-encoding", "connection", "accept", "host"}
)
#: Prefixes of the headers a testing tool adds for itself, which a gateway never needs.
_TOOL_HEADERS = ("x-schemathesis",)
#: The variable a reproducer reads the gateway's base URL from.
URL_ENV = "LIVEPEER_GATEWAY_URL"
#: Prefix of the variables a reproducer reads the `-H` headers' values from.
HEADER_ENV_PREFIX = "LIVEPEER_HEADER_"
#: The report directory's folder of request bodies and credentials files reproducers send.
INPUTS_DIR = "inputs"
#: What a shell reads inside double quotes (`!`: history expansion in an interactive bash).
_DOUBLE_QUOTE_SPECIAL = re.compile(r'[\\"$`!]')


@dataclass(frozen=True)
class Evidence:
    """The answer a departure is about, redacted, ready to print."""

    request: str
    status_line: str
    content_type: str
    body: str

    def to_dict(self) -> dict[str, str]:
        return {
            "request": self.request,
            "status_line": self.status_line,
            "content_type": self.content_type,
            "body": self.body,
        }

    def lines(self) -> list[str]:
        return [
            f"request: {self.request}",
            f"answer: {self.status_line} ({self.content_type or 'no content type'})",
            f"body: {self.body}",
        ]


def body_excerpt(content: bytes, secrets: Iterable[str]) -> str:
    """The first few hundred characters of a text body, redacted first; binary as size and hash."""
    if not content:
        return "(empty)"
    head = content[:_REDACTION_WINDOW]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the window is still text.
        if exc.start < len(head) - 4:
            return _binary(content)
        text = head[: exc.start].decode("utf-8")
    if any(not (c.isprintable() or c in "\r\n\t") for c in text):
        return _binary(content)
    shown = redact(text, secrets)
    if len(shown) > BODY_EXCERPT_CHARS or len(content) > len(head):
        shown = shown[:BODY_EXCERPT_CHARS] + f"... ({len(content)} bytes in all)"
    return " ".join(shown.split())


def _binary(content: bytes) -> str:
    return f"<binary, {len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}>"


def status_line(status: int, reason: str = "", http_version: str = "1.1") -> str:
    return f"HTTP/{http_version} {status} {reason}".strip()


def save_input(inputs_dir: Path, data: bytes, suffix: str) -> Path:
    """Write a request body (or a file part) under `inputs_dir`, named by its hash."""
    inputs_dir.mkdir(parents=True, exist_ok=True)
    path = inputs_dir / f"{hashlib.sha256(data).hexdigest()[:16]}.{suffix}"
    if not path.exists():
        path.write_bytes(data)
    return path


def header_variable(name: str) -> str:
    """The variable a reproducer reads the value of the `-H` header `name` from."""
    return HEADER_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())


@dataclass(frozen=True)
class Replay:
    """What a reproducer names by a variable or a relative path rather than by the run's value:
    the gateway's URL, the token, the `-H` headers' values and the report directory."""

    report_dir: Path
    base_url: str
    token: str | None = field(default=None, repr=False)
    #: Names of the `-H` headers the operator passed: secrets, sent as variables.
    header_names: frozenset[str] = frozenset()
    secrets: tuple[str, ...] = field(default=(), repr=False)
    #: curl's options for the run's TLS settings (`tls_options`).
    tls: tuple[str, ...] = ()

    @property
    def inputs_dir(self) -> Path:
        return self.report_dir / INPUTS_DIR


def tls_options(transport: Transport) -> tuple[str, ...]:
    """curl's options for the TLS settings of the run's requests (files by absolute path)."""
    options = () if transport.verify else ("--insecure",)
    for option, path in (
        ("--cacert", transport.cacert if transport.verify else None),
        ("--cert", transport.client_cert),
        ("--key", transport.client_key),
    ):
        if path is not None:
            options += (option, shlex.quote(str(path.resolve())))
    return options


class _Variable(str):
    """A piece of a shell word that is a variable's name, expanded by the shell."""


def _shell_word(*pieces: str) -> str:
    """`pieces` as one shell word: literals quoted, each `_Variable` expanded by the shell."""
    if not any(isinstance(piece, _Variable) for piece in pieces):
        return shlex.quote("".join(pieces))
    if any(_DOUBLE_QUOTE_SPECIAL.search(p) for p in pieces if not isinstance(p, _Variable)):
        # A literal the shell would read inside double quotes: each piece quoted on its own.
        words = (f'"${{{p}}}"' if isinstance(p, _Variable) else shlex.quote(p) for p in pieces if p)
        return "".join(words)
    shown = [
        _expanded(piece, after) if isinstance(piece, _Variable) else piece
        for piece, after in zip(pieces, [*pieces[1:], ""], strict=True)
    ]
    return '"' + "".join(shown) + '"'


def _expanded(name: str, after: str) -> str:
    """`$NAME`, or `${NAME}` where the text `after` it would lengthen the name."""
    return f"${{{name}}}" if re.match(r"\w", after) else f"${name}"


def _url_word(url: str, base_url: str) -> str:
    """`url` as a shell word, the gateway's base URL in it as the URL's variable."""
    for base in (base_url, str(httpx.URL(base_url)).rstrip("/") if base_url else ""):
        if base and (url == base or url.startswith((base + "/", base + "?"))):
            return _shell_word(_Variable(URL_ENV), url[len(base) :])
    return _shell_word(url)


def _with_token(value: str, token: str) -> tuple[str, ...]:
    """`value` as pieces, each occurrence of `token` replaced by the token's variable."""
    pieces: list[str] = []
    for index, literal in enumerate(value.split(token)):
        if index:
            pieces.append(_Variable(TOKEN_ENV))
        pieces.append(literal)
    return tuple(pieces)


def curl_for_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] | Mapping[str, str],
    body: bytes | None,
    replay: Replay,
) -> str:
    """A command sending these exact bytes again, pasted into a shell from any directory: the
    one reproducer every phase's finding carries.

    It changes to the report directory and reads its body from a file under `inputs/`; the
    gateway's URL, the run's token and the `-H` headers' values are variables
    (`$LIVEPEER_GATEWAY_URL`, `$LIVEPEER_GATEWAY_TOKEN`, `$LIVEPEER_HEADER_<NAME>`), never
    values. Any other credential (the wrong token a probe sends) is read from a file, since a
    command line's `Bearer <value>` is always redacted.
    """
    hidden = tuple(s for s in replay.secrets if s)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    words = ["curl", "-sS", *replay.tls, "-X", shlex.quote(method), _url_word(url, replay.base_url)]
    for name, value in pairs:
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS or lowered.startswith(_TOOL_HEADERS):
            continue
        if lowered in replay.header_names:
            words += ["-H", _shell_word(f"{name}: ", _Variable(header_variable(name)))]
        elif lowered == "authorization" and replay.token and replay.token in value:
            words += ["-H", _shell_word(f"{name}: ", *_with_token(value, replay.token))]
        elif lowered == "authorization":
            saved = save_input(replay.inputs_dir, f"{name}: {value}".encode(), "txt")
            words += ["-H", shlex.quote(f"@{INPUTS_DIR}/{saved.name}")]
        else:
            words += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        saved = save_input(replay.inputs_dir, body, "body")
        words += ["--data-binary", shlex.quote(f"@{INPUTS_DIR}/{saved.name}")]
    command = f"cd {shlex.quote(str(replay.report_dir))} && {' '.join(words)}"
    return redact(command, hidden)

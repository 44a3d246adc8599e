"""What a departure shows: the request sent, the answer's status line, content type and body."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from livepeer_conformance.redaction import REDACTED, redact

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


def curl_for_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] | Mapping[str, str],
    body: bytes | None,
    inputs_dir: Path,
    secrets: Iterable[str] = (),
) -> str:
    """A curl command sending these exact bytes again, its body read from a file under
    `inputs_dir`: the one reproducer every phase's finding carries.

    The run's token is shown as `[redacted]`; any other credential (the wrong token a probe
    sends) is read from a file, since a command line's `Bearer <value>` is always redacted.
    """
    hidden = tuple(s for s in secrets if s)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    parts = ["curl", "-sS", "-X", method, url]
    for name, value in pairs:
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS or lowered.startswith(_TOOL_HEADERS):
            continue
        if lowered == "authorization":
            if not hidden or any(secret in value for secret in hidden):
                parts += ["-H", f"{name}: Bearer {REDACTED}"]
            else:
                parts += ["-H", f"@{save_input(inputs_dir, f'{name}: {value}'.encode(), 'txt')}"]
            continue
        parts += ["-H", f"{name}: {value}"]
    if body:
        parts += ["--data-binary", f"@{save_input(inputs_dir, body, 'body')}"]
    return redact(shlex.join(parts), hidden)

"""Reading one version of the spec: a file on disk, or a file at a git ref of the repository."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from livepeer_gateway_spec import SourceMap, display_name, inline_refs, parse_spec

from livepeer_gateway_compat.errors import VersionNotFound

#: The spec's path inside the repository, used when a git ref names no path (`main`, `HEAD~1`).
DEFAULT_SPEC_IN_REPO = "openapi.yaml"


@dataclass(frozen=True)
class SpecVersion:
    """One version of the spec: where it came from, its text and its parsed document."""

    #: How the user named it: the file (`openapi.yaml`) or the git object (`main:openapi.yaml`).
    label: str
    document: dict[str, Any]
    #: Its text, for the line and column of each finding.
    text: str = ""
    #: The file it is (or was, at a git ref) in the working tree: `openapi.yaml`.
    path: str = ""

    @cached_property
    def source_map(self) -> SourceMap:
        """The line and column of every node of its text."""
        return SourceMap(self.text, self.label)


def load_version(source: str, repository: Path | None = None) -> SpecVersion:
    """The spec named by `source`: an existing file, else a git `REF` or `REF:path`.

    Raises `VersionNotFound` when neither can be read, `SpecError` when the text is no spec.
    """
    candidate = Path(source)
    if candidate.is_file():
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise VersionNotFound(f"cannot read spec {source}: {exc}") from None
        label, path = source, display_name(source)
    else:
        ref, _, path = source.partition(":")
        path = path or DEFAULT_SPEC_IN_REPO
        label = f"{ref}:{path}"
        text = _git_show(source, label, repository or Path.cwd())
    document = parse_spec(text, label)
    _check_refs_resolve(document)
    return SpecVersion(label, document, text, path)


def _git_show(source: str, object_name: str, repository: Path) -> str:
    """The text of `object_name` (`REF:path`) in the git repository at `repository`."""
    try:
        completed = subprocess.run(
            ["git", "show", object_name],
            cwd=repository,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise VersionNotFound(f"{source}: no such file, and git cannot run: {exc}") from None
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise VersionNotFound(
            f"{source}: no such file, and git cannot read {object_name} ({reason})"
        )
    return completed.stdout


def _check_refs_resolve(document: dict[str, Any]) -> None:
    """Raise `SpecError` when a `$ref` anywhere in the document names nothing."""
    inline_refs(document, document)

"""Reading `openapi.yaml`: strict YAML (no duplicate keys, few aliases), cached, copied per call."""

from __future__ import annotations

import os
from copy import deepcopy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .location import display_name, spec_path

#: YAML aliases a spec may use: enough for hand-written anchors, too few for an alias bomb,
#: whose expansion (a deep copy, a `$ref` inlining, a JSON dump) would exhaust memory.
MAX_ALIASES = 64
#: The largest spec file read, in bytes.
MAX_SPEC_BYTES = 8 * 1024 * 1024


def load_spec(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Parse the spec at `path` (default `spec_path()`); `SpecError` with a one-line reason."""
    return deepcopy(_load_cached(str(Path(path) if path is not None else spec_path())))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> dict[str, Any]:
    return parse_spec(read_spec_text(path), display_name(path))


def read_spec_text(path: str | os.PathLike[str]) -> str:
    """The text of the spec file at `path`, size-capped and UTF-8; `SpecError` when unreadable."""
    name = display_name(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read spec {name}: {exc.strerror or exc}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"cannot read spec {name}: larger than {MAX_SPEC_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"cannot read spec {name}: not UTF-8 text ({exc.reason})") from None


class StrictLoader(yaml.SafeLoader):
    """A safe loader refusing duplicate keys (plain YAML lets the last one win) and alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_ALIASES} aliases", mark
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line, with the line and column where it was found."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        problem += f" (line {mark.line + 1}, column {mark.column + 1})"
    return problem


def parse_spec(text: str, source: str) -> dict[str, Any]:
    """Parse spec text read from `source` (a path or a git `REF:path`); `SpecError` if unfit."""
    try:
        document = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SpecError(f"spec {source} is not valid YAML: {yaml_problem(exc)}") from None
    except RecursionError:
        raise SpecError(f"spec {source} is nested too deeply") from None
    if not isinstance(document, dict) or "openapi" not in document or "paths" not in document:
        raise SpecError(f"{source} is not an OpenAPI document (no 'openapi' or 'paths' key)")
    paths = document["paths"]
    if not isinstance(paths, dict) or not all(isinstance(item, dict) for item in paths.values()):
        raise SpecError(f"{source}: 'paths' is not a mapping of paths to operations")
    return document

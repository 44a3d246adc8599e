"""Where a JSON pointer's node is written in the spec's YAML text: its line and column.

Findings name a node by its JSON pointer; an editor, a terminal and a pull request's diff want a
line. The text is composed (not constructed) by the same strict loader that parses it, and each
node keeps the mark where it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import SpecError
from .loading import StrictLoader, read_spec_text, yaml_problem
from .location import display_name
from .pointers import pointer, pointer_tokens


@dataclass(frozen=True)
class Position:
    """A place in the spec's text, 1-based, and the pointer of the node found there."""

    line: int
    column: int
    #: The pointer asked for, or its nearest ancestor when the text does not hold it (a node
    #: that exists only in another version, or one a `$ref` merge made).
    pointer: str


class SourceMap:
    """The line and column of every node of one spec text, looked up by JSON pointer."""

    def __init__(self, text: str, source: str = "spec") -> None:
        try:
            self._root: Any = yaml.compose(text, Loader=StrictLoader)  # noqa: S506 - SafeLoader
        except yaml.YAMLError as exc:
            raise SpecError(f"spec {source} is not valid YAML: {yaml_problem(exc)}") from None
        except RecursionError:
            raise SpecError(f"spec {source} is nested too deeply") from None

    def position(self, where: str) -> Position:
        """Where the node at JSON pointer `where` is written: for a mapping's value, the line of
        its key; for an item of a list, the item; else the nearest ancestor that is written."""
        node, mark, found = self._root, None, []
        for token in pointer_tokens(where):
            child = _child(node, token)
            if child is None:
                break
            node, mark = child
            found.append(token)
        if mark is None:
            mark = node.start_mark if node is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return Position(line, column, pointer(*found))


def _child(node: Any, token: str) -> tuple[Any, Any] | None:
    """(the child node named by `token`, the mark to report for it), or None if there is none."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                return value, key.start_mark
    elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
        item = node.value[int(token)]
        return item, item.start_mark
    return None


def spec_source_map(path: str | os.PathLike[str]) -> SourceMap:
    """The source map of the spec file at `path`, read within the loader's limits."""
    return SourceMap(read_spec_text(path), display_name(path))

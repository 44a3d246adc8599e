"""JSON pointers (RFC 6901) and local `$ref`s: the one implementation every part uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import SpecError


def escape_token(token: object) -> str:
    """One reference token, escaped (`~` as `~0`, `/` as `~1`)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """One reference token, unescaped."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*parts: object) -> str:
    """The JSON pointer of a path of keys; `""` for the whole document."""
    return "".join("/" + escape_token(part) for part in parts)


def pointer_tokens(text: str) -> list[str]:
    """The unescaped tokens of a JSON pointer (`/a/b`) or of a local `$ref` (`#/a/b`)."""
    body = text[1:] if text.startswith("#") else text
    if not body:
        return []
    if not body.startswith("/"):
        raise SpecError(f"{text!r} is not a JSON pointer")
    return [unescape_token(token) for token in body[1:].split("/")]


def resolve_pointer(document: Any, ref: str) -> Any:
    """The node a local `$ref` (`#/a/b`) or JSON pointer names; `SpecError` if none."""
    if not ref.startswith("#"):
        raise SpecError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for token in pointer_tokens(ref):
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise SpecError(f"unresolvable $ref {ref!r}") from None
    return node


#: How a `$ref` node becomes its inlined form: (the node as written, its inlined target, its
#: inlined siblings) -> what stands in its place.
Combine = Callable[[dict[str, Any], Any, dict[str, Any]], Any]


def lay_over(node: dict[str, Any], target: Any, siblings: dict[str, Any]) -> Any:
    """The target with the `$ref`'s siblings laid over it (OpenAPI's Reference Object)."""
    return {**target, **siblings} if isinstance(target, dict) else target


def inline_refs(
    document: dict[str, Any],
    node: Any,
    _seen: tuple[str, ...] = (),
    *,
    combine: Combine = lay_over,
) -> Any:
    """A copy of `node` with every local `$ref` replaced by what it names; `combine` says how a
    `$ref`'s target and siblings go together (laid over by default)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in _seen:
                raise SpecError(f"recursive $ref {ref!r} cannot be inlined")
            target = inline_refs(
                document, resolve_pointer(document, ref), (*_seen, ref), combine=combine
            )
            siblings = {
                k: inline_refs(document, v, _seen, combine=combine)
                for k, v in node.items()
                if k != "$ref"
            }
            return combine(node, target, siblings)
        return {k: inline_refs(document, v, _seen, combine=combine) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_refs(document, item, _seen, combine=combine) for item in node]
    return node


def refs_in(node: Any) -> Iterator[str]:
    """Every `$ref` string written in `node`, not following them."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def reachable_refs(document: dict[str, Any], roots: Iterable[Any]) -> set[str]:
    """Every local `$ref` reachable from `roots`, following references transitively.

    A reference that names nothing is kept in the set but not followed: reporting it is the
    caller's business (lint and compat each say so in their own words).
    """
    pending = [ref for root in roots for ref in refs_in(root)]
    reached: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in reached:
            continue
        reached.add(ref)
        try:
            pending.extend(refs_in(resolve_pointer(document, ref)))
        except SpecError:
            continue
    return reached


def ref_sites(node: Any, location: tuple[object, ...] = ()) -> Iterator[tuple[str, str]]:
    """(JSON pointer of the object holding it, the `$ref` string) for every `$ref` in `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield pointer(*location), value
            else:
                yield from ref_sites(value, (*location, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from ref_sites(item, (*location, index))


def dangling_refs(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON pointer of the object holding it, the `$ref`) for every `$ref` naming nothing."""
    dangling = []
    for where, ref in ref_sites(document):
        try:
            resolve_pointer(document, ref)
        except SpecError:
            dangling.append((where, ref))
    return dangling

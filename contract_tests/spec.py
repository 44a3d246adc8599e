"""Reading `openapi.yaml`: the one place the gateway, the suite and the tools get the spec from."""

from __future__ import annotations

import os
from copy import deepcopy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

#: The spec this checkout ships; `LIVEPEER_OPENAPI` points elsewhere.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"

#: Vendor extension on a request property: the status a gateway answers when that property
#: breaks its schema (default 422, the validation-error status).
INVALID_STATUS_KEY = "x-invalid-status"


class SpecError(Exception):
    """The spec cannot be read or does not have the shape this project relies on."""


def spec_path() -> Path:
    return Path(os.environ.get("LIVEPEER_OPENAPI", DEFAULT_SPEC_PATH))


def load_spec(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Parse the spec at `path` (default `spec_path()`); `SpecError` with a one-line reason."""
    return deepcopy(_load_cached(str(Path(path) if path is not None else spec_path())))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"cannot read spec {path}: not UTF-8 text ({exc.reason})") from None
    return parse_spec(text, path)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader refusing duplicate keys, which plain YAML loading lets the last one win."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} at line {line}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_spec(text: str, source: str) -> dict[str, Any]:
    """Parse spec text read from `source` (a path or a git `REF:path`); `SpecError` if unfit."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"spec {source} is not valid YAML: {problem}") from None
    if not isinstance(document, dict) or "openapi" not in document or "paths" not in document:
        raise SpecError(f"{source} is not an OpenAPI document (no 'openapi' or 'paths' key)")
    paths = document["paths"]
    if not isinstance(paths, dict) or not all(isinstance(item, dict) for item in paths.values()):
        raise SpecError(f"{source}: 'paths' is not a mapping of paths to operations")
    return document


def resolve_pointer(document: dict[str, Any], ref: str) -> Any:
    """The node a local `$ref` (`#/a/b`) names."""
    if not ref.startswith("#/"):
        raise SpecError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError):
            raise SpecError(f"unresolvable $ref {ref!r}") from None
    return node


def inline_refs(document: dict[str, Any], node: Any, _seen: tuple[str, ...] = ()) -> Any:
    """A copy of `node` with every local `$ref` replaced by what it names (siblings merged)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in _seen:
                raise SpecError(f"recursive $ref {ref!r} cannot be inlined")
            target = inline_refs(document, resolve_pointer(document, ref), (*_seen, ref))
            siblings = {k: inline_refs(document, v, _seen) for k, v in node.items() if k != "$ref"}
            return {**target, **siblings} if isinstance(target, dict) else target
        return {k: inline_refs(document, v, _seen) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_refs(document, item, _seen) for item in node]
    return node


def operation(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    """The operation object at `path`/`method`, with every `$ref` inlined."""
    try:
        op = document["paths"][path][method]
    except KeyError:
        raise SpecError(f"the spec has no operation {method.upper()} {path}") from None
    return inline_refs(document, op)


def request_body(
    document: dict[str, Any], path: str, method: str = "post"
) -> tuple[str, dict[str, Any]]:
    """(media type, schema) of the operation's request body, `$ref`s inlined."""
    content = operation(document, path, method).get("requestBody", {}).get("content", {})
    if not content:
        raise SpecError(f"{method.upper()} {path} declares no request body")
    media_type, media = next(iter(content.items()))
    return media_type, media.get("schema", {})


def response_schema(
    document: dict[str, Any], path: str, status: int | str, method: str = "post"
) -> dict[str, Any] | None:
    """The JSON schema of a declared response's body, or None when the status is not declared."""
    responses = operation(document, path, method).get("responses", {})
    response = responses.get(str(status))
    if response is None:
        return None
    return response.get("content", {}).get("application/json", {}).get("schema")


def image_operations(document: dict[str, Any]) -> dict[str, str]:
    """operationId -> path, for every POST operation in the spec."""
    return {
        op["operationId"]: path
        for path, item in document.get("paths", {}).items()
        for method, op in item.items()
        if method == "post" and isinstance(op, dict) and "operationId" in op
    }

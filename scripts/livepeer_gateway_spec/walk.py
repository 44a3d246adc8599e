"""Walking a spec: its operations, request bodies and response schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import SpecError
from .pointers import inline_refs, pointer, pointer_tokens, reachable_refs

#: The methods an OpenAPI path item may hold an operation under.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: The kinds of reusable object an OpenAPI 3.1 document's `components` may hold.
COMPONENT_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
)


def iter_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation object) for every operation in the document, in its order."""
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict):
                yield path, method, op


def operation(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    """The operation object at `path`/`method`, with every `$ref` inlined."""
    try:
        op = document["paths"][path][method]
    except (KeyError, TypeError):
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


def operations_reaching(document: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """(path, method) of every operation the node at JSON pointer `where` is part of: the one it
    sits in, every operation of a path item it sits in, or every operation whose `$ref`s reach
    the component it sits in (or whose security requirement names it, for a security scheme)."""
    tokens = pointer_tokens(where)
    found = []
    for path, method, op in iter_operations(document):
        if tokens[:1] == ["paths"] and tokens[1:2] == [path]:
            if len(tokens) < 3 or tokens[2] == method or tokens[2] not in HTTP_METHODS:
                found.append((path, method))
        elif tokens[:1] == ["components"] and len(tokens) >= 3:
            item = (document.get("paths") or {}).get(path) or {}
            if tokens[1] == "securitySchemes":
                requirements = op.get("security", document.get("security")) or []
                if any(tokens[2] in (requirement or {}) for requirement in requirements):
                    found.append((path, method))
            elif "#" + pointer(*tokens[:3]) in reachable_refs(
                document, [op, item.get("parameters") or []]
            ):
                found.append((path, method))
    return found

"""The name the generated client gives each operation: its module under the client package.

openapi-python-client writes an operation to `api/<first tag>/<operationId>.py` (tag `default`
when it has none, a name made of its method and path when it has no operationId), every name
made a snake_case Python identifier. These rules mirror its own; a test holds them to the
generator's functions and to the generated package's files.
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import Any

from .walk import iter_operations

#: Characters the generator keeps as word separators; every other non-word character is dropped.
_DELIMITERS = ". _-"
#: Names the generator suffixes with `_` (Python's builtins and a few of its own).
_RESERVED = (set(dir(builtins)) | {"self", "true", "false", "datetime"}) - {"id"}


def python_identifier(value: str, prefix: str) -> str:
    """`value` as the generator's snake_case identifier (`textToImage` -> `text_to_image`)."""
    kept = "".join(c for c in value if c.isidentifier() or c.isdecimal() or c in _DELIMITERS)
    words = kept
    if any(c.isupper() for c in words):
        words = " ".join(re.split("([A-Z]?[a-z]+)", words))
    name = "_".join(re.findall(rf"[^{re.escape(_DELIMITERS)}]+", words)).lower()
    if name in _RESERVED or keyword.iskeyword(name):
        name += "_"
    if not name.isidentifier() or kept.startswith("_"):
        name = prefix + name
    return name


def client_module(path: str, method: str, operation: dict[str, Any]) -> str:
    """The generated module that calls an operation, under the client package (its functions
    are `sync`, `sync_detailed`, `asyncio` and `asyncio_detailed`): `api.generate.text_to_image`.
    """
    tags = operation.get("tags") or ["default"]
    operation_id = operation.get("operationId")
    if not operation_id:
        unsafe = path.replace("{", "").replace("}", "").replace("/", "_")
        operation_id = f"{method}_{unsafe.removeprefix('_').removesuffix('_')}"
    tag = python_identifier(str(tags[0]), "tag")
    return f"api.{tag}.{python_identifier(str(operation_id), 'field_')}"


def client_modules(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> the generated module that calls it, for every operation."""
    return {
        (method.upper(), path): client_module(path, method, operation)
        for path, method, operation in iter_operations(document)
    }

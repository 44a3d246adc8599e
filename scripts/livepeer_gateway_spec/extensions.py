"""The project's `x-` extensions to OpenAPI: what each means, and how to read it."""

from __future__ import annotations

from typing import Any

from .errors import SpecError
from .walk import iter_operations

#: On a request property: the status a gateway answers when that property breaks its schema
#: (default 422, the validation-error status).
INVALID_STATUS_KEY = "x-invalid-status"
#: On an operation: the factor by which its output image's width and height exceed the input's.
UPSCALE_FACTOR_KEY = "x-upscale-factor"


def invalid_status(property_schema: dict[str, Any], default: int = 422) -> int:
    """The status a gateway answers when a value breaks this property's schema."""
    return int(property_schema.get(INVALID_STATUS_KEY, default))


def upscale_factors(document: dict[str, Any]) -> dict[str, int]:
    """operationId -> upscale factor, for every operation that declares one."""
    factors: dict[str, int] = {}
    for path, method, op in iter_operations(document):
        if UPSCALE_FACTOR_KEY not in op:
            continue
        factor = op[UPSCALE_FACTOR_KEY]
        if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
            raise SpecError(f"{method.upper()} {path}: {UPSCALE_FACTOR_KEY} is not an integer >= 1")
        factors[op.get("operationId", path)] = factor
    return factors

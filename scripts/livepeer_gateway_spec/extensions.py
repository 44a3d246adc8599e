"""The project's `x-` extensions to OpenAPI: what each means, and how to read it."""

from __future__ import annotations

from typing import Any

#: On a request property: the status a gateway answers when that property breaks its schema
#: (default 422, the validation-error status).
INVALID_STATUS_KEY = "x-invalid-status"
#: On an operation: the factor by which its output image's width and height exceed the input's.
UPSCALE_FACTOR_KEY = "x-upscale-factor"


def invalid_status(property_schema: dict[str, Any], default: int = 422) -> int:
    """The status a gateway answers when a value breaks this property's schema."""
    return int(property_schema.get(INVALID_STATUS_KEY, default))

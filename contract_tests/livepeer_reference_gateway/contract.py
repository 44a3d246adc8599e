"""Request validation read from `openapi.yaml`: schemas, bounds, defaults and invalid statuses."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from livepeer_gateway_spec import (
    INVALID_STATUS_KEY,
    Operation,
    Pipeline,
    SpecError,
    load_spec,
    served_operations,
)

from .errors import GatewayError, SpecUnusable, Violation, excerpt, validation_failed

#: jsonschema keyword -> the error `type` the runners' FastAPI reports for it.
_VIOLATION_TYPES = {
    "required": "missing",
    "minimum": "greater_than_equal",
    "maximum": "less_than_equal",
    "exclusiveMinimum": "greater_than",
    "exclusiveMaximum": "less_than",
    "multipleOf": "multiple_of",
    "minLength": "string_too_short",
    "maxLength": "string_too_long",
    "enum": "enum",
}
_TYPE_NAMES = {
    "integer": "int_type",
    "number": "float_type",
    "boolean": "bool_type",
    "string": "string_type",
    "object": "model_attributes_type",
    "array": "list_type",
}
#: JSON's number grammar (RFC 8259, section 6), ASCII digits only: what a multipart field
#: declared a number or integer must look like. No sign but `-`, no leading zeros, no
#: underscores, no spaces; an integer has neither fraction nor exponent.
_INTEGER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)
_NUMBER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)
_BOOLEAN_TEXT = {"true": True, "True": True, "false": False, "False": False}


@dataclass(frozen=True)
class OperationContract:
    """One operation's request contract: the spec core's view of it, and its validator."""

    operation: Operation
    validator: Draft202012Validator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "validator", Draft202012Validator(self.operation.schema))

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id

    @property
    def path(self) -> str:
        return self.operation.path

    @property
    def media_type(self) -> str:
        return self.operation.media_type

    @property
    def upscale_factor(self) -> int | None:
        return self.operation.upscale_factor

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        return self.operation.properties

    @property
    def binary_fields(self) -> frozenset[str]:
        """Properties uploaded as files (`format: binary`)."""
        return frozenset(self.operation.file_parts)

    @property
    def pipeline(self) -> Pipeline:
        """What the operation does, as the spec core reads it."""
        return self.operation.pipeline

    def violations(self, body: Any) -> list[Violation]:
        """Every rule of the request schema `body` breaks (empty when it conforms)."""
        if not isinstance(body, dict):
            return [Violation("", "Input should be a valid object", "model_attributes_type")]
        return _violations(self.validator.iter_errors(body))

    def refusal(self, violations: list[Violation]) -> GatewayError:
        """The answer for these violations: 422, unless all are on fields with their own status."""
        own = {
            v.field: self.properties.get(v.field, {}).get(INVALID_STATUS_KEY) for v in violations
        }
        statuses = {status for status in own.values() if status is not None}
        all_own = all(own[v.field] is not None and v.type != "missing" for v in violations)
        if all_own and len(statuses) == 1:
            status = int(next(iter(statuses)))
            return GatewayError(
                status, "field_status", "; ".join(f"{v.field}: {v.msg}" for v in violations)
            )
        return validation_failed(violations)

    def with_defaults(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of `body` with each absent property's declared `default`, integers as `int`."""
        filled = dict(body)
        for name, schema in self.properties.items():
            if name not in filled and "default" in schema:
                filled[name] = schema["default"]
            elif schema.get("type") == "integer" and isinstance(filled.get(name), float):
                filled[name] = int(filled[name])
        return filled

    def fallback(self, name: str) -> Any:
        """What a field is replaced with when a fault lets its violation through."""
        schema = self.properties.get(name, {})
        if "default" in schema:
            return schema["default"]
        return {"string": "", "integer": None, "number": None, "boolean": False}.get(
            schema.get("type", ""), None
        )

    def repeated_field(self, name: str, count: int) -> Violation | None:
        """The violation of sending a declared single-valued field as `count` parts.

        In a multipart body an array is sent as repeated parts, so a repeated scalar field is
        an array where the schema declares one value.
        """
        declared = self.properties.get(name, {}).get("type")
        if count < 2 or declared is None or declared == "array":
            return None
        kind = _TYPE_NAMES.get(str(declared), "type_error")
        return Violation(name, f"Input should be a single {declared}, got {count} parts", kind)

    def coerce_form_field(self, name: str, text: str) -> tuple[Any, Violation | None]:
        """A multipart text field as the type its schema declares, or the violation it makes."""
        declared = self.properties.get(name, {}).get("type")
        if declared == "integer":
            if _INTEGER_TEXT.fullmatch(text):
                try:
                    return int(text), None
                except ValueError:  # more digits than Python converts (sys.int_info)
                    pass
            return text, Violation(name, "Input should be a valid integer", "int_parsing")
        if declared == "number":
            number = float(text) if _NUMBER_TEXT.fullmatch(text) else math.nan
            if math.isfinite(number):
                return number, None
            return text, Violation(name, "Input should be a valid number", "float_parsing")
        if declared == "boolean":
            if text in _BOOLEAN_TEXT:
                return _BOOLEAN_TEXT[text], None
            return text, Violation(name, "Input should be a valid boolean", "bool_parsing")
        return text, None


def load_contracts(spec_path: Path | None = None) -> dict[str, OperationContract]:
    """operationId -> contract, for every POST operation of the spec; `SpecUnusable` if none."""
    try:
        document = load_spec(spec_path)
        contracts = {
            op.operation_id: OperationContract(op) for op in served_operations(document).values()
        }
    except SpecError as exc:
        raise SpecUnusable(str(exc)) from None
    if not contracts:
        raise SpecUnusable("the spec declares no POST operation to serve")
    return contracts


def parse_json_object(raw: bytes) -> Any:
    """The JSON value in `raw`, refusing NaN/Infinity; raise `GatewayError` 422 when malformed."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        message = (
            f"JSON decode error: {exc}"
            if isinstance(exc, json.JSONDecodeError)
            else "JSON decode error"
        )
        raise validation_failed([Violation("", message, "json_invalid")]) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _violations(errors: Iterable[ValidationError]) -> list[Violation]:
    """jsonschema errors as 422 entries, one per missing field and one per broken rule."""
    found: dict[tuple[str, str], Violation] = {}
    for error in errors:
        if error.validator == "required":
            instance = error.instance if isinstance(error.instance, dict) else {}
            for name in error.validator_value:
                if name not in instance:
                    found.setdefault(
                        (name, "missing"), Violation(name, "Field required", "missing")
                    )
        else:
            violation = _violation(error)
            found.setdefault((violation.field, violation.type), violation)
    return list(found.values())


def _violation(error: ValidationError) -> Violation:
    """One jsonschema error (other than `required`) as a 422 entry naming its top-level field."""
    field = str(error.absolute_path[0]) if error.absolute_path else ""
    if error.validator == "type":
        kind = _TYPE_NAMES.get(str(error.validator_value), "type_error")
    else:
        kind = _VIOLATION_TYPES.get(str(error.validator), str(error.validator))
    return Violation(field, excerpt(error.message), kind)

"""Every JSON Schema 2020-12 and OpenAPI 3.1 schema keyword: compared by a rule, or ignored.

A keyword in neither table is unknown: in a request schema its appearance or change counts as
possibly narrowing what gateways accept (breaking), elsewhere it is reported for review.
"""

from __future__ import annotations

from livepeer_gateway_spec import INVALID_STATUS_KEY, SOURCE_KEY, UPSCALE_FACTOR_KEY

#: Keywords compared by a rule, and the rule in a few words (docs/compat.md states each in full).
COMPARED: dict[str, str] = {
    # validation
    "type": "type sets (integer within number); null alone is nullability",
    "nullable": "OpenAPI 3.0 spelling of null in the type set",
    "enum": "sets of allowed values",
    "const": "a one-value enum",
    "multipleOf": "exact decimal arithmetic: a multiple of the old step narrows, a divisor widens",
    "maximum": "effective upper bound with exclusiveMaximum, exact decimals",
    "exclusiveMaximum": "effective upper bound with maximum (3.1 number or 3.0 boolean)",
    "minimum": "effective lower bound with exclusiveMinimum, exact decimals",
    "exclusiveMinimum": "effective lower bound with minimum (3.1 number or 3.0 boolean)",
    "maxLength": "size bound: smaller narrows",
    "minLength": "size bound: larger narrows",
    "pattern": "added narrows, removed widens; replaced, decided where one side matches every"
    " string (or every string of one line), else a change both ways",
    "maxItems": "size bound: smaller narrows",
    "minItems": "size bound: larger narrows",
    "uniqueItems": "true added narrows, removed widens",
    "maxContains": "size bound: smaller narrows",
    "minContains": "size bound: larger narrows",
    "maxProperties": "size bound: smaller narrows",
    "minProperties": "size bound: larger narrows",
    "required": "per field: newly required narrows, no longer required widens; readOnly holds"
    " in responses only, writeOnly in requests only",
    "dependentRequired": "per trigger field: names added narrow, removed widen",
    "format": "added narrows, removed widens, changed is a change both ways",
    # applicators
    "properties": "per field: removed, added, or compared recursively",
    "items": "compared recursively",
    "prefixItems": "entries compared by position (a tuple is positional); more entries narrow",
    "additionalProperties": "false added narrows, removed widens; schemas compared recursively",
    "patternProperties": "per pattern: added narrows, removed widens, same compared recursively",
    "propertyNames": "added narrows, removed widens, both compared recursively",
    "dependentSchemas": "per trigger: added narrows, removed widens, same compared recursively",
    "contains": "added narrows, removed widens, both compared recursively",
    "allOf": "merged into the schema where exact, else branches matched by content",
    "anyOf": "one branch unwrapped; else branches matched by content: more widen, fewer narrow",
    "oneOf": "as anyOf, but a branch that may overlap the others is undecided",
    "not": "added narrows, removed widens, changed is undecided",
    "if": "with then/else: added narrows, removed widens; a changed condition is undecided",
    "then": "compared recursively when `if` is unchanged",
    "else": "compared recursively when `if` is unchanged",
    "unevaluatedProperties": "as additionalProperties",
    "unevaluatedItems": "false or a schema added narrows, removed widens, changed is undecided",
    # content
    "contentMediaType": "an annotation: removed widens, added narrows, changed both ways",
    "contentEncoding": "an annotation: removed widens, added narrows, changed both ways",
    "contentSchema": "added narrows, removed widens, both compared recursively",
    # meta-data that changes behaviour or readers
    "default": "behaviour: requests that omit the field now behave differently",
    "deprecated": "behaviour: plan a migration",
    "readOnly": "behaviour: which side may send the field changed",
    "writeOnly": "behaviour: which side may send the field changed",
    "description": "behaviour when numbers, code or must/never words change, else documentation",
    # OpenAPI 3.1 base vocabulary
    "discriminator": "behaviour: generated clients choose a union's branch by it",
    "xml": "behaviour: how the value is written as XML changed",
    # references
    "$ref": "resolved before comparison: a schema is judged by what it points to",
    "$dynamicRef": "not resolved: any change is undecided",
}

#: Keywords deliberately not compared, and why.
IGNORED: dict[str, str] = {
    "title": "annotation: no value is accepted or refused by it",
    "examples": "annotation: examples do not constrain values",
    "example": "annotation (OpenAPI): examples do not constrain values",
    "$comment": "annotation for schema authors only",
    "externalDocs": "annotation (OpenAPI): a link to documentation",
    "$schema": "names the dialect of a resource; the document's jsonSchemaDialect is compared",
    "$id": "names a schema resource; this checker resolves references by JSON pointer",
    "$anchor": "names a location for references; references are resolved before comparison",
    "$dynamicAnchor": "names a location for $dynamicRef; the reference itself is compared",
    "$vocabulary": "only meaningful in meta-schemas, which an API document does not define",
    "$defs": "holds schemas reached only through $ref, compared where they are used",
}

#: The project's own `x-` extensions (defined by the spec core), each classified on purpose.
#: Any other `x-` key is a vendor extension: a change to it is `behaviour`, for review.
EXTENSIONS: dict[str, str] = {
    SOURCE_KEY: (
        "annotation on the wire: it only records where a constraint comes from; a constraint"
        " kept whose source kind changes (a mark added, removed or of another kind) is behaviour,"
        " since it decides whether a conformance run fails a gateway or advises; an edited text"
        " is documentation; a mark added or removed with its constraint is that constraint's"
        " change"
    ),
    INVALID_STATUS_KEY: (
        "the status a gateway must answer when the field breaks its schema (the spec core's"
        " default when absent): a changed status breaks gateways, which answer the old one"
    ),
    UPSCALE_FACTOR_KEY: (
        "the size of the image an operation must answer: added narrows the response (breaks"
        " gateways), removed or changed breaks clients, which rely on the old size"
    ),
}

#: Keywords that only annotate: a branch made of these alone constrains nothing.
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "example",
        "$comment",
        "externalDocs",
        "deprecated",
        "readOnly",
        "writeOnly",
        "default",
        "$schema",
        "$id",
        "$anchor",
        "$dynamicAnchor",
        "$defs",
        "$vocabulary",
        "discriminator",
        "xml",
    }
)


def is_known(keyword: str) -> bool:
    """Whether `keyword` is compared or deliberately ignored (vendor `x-` keys are extensions)."""
    return keyword in COMPARED or keyword in IGNORED or keyword.startswith("x-")

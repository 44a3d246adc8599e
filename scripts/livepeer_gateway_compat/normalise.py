"""Schemas in a normal form before they are compared, each keyword remembering where it is written.

The rules (docs/compat.md, "Normalisation"): a boolean schema becomes `{}` or `{"not": {}}`;
a one-branch `oneOf`/`anyOf` is unwrapped into its schema; `allOf` branches are merged into the
schema where the merge is exact (conjunction of keywords that do not interact) and kept as
branches otherwise. `$ref`s are already resolved (`inline_for_comparison`): a Schema Object's
`$ref` with constraint siblings becomes `allOf: [target, siblings]`, as 2020-12 reads it, and is
merged here like any `allOf`. Branches left are matched by content, not position (`canonical`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from livepeer_gateway_spec import COMPONENT_KINDS, inline_refs, pointer_tokens
from livepeer_gateway_spec.pointers import lay_over

from livepeer_gateway_compat.keywords import ANNOTATIONS

Location = tuple[str, ...]

COMPOSITIONS = ("allOf", "anyOf", "oneOf")
#: Keywords whose meaning depends on the sibling `properties`/`patternProperties`/`items`.
_SIBLING_DEPENDENT = frozenset(
    {"additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items", "prefixItems"}
)
_LOWER = ("minimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "maxLength", "maxItems", "maxProperties", "maxContains")


#: Component kinds whose `$ref` is a Reference Object (OpenAPI 3.1), not a Schema Object's
#: `$ref`: its siblings (`summary`, `description`) are laid over the target, as the spec core's
#: `inline_refs` does.
_REFERENCE_OBJECT_KINDS = frozenset(COMPONENT_KINDS) - {"schemas"}


def ref_constraints(node: dict[str, Any]) -> dict[str, Any]:
    """The siblings of a Schema Object's `$ref` that constrain (neither annotations nor `x-`
    keys); empty for a node without `$ref` or a Reference Object's `$ref`."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {}
    tokens = pointer_tokens(ref[1:]) if ref.startswith("#") else []
    if len(tokens) == 3 and tokens[0] == "components" and tokens[1] in _REFERENCE_OBJECT_KINDS:
        return {}
    if len(tokens) == 2 and tokens[0] in ("paths", "webhooks"):
        return {}
    return {
        key: value
        for key, value in node.items()
        if key != "$ref" and key not in ANNOTATIONS and not key.startswith("x-")
    }


def _as_conjunction(node: dict[str, Any], target: Any, siblings: dict[str, Any]) -> Any:
    """A Schema Object's `$ref` with constraint siblings, read as JSON Schema 2020-12 reads it:
    both at once. `{$ref: X, maximum: 10, description: d}` becomes
    `{description: d, allOf: [X, {maximum: 10}]}`, which `normalise` merges where the merge is
    exact; annotations and `x-` keys stay laid over the target's."""
    constraints = ref_constraints(node)
    if not constraints or not isinstance(target, dict):
        return lay_over(node, target, siblings)
    laid_over = {k: v for k, v in siblings.items() if k not in constraints}
    return {**laid_over, "allOf": [target, {k: siblings[k] for k in constraints}]}


def inline_for_comparison(document: dict[str, Any]) -> Any:
    """`document` with every local `$ref` replaced by its target: a Schema Object's constraint
    siblings as a conjunction (`_as_conjunction`), any other sibling laid over the target."""
    return inline_refs(document, document, combine=_as_conjunction)


@dataclass
class Shape:
    """A normalised schema: its keywords, and the location each keyword is written at."""

    keys: dict[str, Any]
    at: Location
    #: keyword -> location of the keyword itself (merged keywords point into their branch).
    origin: dict[str, Location] = field(default_factory=dict)
    #: property name -> location of the property's schema.
    property_at: dict[str, Location] = field(default_factory=dict)
    #: composition keyword -> location of each remaining branch.
    branch_at: dict[str, list[Location]] = field(default_factory=dict)

    def loc(self, keyword: str) -> Location:
        """Where `keyword` is written (where it would be written, when absent)."""
        return self.origin.get(keyword, (*self.at, keyword))

    def prop(self, name: str) -> Location:
        """Where property `name`'s schema is written."""
        return self.property_at.get(name, (*self.loc("properties"), name))

    def branch(self, keyword: str, index: int) -> Location:
        """Where branch `index` of `keyword` is written."""
        locations = self.branch_at.get(keyword)
        if locations is not None and index < len(locations):
            return locations[index]
        return (*self.loc(keyword), str(index))

    def constraints(self) -> set[str]:
        """Keywords other than annotations and vendor extensions."""
        return {k for k in self.keys if k not in ANNOTATIONS and not k.startswith("x-")}


def normalise(schema: Any, at: Location) -> Shape:
    """`schema` (found at `at`) in normal form."""
    if schema is None or schema is True:
        return Shape({}, at)
    if schema is False:
        return Shape({"not": {}}, at, {"not": at})
    if not isinstance(schema, dict):
        return Shape({"const": schema}, at)  # not a schema: compared as an opaque value
    shape = Shape(
        dict(schema),
        at,
        {key: (*at, key) for key in schema},
        {
            name: (*at, "properties", name)
            for name in (schema["properties"] if isinstance(schema.get("properties"), dict) else {})
        },
        {
            key: [(*at, key, str(i)) for i in range(len(schema[key]))]
            for key in COMPOSITIONS
            if isinstance(schema.get(key), list)
        },
    )
    for keyword in ("oneOf", "anyOf"):
        branches = shape.keys.get(keyword)
        if isinstance(branches, list) and len(branches) == 1:
            branch = normalise(branches[0], shape.branch(keyword, 0))
            rest = _without(shape, keyword)
            if mergeable(rest, branch):
                shape = merge(rest, branch)
    branches = shape.keys.get("allOf")
    if isinstance(branches, list):
        locations = shape.branch_at.get("allOf") or []
        shape = _without(shape, "allOf")
        kept: list[tuple[Any, Location]] = []
        for index, branch in enumerate(branches):
            location = (
                locations[index] if index < len(locations) else (*shape.at, "allOf", str(index))
            )
            branch_shape = normalise(branch, location)
            if mergeable(shape, branch_shape):
                shape = merge(shape, branch_shape)
            else:
                kept.append((branch, location))
        if kept:
            shape.keys["allOf"] = [branch for branch, _ in kept]
            shape.branch_at["allOf"] = [location for _, location in kept]
            shape.origin.setdefault("allOf", (*at, "allOf"))
    return shape


def as_type_union(shape: Shape, keyword: str) -> Shape:
    """`shape` with its `keyword` (`anyOf` or `oneOf`) read as a type set where every branch
    constrains nothing but `type` (`_type_union`), the type written at the keyword; else
    `shape` unchanged. Used against a version without that keyword, so that a composition and
    the type array it spells are compared as types."""
    union = _type_union(keyword, shape.keys.get(keyword))
    if union is None:
        return shape
    rest = _without(shape, keyword)
    types = Shape({"type": union}, shape.loc(keyword), {"type": shape.loc(keyword)})
    return merge(rest, types) if mergeable(rest, types) else shape


def _type_union(keyword: str, branches: Any) -> list[str] | None:
    """The types of an `anyOf` (or a `oneOf` whose types cannot overlap) whose every branch
    constrains nothing but `type`: `anyOf: [{type: string}, {type: boolean}]` accepts exactly
    what `type: [string, boolean]` accepts. None for any other composition."""
    if not isinstance(branches, list) or len(branches) < 2:
        return None
    seen: list[str] = []
    for branch in branches:
        if not isinstance(branch, dict) or not isinstance(branch.get("type"), str | list):
            return None
        if any(k != "type" and k not in ANNOTATIONS and not k.startswith("x-") for k in branch):
            return None
        seen.extend(sorted(_types(branch["type"])))
    union = set(seen)
    overlap = len(union) < len(seen) or {"integer", "number"} <= union
    if keyword == "oneOf" and overlap:
        return None  # a value of two branches' types is refused by oneOf
    return sorted(union)


def _without(shape: Shape, keyword: str) -> Shape:
    """A copy of `shape` without `keyword`."""
    keys = {k: v for k, v in shape.keys.items() if k != keyword}
    origin = {k: v for k, v in shape.origin.items() if k != keyword}
    branch_at = {k: v for k, v in shape.branch_at.items() if k != keyword}
    return Shape(keys, shape.at, origin, dict(shape.property_at), branch_at)


def mergeable(base: Shape, branch: Shape) -> bool:
    """Whether `base` ∧ `branch` can be written as one schema accepting exactly the same values."""
    base_keys, branch_keys = base.constraints(), branch.constraints()
    for keyword in branch_keys:
        if keyword in _SIBLING_DEPENDENT and _has_siblings(base, keyword):
            return False
        if keyword not in base.keys:
            continue
        if _canonical_value(base.keys[keyword]) == _canonical_value(branch.keys[keyword]):
            continue
        if _combine(keyword, base.keys[keyword], branch.keys[keyword]) is None:
            return False
    for keyword in base_keys:
        if (
            keyword in _SIBLING_DEPENDENT
            and keyword not in branch.keys
            and _has_siblings(branch, keyword)
        ):
            return False
    return True


def _has_siblings(shape: Shape, keyword: str) -> bool:
    """Whether `shape` has the keywords `keyword`'s meaning depends on."""
    if keyword in ("items", "prefixItems", "unevaluatedItems"):
        return any(k in shape.keys for k in ("items", "prefixItems", "contains"))
    return any(k in shape.keys for k in ("properties", "patternProperties", "additionalProperties"))


def merge(base: Shape, branch: Shape) -> Shape:
    """`base` ∧ `branch` as one shape (`mergeable` must hold); base's annotations win."""
    keys = dict(base.keys)
    origin = dict(base.origin)
    property_at = dict(base.property_at)
    branch_at = dict(base.branch_at)
    for keyword, value in branch.keys.items():
        if keyword not in keys:
            keys[keyword] = value
            origin[keyword] = branch.loc(keyword)
            if keyword in branch.branch_at:
                branch_at[keyword] = branch.branch_at[keyword]
        elif keyword not in ANNOTATIONS and not keyword.startswith("x-"):
            if _canonical_value(keys[keyword]) != _canonical_value(value):
                combined, from_branch = _combine(keyword, keys[keyword], value) or (value, True)
                keys[keyword] = combined
                if from_branch:
                    origin[keyword] = branch.loc(keyword)
    properties = branch.keys.get("properties")
    for name in properties if isinstance(properties, dict) else {}:
        property_at.setdefault(name, branch.prop(name))
    return Shape(keys, base.at, origin, property_at, branch_at)


def _combine(keyword: str, first: Any, second: Any) -> tuple[Any, bool] | None:
    """(value, whether it is taken from `second`) meaning both at once; None when not exact."""
    if keyword == "required" and isinstance(first, list) and isinstance(second, list):
        return first + [name for name in second if name not in first], True
    if keyword == "properties" and isinstance(first, dict) and isinstance(second, dict):
        for name in set(first) & set(second):
            if canonical(first[name]) != canonical(second[name]):
                return None
        return {**first, **second}, False
    if keyword in _LOWER or keyword in _UPPER:
        a, b = exact(first), exact(second)
        if a is None or b is None:
            return None
        take_second = b > a if keyword in _LOWER else b < a
        return (second, True) if take_second else (first, False)
    if keyword == "type":
        a, b = _types(first), _types(second)
        both = {t for t in a if t in b or (t == "integer" and "number" in b)}
        both |= {t for t in b if t == "integer" and "number" in a}
        return sorted(both), True
    if keyword == "enum" and isinstance(first, list) and isinstance(second, list):
        allowed = {_canonical_value(v) for v in second}
        return [v for v in first if _canonical_value(v) in allowed], True
    return None


def _types(value: Any) -> set[str]:
    """A `type` value as a set."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {str(item) for item in value}
    return set() if value is None else {json.dumps(value)}


def exact(value: Any) -> Fraction | None:
    """A JSON number as an exact fraction of its decimal spelling (`0.1` is 1/10, not a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return Fraction(value)
    # repr() gives the shortest decimal that reads back as the same float: the spelling in YAML.
    return Fraction(repr(value)) if value == value and abs(value) != float("inf") else None


def _canonical_value(value: Any) -> str:
    """A value as canonical JSON (for equality of keyword values)."""
    return json.dumps(value, sort_keys=True, default=str)


def canonical(schema: Any) -> str:
    """A schema's meaning as text: normalised, annotations dropped, keys sorted.

    Two schemas with the same canonical text accept the same values; different texts may still.
    """
    return json.dumps(_strip(schema), sort_keys=True, default=str)


def _strip(schema: Any) -> Any:
    """`schema` normalised recursively, without annotations or vendor extensions."""
    if not isinstance(schema, dict) and not isinstance(schema, bool):
        return schema
    shape = normalise(schema, ())
    out: dict[str, Any] = {}
    for keyword, value in shape.keys.items():
        if keyword in ANNOTATIONS or keyword.startswith("x-"):
            continue
        if keyword in ("properties", "patternProperties", "dependentSchemas") and isinstance(
            value, dict
        ):
            out[keyword] = {name: _strip(sub) for name, sub in value.items()}
        elif keyword in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[keyword] = sorted(json.dumps(_strip(sub), sort_keys=True) for sub in value)
        elif keyword in ("prefixItems",) and isinstance(value, list):
            out[keyword] = [_strip(sub) for sub in value]
        elif keyword in ("required",) and isinstance(value, list):
            out[keyword] = sorted(value)
        elif keyword == "type":
            out[keyword] = sorted(_types(value))
        elif isinstance(value, dict | bool) and keyword in _SUBSCHEMA_KEYWORDS:
            out[keyword] = _strip(value)
        else:
            out[keyword] = value
    return out


_SUBSCHEMA_KEYWORDS = frozenset(
    {
        "items",
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "propertyNames",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "contentSchema",
    }
)

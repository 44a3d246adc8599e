"""Comparing two versions of one schema, for a message read by one side of the wire."""

from __future__ import annotations

import json
from typing import Any

from livepeer_gateway_compat.rules import Effect, Kind, Side
from livepeer_gateway_compat.walk import (
    DOCUMENTATION_KEYS,
    Location,
    Walk,
    diff_documentation,
    diff_extensions,
    fmt,
    fmt_set,
    ordered_union,
    set_effect,
)

#: Schema keys the walker compares itself; any other differing key is reported as unclassified.
_SCHEMA_KEYS = frozenset(
    {
        "type", "nullable", "enum", "const", "default", "description", "properties", "required",
        "items", "prefixItems", "additionalProperties", "allOf", "anyOf", "oneOf", "not",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
        "minItems", "maxItems", "minProperties", "maxProperties", "multipleOf", "pattern",
        "format", "uniqueItems", "contentMediaType", "deprecated",
        "readOnly", "writeOnly",
    }
)  # fmt: skip
#: (keyword, whether a larger value is tighter) for the size bounds.
_SIZE_BOUNDS = (
    ("minLength", True),
    ("maxLength", False),
    ("minItems", True),
    ("maxItems", False),
    ("minProperties", True),
    ("maxProperties", False),
)


def diff_schema(walk: Walk, old: Any, new: Any, at: Location, where: str, side: Side) -> None:
    """Two versions of one schema, in a message read by the other side of the wire."""
    if old is None and new is None:
        return
    old = {} if old is None or old is True else old
    new = {} if new is None or new is True else new
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old != new:
            walk.add(
                Kind.TYPE, at, where, f"schema {old!r} -> {new!r}", side=side, effect=Effect.CHANGED
            )
        return
    _diff_types(walk, old, new, at, where, side)
    _diff_enum(walk, old, new, at, where, side)
    _diff_numeric_bounds(walk, old, new, at, where, side)
    for keyword, larger_is_tighter in _SIZE_BOUNDS:
        _diff_size_bound(walk, old, new, at, where, side, keyword, larger_is_tighter)
    _diff_constraints(walk, old, new, at, where, side)
    if old.get("default") != new.get("default"):
        detail = f"default {fmt(old.get('default'))} -> {fmt(new.get('default'))}"
        walk.add(Kind.DEFAULT, (*at, "default"), where, detail, in_old="default" not in new)
    diff_documentation(
        walk,
        (*at, "description"),
        where,
        "description",
        old.get("description"),
        new.get("description"),
    )
    for key in sorted(DOCUMENTATION_KEYS & (set(old) | set(new))):
        diff_documentation(walk, (*at, key), where, key, old.get(key), new.get(key))
    for key in ("deprecated", "readOnly", "writeOnly"):
        if bool(old.get(key)) != bool(new.get(key)):
            detail = f"{key} {bool(old.get(key))} -> {bool(new.get(key))}"
            walk.add(
                Kind.DEPRECATION if key == "deprecated" else Kind.OTHER, (*at, key), where, detail
            )
    diff_extensions(walk, old, new, at, where)
    _diff_properties(walk, old, new, at, where, side)
    _diff_subschemas(walk, old, new, at, where, side)
    known = _SCHEMA_KEYS | DOCUMENTATION_KEYS
    for key in ordered_union(old, new):
        if key not in known and not key.startswith("x-") and old.get(key) != new.get(key):
            walk.add(Kind.OTHER, (*at, key), where, f"{key} changed", in_old=key not in new)


def _type_set(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows (3.1 type arrays and 3.0 `nullable`); None for any type."""
    declared = schema.get("type")
    if declared is None:
        return None
    types = {declared} if isinstance(declared, str) else set(declared)
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _accepts(types: frozenset[str] | None, others: frozenset[str] | None) -> bool:
    """Whether every value of a type in `others` is of a type in `types`."""
    if types is None:
        return True
    if others is None:
        return False
    return all(t in types or (t == "integer" and "number" in types) for t in others)


def _diff_types(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """The allowed types, nullability reported apart."""
    old_types, new_types = _type_set(old), _type_set(new)
    if old_types == new_types:
        return
    widened, narrowed = _accepts(new_types, old_types), _accepts(old_types, new_types)
    effect = Effect.WIDENED if widened else Effect.NARROWED if narrowed else Effect.CHANGED
    only_null = (
        old_types is not None
        and new_types is not None
        and old_types ^ new_types == frozenset({"null"})
    )
    kind = Kind.NULLABILITY if only_null else Kind.TYPE
    key = "nullable" if only_null and old.get("type") == new.get("type") else "type"
    detail = f"type {fmt_set(old_types)} -> {fmt_set(new_types)}"
    walk.add(kind, (*at, key), where, detail, in_old=key not in new, side=side, effect=effect)


def _diff_enum(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """`enum` and `const`, compared as sets of allowed values."""
    old_values, new_values = _enum_set(old), _enum_set(new)
    if old_values == new_values:
        return
    key = "const" if "const" in (new if new_values is not None else old) else "enum"
    detail = f"{key} {fmt_set(old_values)} -> {fmt_set(new_values)}"
    walk.add(
        Kind.ENUM,
        (*at, key),
        where,
        detail,
        in_old=new_values is None,
        side=side,
        effect=set_effect(old_values, new_values),
    )


def _enum_set(schema: dict[str, Any]) -> frozenset[str] | None:
    """A schema's `const`/`enum` values as a set of JSON texts; None when unrestricted."""
    if "const" in schema:
        return frozenset({json.dumps(schema["const"], sort_keys=True)})
    if "enum" in schema:
        return frozenset(json.dumps(value, sort_keys=True) for value in schema["enum"])
    return None


def _diff_numeric_bounds(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """The effective lower and upper numeric bounds (inclusive and exclusive keywords together)."""
    for inclusive, exclusive, lower in (
        ("minimum", "exclusiveMinimum", True),
        ("maximum", "exclusiveMaximum", False),
    ):
        old_bound = _numeric_bound(old, inclusive, exclusive, lower)
        new_bound = _numeric_bound(new, inclusive, exclusive, lower)
        if old_bound == new_bound:
            continue
        if new_bound is None:
            effect = Effect.WIDENED
        elif old_bound is None:
            effect = Effect.NARROWED
        else:
            tighter = _tighter(new_bound, old_bound, lower)
            effect = Effect.NARROWED if tighter else Effect.WIDENED
        shown = new_bound if new_bound is not None else old_bound
        key = exclusive if shown[1] else inclusive
        detail = f"{'lower' if lower else 'upper'} bound {_fmt_bound(old_bound, lower)} -> " + (
            _fmt_bound(new_bound, lower)
        )
        walk.add(
            Kind.BOUND,
            (*at, key),
            where,
            detail,
            in_old=new_bound is None,
            side=side,
            effect=effect,
        )


def _numeric_bound(
    schema: dict[str, Any], inclusive: str, exclusive: str, lower: bool
) -> tuple[float, bool] | None:
    """(value, exclusive) of the tightest bound a schema sets on one side; None when unbounded."""
    candidates: list[tuple[float, bool]] = []
    if isinstance(schema.get(inclusive), int | float):
        candidates.append((schema[inclusive], False))
    if isinstance(schema.get(exclusive), int | float) and not isinstance(schema[exclusive], bool):
        candidates.append((schema[exclusive], True))
    elif schema.get(exclusive) is True and inclusive in schema:
        candidates = [(schema[inclusive], True)]  # OpenAPI 3.0 boolean form
    if not candidates:
        return None
    best = candidates[0]
    for candidate in candidates[1:]:
        if _tighter(candidate, best, lower):
            best = candidate
    return best


def _tighter(a: tuple[float, bool], b: tuple[float, bool], lower: bool) -> bool:
    """Whether bound `a` allows strictly fewer values than bound `b` on the same side."""
    if a[0] != b[0]:
        return a[0] > b[0] if lower else a[0] < b[0]
    return a[1] and not b[1]


def _fmt_bound(bound: tuple[float, bool] | None, lower: bool) -> str:
    """A bound as `>= 0`, `< 20` or `none`."""
    if bound is None:
        return "none"
    sign = (">" if lower else "<") + ("" if bound[1] else "=")
    return f"{sign} {bound[0]}"


def _diff_size_bound(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    at: Location,
    where: str,
    side: Side,
    keyword: str,
    larger_is_tighter: bool,
) -> None:
    """One length, item-count or property-count bound."""
    old_value, new_value = old.get(keyword), new.get(keyword)
    if old_value == new_value:
        return
    if new_value is None:
        effect = Effect.WIDENED
    elif old_value is None:
        effect = Effect.NARROWED
    else:
        effect = Effect.NARROWED if (new_value > old_value) == larger_is_tighter else Effect.WIDENED
    detail = f"{keyword} {fmt(old_value)} -> {fmt(new_value)}"
    walk.add(
        Kind.BOUND,
        (*at, keyword),
        where,
        detail,
        in_old=new_value is None,
        side=side,
        effect=effect,
    )


def _diff_constraints(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """multipleOf, pattern, format, uniqueItems, content media type and additional properties."""
    for keyword in ("multipleOf", "pattern", "format", "uniqueItems", "contentMediaType"):
        old_value, new_value = old.get(keyword), new.get(keyword)
        if old_value == new_value or (keyword == "uniqueItems" and not old_value and not new_value):
            continue
        if not new_value:
            effect = Effect.WIDENED
        elif not old_value:
            effect = Effect.NARROWED
        elif keyword == "multipleOf":
            effect = _multiple_of_effect(old_value, new_value)
        else:
            effect = Effect.CHANGED
        detail = f"{keyword} {fmt(old_value)} -> {fmt(new_value)}"
        walk.add(
            Kind.CONSTRAINT,
            (*at, keyword),
            where,
            detail,
            in_old=not new_value,
            side=side,
            effect=effect,
        )
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        diff_schema(walk, old_extra, new_extra, (*at, "additionalProperties"), where, side)
    elif old_extra is not new_extra and (old_extra is False or new_extra is False):
        effect = Effect.NARROWED if new_extra is False else Effect.WIDENED
        detail = f"additionalProperties {fmt(old_extra)} -> {fmt(new_extra)}"
        walk.add(
            Kind.ADDITIONAL_PROPERTIES,
            (*at, "additionalProperties"),
            where,
            detail,
            in_old=new_extra is None,
            side=side,
            effect=effect,
        )


def _multiple_of_effect(old: float, new: float) -> Effect:
    """Whether a new `multipleOf` allows a subset, a superset or neither of the old values."""
    if new % old == 0:
        return Effect.NARROWED
    if old % new == 0:
        return Effect.WIDENED
    return Effect.CHANGED


def _diff_properties(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """Object properties: removed (with a rename hint), added, requiredness, and recursion."""
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    old_required, new_required = set(old.get("required") or []), set(new.get("required") or [])
    removed = [name for name in old_props if name not in new_props]
    added = [name for name in new_props if name not in old_props]
    for name in removed:
        renamed_to = [other for other in added if new_props[other] == old_props[name]]
        hint = f" (renamed to {renamed_to[0]!r}?)" if renamed_to else ""
        walk.add(
            Kind.PROPERTY_REMOVED,
            (*at, "properties", name),
            where,
            f"field {name!r} removed{hint}",
            in_old=True,
            side=side,
        )
    for name in added:
        required = name in new_required
        label = "required" if required else "optional"
        walk.add(
            Kind.PROPERTY_ADDED,
            (*at, "properties", name),
            where,
            f"{label} field {name!r} added",
            side=side,
            required=required,
        )
    for name in ordered_union(old_props, new_props):
        if name not in old_props or name not in new_props:
            continue
        if (name in old_required) != (name in new_required):
            effect = Effect.NARROWED if name in new_required else Effect.WIDENED
            state = "required" if name in new_required else "optional"
            walk.add(
                Kind.REQUIRED,
                (*at, "required"),
                where,
                f"field {name!r} now {state}",
                in_old=not new_required,
                side=side,
                effect=effect,
            )
        diff_schema(
            walk,
            old_props[name],
            new_props[name],
            (*at, "properties", name),
            f"{where} field {name!r}",
            side,
        )


def _diff_subschemas(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """items, prefixItems, not, and the allOf/anyOf/oneOf branches (matched by position)."""
    if "items" in old or "items" in new:
        diff_schema(
            walk, old.get("items"), new.get("items"), (*at, "items"), f"{where} items", side
        )
    if old.get("not") != new.get("not"):
        walk.add(
            Kind.COMPOSITION,
            (*at, "not"),
            where,
            "not changed",
            in_old="not" not in new,
            side=side,
            effect=Effect.CHANGED,
        )
    for keyword in ("prefixItems", "allOf", "anyOf", "oneOf"):
        old_branches, new_branches = old.get(keyword) or [], new.get(keyword) or []
        for index in range(min(len(old_branches), len(new_branches))):
            diff_schema(
                walk,
                old_branches[index],
                new_branches[index],
                (*at, keyword, str(index)),
                where,
                side,
            )
        if len(old_branches) == len(new_branches):
            continue
        grew = len(new_branches) > len(old_branches)
        # More anyOf/oneOf branches allow more; more allOf members or prefixItems allow less.
        widens = grew == (keyword in ("anyOf", "oneOf"))
        longer = new_branches if grew else old_branches
        detail = f"{keyword} {len(old_branches)} -> {len(new_branches)} entries"
        walk.add(
            Kind.COMPOSITION,
            (*at, keyword, str(len(longer) - 1)),
            where,
            detail,
            in_old=not grew,
            side=side,
            effect=Effect.WIDENED if widens else Effect.NARROWED,
        )

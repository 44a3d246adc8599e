"""Comparing two versions of one schema, for a message read by one side of the wire.

Both versions are normalised first (`normalise`); every keyword is then compared by its rule
(`keywords.COMPARED`), skipped for its reason (`keywords.IGNORED`), or reported as unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from livepeer_gateway_spec import SOURCE_KEY

from livepeer_gateway_compat.keywords import ANNOTATIONS, IGNORED, is_known
from livepeer_gateway_compat.normalise import (
    COMPOSITIONS,
    Location,
    Shape,
    as_type_union,
    canonical,
    exact,
    normalise,
)
from livepeer_gateway_compat.rules import Effect, Kind, Side
from livepeer_gateway_compat.walk import (
    Walk,
    diff_documentation,
    diff_extensions,
    fmt,
    fmt_set,
    ordered_union,
    set_effect,
)

#: (keyword, whether a larger value is tighter) for the size bounds.
_SIZE_BOUNDS = (
    ("minLength", True),
    ("maxLength", False),
    ("minItems", True),
    ("maxItems", False),
    ("minProperties", True),
    ("maxProperties", False),
    ("minContains", True),
    ("maxContains", False),
)
#: Keywords compared by `_diff_presence`: added narrows, removed widens, both recursed.
_RECURSED_PRESENCE = ("propertyNames", "contains", "contentSchema")
#: Keywords this module compares itself, one rule each (the rest are in keywords.IGNORED).
_HANDLED = frozenset(
    {
        "type", "nullable", "enum", "const", "default", "description", "properties", "required",
        "items", "prefixItems", "additionalProperties", "unevaluatedProperties", "allOf", "anyOf",
        "oneOf", "not", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
        "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains",
        "maxContains", "multipleOf", "pattern", "format", "uniqueItems", "contentMediaType",
        "contentEncoding", "deprecated", "readOnly", "writeOnly", "dependentRequired",
        "dependentSchemas", "patternProperties", "propertyNames", "contains", "contentSchema",
        "unevaluatedItems", "if", "then", "else", "discriminator", "xml", "$dynamicRef", "$ref",
    }
)  # fmt: skip


@dataclass
class _Pair:
    """Two normalised versions of one schema and the context findings are reported in."""

    walk: Walk
    old: Shape
    new: Shape
    where: str
    side: Side
    field: str
    #: In a body whose values travel as text (`media.textual`): a type changed to string widens.
    textual: bool = False

    def add(
        self,
        kind: Kind,
        keyword: str,
        detail: str,
        *,
        in_old: bool = False,
        effect: Effect | None = None,
        required: bool = False,
        location: Location | None = None,
        sided: bool = True,
        named: bool = False,
    ) -> None:
        """Record a change of `keyword` (at its location in the new schema unless `in_old`);
        the detail is prefixed with the field's path unless it already names it (`named`)."""
        if location is None:
            location = (self.old if in_old else self.new).loc(keyword)
        if self.field and not named:
            detail = f"{self.field}: {detail}"
        self.walk.add(
            kind,
            location,
            self.where,
            detail,
            in_old=in_old,
            side=self.side if sided else None,
            effect=effect,
            required=required,
        )

    def recurse(self, old: Any, new: Any, old_at: Location, new_at: Location, field: str) -> None:
        """Compare two subschemas in the same message."""
        diff_schema(
            self.walk, old, new, new_at, self.where, self.side,
            field=field, old_at=old_at, textual=self.textual,
        )  # fmt: skip


def diff_schema(
    walk: Walk,
    old: Any,
    new: Any,
    at: Location,
    where: str,
    side: Side,
    *,
    field: str = "",
    old_at: Location | None = None,
    textual: bool = False,
) -> None:
    """Two versions of one schema (at `old_at` and `at`), in a message read by one side;
    `textual` when the message carries its values as text (`media.textual`)."""
    if old is None and new is None:
        return
    old_shape, new_shape = normalise(old, old_at or at), normalise(new, at)
    for keyword in ("anyOf", "oneOf"):
        if _spelt_without(keyword, new_shape, old_shape):
            old_shape = as_type_union(old_shape, keyword)
        elif _spelt_without(keyword, old_shape, new_shape):
            new_shape = as_type_union(new_shape, keyword)
    pair = _Pair(walk, old_shape, new_shape, where, side, field, textual)
    if _diff_lifted_composition(pair):
        return
    _diff_keywords(pair)


def _spelt_without(keyword: str, plain: Shape, composed: Shape) -> bool:
    """Whether `composed` has `keyword` and `plain` neither has it nor was unwrapped from it
    (a one-branch `anyOf` left by a removal is matched branch by branch instead)."""
    unwrapped = keyword in plain.loc("type")[len(plain.at) :]
    return keyword in composed.keys and keyword not in plain.keys and not unwrapped


def _diff_keywords(pair: _Pair) -> None:
    """Every keyword of two normalised schemas, each by its rule."""
    old, new = pair.old.keys, pair.new.keys
    _diff_types(pair)
    _diff_enum(pair)
    _diff_numeric_bounds(pair)
    for keyword, larger_is_tighter in _SIZE_BOUNDS:
        _diff_size_bound(pair, keyword, larger_is_tighter)
    _diff_constraints(pair)
    if old.get("default") != new.get("default"):
        detail = f"default {fmt(old.get('default'))} -> {fmt(new.get('default'))}"
        pair.add(Kind.DEFAULT, "default", detail, in_old="default" not in new, sided=False)
    for key in ordered_union(old, new):
        if key in ANNOTATIONS and key in IGNORED or key == "description":
            diff_documentation(
                pair.walk,
                (pair.old if key not in new else pair.new).loc(key),
                pair.where,
                f"{pair.field}: {key}" if pair.field else key,
                old.get(key),
                new.get(key),
            )
    for key in ("deprecated", "readOnly", "writeOnly"):
        if bool(old.get(key)) != bool(new.get(key)):
            detail = f"{key} {bool(old.get(key))} -> {bool(new.get(key))}"
            kind = Kind.DEPRECATION if key == "deprecated" else Kind.ACCESS
            pair.add(kind, key, detail, in_old=key not in new, sided=False)
    for key, kind in (("discriminator", Kind.DISCRIMINATOR), ("xml", Kind.OTHER)):
        if old.get(key) != new.get(key):
            pair.add(kind, key, f"{key} changed", in_old=key not in new, sided=False)
    _diff_extensions(pair)
    _diff_properties(pair)
    _diff_subschemas(pair)
    _diff_applicators(pair)
    _diff_compositions(pair)
    for key in ordered_union(old, new):
        if old.get(key) == new.get(key):
            continue
        if key in _HANDLED or is_known(key):
            if _well_formed(key, old.get(key)) and _well_formed(key, new.get(key)):
                continue
            label = f"{key} (a value of the wrong shape)"
        else:
            label = f"unknown keyword {key}"
        pair.add(
            Kind.UNKNOWN_KEYWORD,
            key,
            f"{label} {fmt(old.get(key))} -> {fmt(new.get(key))}",
            in_old=key not in new,
            effect=Effect.UNDECIDED,
        )


_NUMERIC = frozenset(
    {"minimum", "maximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
     "minProperties", "maxProperties", "minContains", "maxContains"}
)  # fmt: skip
_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "dependentRequired"})
_LISTS = frozenset({"required", "prefixItems", "allOf", "anyOf", "oneOf", "enum"})
_SCHEMAS = frozenset(
    {"items", "contains", "not", "if", "then", "else", "propertyNames", "contentSchema",
     "additionalProperties", "unevaluatedProperties", "unevaluatedItems"}
)  # fmt: skip


def _well_formed(keyword: str, value: Any) -> bool:
    """Whether a keyword's value has the shape its rule reads (absent counts as well formed)."""
    if value is None:
        return True
    if keyword in _NUMERIC or keyword in ("exclusiveMinimum", "exclusiveMaximum"):
        return exact(value) is not None or (
            keyword.startswith("exclusive") and isinstance(value, bool)
        )
    if keyword == "dependentRequired":
        return isinstance(value, dict) and all(isinstance(v, list) for v in value.values())
    if keyword in _MAPS:
        return isinstance(value, dict)
    if keyword in _LISTS:
        return isinstance(value, list)
    if keyword in _SCHEMAS:
        return isinstance(value, dict | bool)
    if keyword == "type":
        return isinstance(value, str | list)
    return True


def _diff_extensions(pair: _Pair) -> None:
    """`x-` keys, located where each is written."""
    old = {k: v for k, v in pair.old.keys.items() if k.startswith("x-")}
    new = {k: v for k, v in pair.new.keys.items() if k.startswith("x-")}
    for key in ordered_union(old, new):
        if key == SOURCE_KEY:
            _diff_sources(pair)
        elif old.get(key) != new.get(key):
            in_old = key not in new
            location = (pair.old if in_old else pair.new).loc(key)
            diff_extensions(
                pair.walk,
                {key: old.get(key)},
                {key: new.get(key)},
                location[:-1],
                pair.where,
                pair.field,
            )


def _diff_sources(pair: _Pair) -> None:
    """`x-source`, per constraint kept on both sides: its kind decides whether a conformance run
    fails a gateway or advises (behaviour); its text only documents. A mark that comes or goes
    with its constraint is part of that constraint's change, reported by the constraint's rule."""
    old_marks, new_marks = pair.old.keys.get(SOURCE_KEY), pair.new.keys.get(SOURCE_KEY)
    if old_marks == new_marks:
        return
    if not isinstance(old_marks or {}, dict) or not isinstance(new_marks or {}, dict):
        detail = f"{SOURCE_KEY} (a value of the wrong shape) {fmt(old_marks)} -> {fmt(new_marks)}"
        pair.add(Kind.EXTENSION, SOURCE_KEY, detail, in_old=new_marks is None, sided=False)
        return
    old_marks, new_marks = old_marks or {}, new_marks or {}
    for keyword in ordered_union(old_marks, new_marks):
        old_mark, new_mark = old_marks.get(keyword), new_marks.get(keyword)
        if old_mark == new_mark or keyword not in pair.old.keys or keyword not in pair.new.keys:
            continue
        in_old = keyword not in new_marks
        location = (*(pair.old if in_old else pair.new).loc(SOURCE_KEY), keyword)
        old_kind, new_kind = _source_kind(old_mark), _source_kind(new_mark)
        if old_kind != new_kind:
            detail = f"{SOURCE_KEY} of {keyword}: {old_kind} -> {new_kind}"
            pair.add(Kind.SOURCE, keyword, detail, in_old=in_old, location=location, sided=False)
        else:
            label = f"{pair.field}: {SOURCE_KEY} of {keyword}" if pair.field else keyword
            diff_documentation(pair.walk, location, pair.where, label, old_mark, new_mark)


def _source_kind(mark: Any) -> str:
    """The kind of one `x-source` entry (`{kind: text}`), `unmarked` when absent."""
    if mark is None:
        return "unmarked"
    if isinstance(mark, dict) and len(mark) == 1:
        return str(next(iter(mark)))
    return fmt(mark)


# ---------------------------------------------------------------- types, values, bounds


def type_set(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows (3.1 type arrays and 3.0 `nullable`); None for any type."""
    declared = schema.get("type")
    if declared is None:
        return None
    if isinstance(declared, str):
        types = {declared}
    elif isinstance(declared, list):
        types = {str(t) for t in declared}
    else:
        types = {json.dumps(declared)}  # malformed: compared as an opaque type name
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _admits(shape: Shape, json_type: str) -> bool:
    """Whether a schema allows values of `json_type` (so keywords for that type apply)."""
    types = type_set(shape.keys)
    return types is None or json_type in types


def accepts(types: frozenset[str] | None, others: frozenset[str] | None) -> bool:
    """Whether every value of a type in `others` is of a type in `types`."""
    if types is None:
        return True
    if others is None:
        return False
    return all(t in types or (t == "integer" and "number" in types) for t in others)


def _diff_types(pair: _Pair) -> None:
    """The allowed types, nullability reported apart."""
    old, new = pair.old.keys, pair.new.keys
    old_types, new_types = type_set(old), type_set(new)
    if old_types == new_types:
        return
    widened, narrowed = accepts(new_types, old_types), accepts(old_types, new_types)
    if pair.textual and old_types is not None and new_types is not None:
        # As text, a value of any type is also a string: to string widens, from string narrows.
        widened = widened or "string" in new_types
        narrowed = narrowed or "string" in old_types
    effect = Effect.WIDENED if widened else Effect.NARROWED if narrowed else Effect.CHANGED
    only_null = (
        old_types is not None
        and new_types is not None
        and old_types ^ new_types == frozenset({"null"})
    )
    kind = Kind.NULLABILITY if only_null else Kind.TYPE
    key = "nullable" if only_null and old.get("type") == new.get("type") else "type"
    detail = f"type {fmt_set(old_types)} -> {fmt_set(new_types)}"
    pair.add(kind, key, detail, in_old=key not in new, effect=effect)


def _diff_enum(pair: _Pair) -> None:
    """`enum` and `const`, compared as sets of allowed values."""
    old, new = pair.old.keys, pair.new.keys
    old_values, new_values = _enum_set(old), _enum_set(new)
    if old_values == new_values:
        return
    key = "const" if "const" in (new if new_values is not None else old) else "enum"
    detail = f"{key} {fmt_set(old_values)} -> {fmt_set(new_values)}"
    pair.add(
        Kind.ENUM, key, detail, in_old=new_values is None, effect=set_effect(old_values, new_values)
    )


def _enum_set(schema: dict[str, Any]) -> frozenset[str] | None:
    """A schema's `const`/`enum` values as a set of JSON texts; None when unrestricted."""
    if "const" in schema:
        return frozenset({json.dumps(schema["const"], sort_keys=True)})
    if "enum" in schema:
        values = schema["enum"] if isinstance(schema["enum"], list) else [schema["enum"]]
        return frozenset(json.dumps(value, sort_keys=True) for value in values)
    return None


def _diff_numeric_bounds(pair: _Pair) -> None:
    """The effective lower and upper numeric bounds, in exact decimal arithmetic."""
    old, new = pair.old.keys, pair.new.keys
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
        pair.add(Kind.BOUND, key, detail, in_old=new_bound is None, effect=effect)


def _numeric_bound(
    schema: dict[str, Any], inclusive: str, exclusive: str, lower: bool
) -> tuple[Fraction, bool] | None:
    """(value, exclusive) of the tightest bound a schema sets on one side; None when unbounded."""
    candidates: list[tuple[Fraction, bool]] = []
    value = exact(schema.get(inclusive))
    if value is not None:
        candidates.append((value, False))
    excluded = exact(schema.get(exclusive))
    if excluded is not None:
        candidates.append((excluded, True))
    elif schema.get(exclusive) is True and value is not None:
        candidates = [(value, True)]  # OpenAPI 3.0 boolean form
    if not candidates:
        return None
    best = candidates[0]
    for candidate in candidates[1:]:
        if _tighter(candidate, best, lower):
            best = candidate
    return best


def _tighter(a: tuple[Fraction, bool], b: tuple[Fraction, bool], lower: bool) -> bool:
    """Whether bound `a` allows strictly fewer values than bound `b` on the same side."""
    if a[0] != b[0]:
        return a[0] > b[0] if lower else a[0] < b[0]
    return a[1] and not b[1]


def _fmt_number(value: Fraction) -> str:
    """An exact number as its decimal spelling (`0.1`, `4294967295`)."""
    if value.denominator == 1:
        return str(value.numerator)
    digits = value.numerator / value.denominator
    return repr(digits)


def _fmt_bound(bound: tuple[Fraction, bool] | None, lower: bool) -> str:
    """A bound as `>= 0`, `< 20` or `none`."""
    if bound is None:
        return "none"
    sign = (">" if lower else "<") + ("" if bound[1] else "=")
    return f"{sign} {_fmt_number(bound[0])}"


def _diff_size_bound(pair: _Pair, keyword: str, larger_is_tighter: bool) -> None:
    """One length, item-count, property-count or contains-count bound."""
    old_value, new_value = pair.old.keys.get(keyword), pair.new.keys.get(keyword)
    if old_value == new_value:
        return
    old_number, new_number = exact(old_value), exact(new_value)
    if new_value is None:
        effect = Effect.WIDENED
    elif old_value is None:
        effect = Effect.NARROWED
    elif old_number is None or new_number is None:
        effect = Effect.UNDECIDED  # not a number: the document is malformed here
    else:
        tighter = (new_number > old_number) == larger_is_tighter
        effect = Effect.NARROWED if tighter else Effect.WIDENED
    detail = f"{keyword} {fmt(old_value)} -> {fmt(new_value)}"
    pair.add(Kind.BOUND, keyword, detail, in_old=new_value is None, effect=effect)


def _diff_constraints(pair: _Pair) -> None:
    """multipleOf, pattern, format, uniqueItems, content keywords and dependentRequired."""
    old, new = pair.old.keys, pair.new.keys
    for keyword in (
        "multipleOf",
        "pattern",
        "format",
        "uniqueItems",
        "contentMediaType",
        "contentEncoding",
    ):
        old_value, new_value = old.get(keyword), new.get(keyword)
        if old_value == new_value or (keyword == "uniqueItems" and not old_value and not new_value):
            continue
        detail = f"{keyword} {fmt(old_value)} -> {fmt(new_value)}"
        effect: Effect | None
        if keyword == "pattern":
            effect = _pattern_effect(old_value, new_value)
            if effect is None:
                detail += " (both match the same strings)"
                pair.add(Kind.DOCUMENTATION, keyword, detail, in_old=not new_value, sided=False)
                continue
        elif not new_value:
            effect = Effect.WIDENED
        elif not old_value:
            effect = Effect.NARROWED
        elif keyword == "multipleOf":
            effect = multiple_of_effect(old_value, new_value)
        else:
            effect = Effect.CHANGED
        pair.add(Kind.CONSTRAINT, keyword, detail, in_old=not new_value, effect=effect)
    _diff_dependent_required(pair)
    for keyword in ("additionalProperties", "unevaluatedProperties", "unevaluatedItems"):
        _diff_closed(pair, keyword)


#: Pattern bodies matching any run of characters, line terminators included.
_ANY_RUNS = frozenset(
    f"[\\{a}\\{b}]*{lazy}" for a, b in ("sS", "Ss", "dD", "Dd", "wW", "Ww") for lazy in ("", "?")
) | {"[^]*", "[^]*?"}
#: Escapes that never match a line terminator (ECMA-262's `\S` excludes all whitespace).
_LINE_SAFE_ESCAPES = frozenset("dwSbB")
_LINE_TERMINATORS = frozenset("\n\r\u2028\u2029")


def _anchors(pattern: str) -> tuple[bool, bool, str]:
    """(anchored at the start, anchored at the end, the body between the anchors)."""
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    trailing_backslashes = len(body[:-1]) - len(body[:-1].rstrip("\\"))
    end = body.endswith("$") and trailing_backslashes % 2 == 0
    return start, end, body[:-1] if end else body


def _ungrouped(body: str) -> str:
    """`body` without one group around all of it (`(?:.*)` is `.*`)."""
    if body.startswith("(") and body.endswith(")") and not set("()") & set(body[1:-1]):
        return body[3:-1] if body.startswith("(?:") else body[1:-1]
    return body


def _pattern_reach(pattern: Any) -> str:
    """What a pattern is known to match (ECMA-262, unanchored search): "all" strings (no pattern,
    or `.*`, `^.*`, `[\\s\\S]*`...), "one line" (exactly the strings without a line terminator:
    `^.*$`), "within one line" (anchored both ends, and nothing in it can match a line
    terminator), or "unknown"."""
    if pattern is None or pattern == "":
        return "all"
    if not isinstance(pattern, str):
        return "unknown"
    start, end, body = _anchors(pattern)
    inner = _ungrouped(body)
    if inner in _ANY_RUNS or (inner == "" and not (start and end)):
        return "all"
    if inner in (".*", ".*?"):
        return "one line" if start and end else "all"
    return "within one line" if start and end and _line_free(body) else "unknown"


def _line_free(body: str) -> bool:
    """Whether no part of a regular expression's body can match a line terminator: no negated
    class, no escape that could (`\\s`, `\\n`, `\\u...`), no top-level alternation (which
    would escape the anchors)."""
    depth, index, in_class = 0, 0, False
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1 : index + 2]
            if not escaped or (escaped.isalnum() and escaped not in _LINE_SAFE_ESCAPES):
                return False
            index += 2
            continue
        if char in _LINE_TERMINATORS:
            return False
        if in_class:
            in_class = char != "]"
        elif char == "[":
            if body[index + 1 : index + 2] == "^":
                return False
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return False
        index += 1
    return True


def _pattern_effect(old: Any, new: Any) -> Effect | None:
    """A pattern replaced by another: decided where one side matches every string (or every
    string of one line, against a pattern that stays within one line), or where the two are the
    same but for character classes, each of one side within the other's; else a change both
    ways, since two regular expressions are not compared in general. None: the same strings."""
    old_reach, new_reach = _pattern_reach(old), _pattern_reach(new)
    if old_reach == new_reach and old_reach in ("all", "one line"):
        return None
    if new_reach == "all" or (new_reach == "one line" and old_reach == "within one line"):
        return Effect.WIDENED
    if old_reach == "all" or (old_reach == "one line" and new_reach == "within one line"):
        return Effect.NARROWED
    return _class_effect(_pattern_tokens(old), _pattern_tokens(new))


#: Class escapes as character ranges (ECMA-262, without the unicode flag).
_CLASS_ESCAPES = {"d": (("0", "9"),), "w": (("0", "9"), ("A", "Z"), ("_", "_"), ("a", "z"))}
Token = str | frozenset[tuple[str, str]]


def _pattern_tokens(pattern: Any) -> list[Token] | None:
    """A pattern as its characters and escapes (text) and its non-negated character classes
    (sets of ranges); None when it has a construct whose matches do not grow with its classes
    (a negative lookaround, a back-reference) or a class this reading does not expand."""
    if not isinstance(pattern, str) or "(?!" in pattern or "(?<!" in pattern:
        return None
    tokens: list[Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            if not escaped or escaped.isdigit():
                return None
            tokens.append(pattern[index : index + 2])
            index += 2
        elif char == "[":
            end = pattern.find("]", index + 1)
            ranges = _class_ranges(pattern[index + 1 : end]) if end > index + 1 else None
            if ranges is None:
                return None
            tokens.append(ranges)
            index = end + 1
        else:
            tokens.append(char)
            index += 1
    return tokens


def _class_ranges(members: str) -> frozenset[tuple[str, str]] | None:
    """A character class's members (`a-z0-9_`, `\\d`, `\\w`) as ranges; None for a negated
    class, a `[` inside, a range written backwards or ending in an escape, or an escape other
    than `\\d`, `\\w` and escaped punctuation."""
    if members.startswith("^") or "[" in members:
        return None
    ranges: list[tuple[str, str]] = []
    singles: list[str] = []
    index = 0
    while index < len(members):
        char = members[index]
        if char == "\\":
            escaped = members[index + 1 : index + 2]
            if escaped in _CLASS_ESCAPES:
                ranges.extend(_CLASS_ESCAPES[escaped])
            elif escaped and not escaped.isalnum():
                singles.append(escaped)
            else:
                return None
            index += 2
        elif members[index + 1 : index + 2] == "-" and index + 2 < len(members):
            if members[index + 2] == "\\" or members[index + 2] < char:
                return None
            ranges.append((char, members[index + 2]))
            index += 3
        else:
            singles.append(char)
            index += 1
    return frozenset(ranges + [(single, single) for single in singles])


def _within(inner: frozenset[tuple[str, str]], outer: frozenset[tuple[str, str]]) -> bool:
    """Whether every character of the ranges `inner` is in one of the ranges `outer`."""
    return all(
        any(low <= first and last <= high for low, high in _merged(outer)) for first, last in inner
    )


def _merged(ranges: frozenset[tuple[str, str]]) -> list[tuple[str, str]]:
    """Ranges joined where they touch or overlap, so a range spanning two of them is seen whole."""
    joined: list[tuple[str, str]] = []
    for low, high in sorted(ranges):
        if joined and ord(low) <= ord(joined[-1][1]) + 1:
            joined[-1] = (joined[-1][0], max(high, joined[-1][1]))
        else:
            joined.append((low, high))
    return joined


def _class_effect(old: list[Token] | None, new: list[Token] | None) -> Effect | None:
    """Two patterns alike but for character classes at the same places: wider classes widen,
    narrower narrow, the same characters respelt match the same strings (None); anything else
    is a change both ways."""
    if old is None or new is None or len(old) != len(new):
        return Effect.CHANGED
    wider = narrower = True
    for before, after in zip(old, new, strict=True):
        if before == after:
            continue
        if isinstance(before, str) or isinstance(after, str):
            return Effect.CHANGED
        wider = wider and _within(before, after)
        narrower = narrower and _within(after, before)
    if wider and narrower:
        return None
    if wider or narrower:
        return Effect.WIDENED if wider else Effect.NARROWED
    return Effect.CHANGED


def multiple_of_effect(old: Any, new: Any) -> Effect:
    """Whether a new `multipleOf` allows a subset, a superset or neither of the old values.

    Exact decimal arithmetic: 0.3 is a multiple of 0.1 here, though not in binary floating point.
    """
    old_step, new_step = exact(old), exact(new)
    if old_step is None or new_step is None or old_step <= 0 or new_step <= 0:
        return Effect.UNDECIDED
    if (new_step / old_step).denominator == 1:
        return Effect.NARROWED
    if (old_step / new_step).denominator == 1:
        return Effect.WIDENED
    return Effect.CHANGED


def _diff_dependent_required(pair: _Pair) -> None:
    """dependentRequired: names required when a trigger field is present."""
    old = pair.old.keys.get("dependentRequired") or {}
    new = pair.new.keys.get("dependentRequired") or {}
    if old == new or not isinstance(old, dict) or not isinstance(new, dict):
        return
    for trigger in ordered_union(old, new):
        old_names, new_names = _names(old.get(trigger)), _names(new.get(trigger))
        if old_names == new_names:
            continue
        if old_names <= new_names:
            effect = Effect.NARROWED
        elif new_names <= old_names:
            effect = Effect.WIDENED
        else:
            effect = Effect.CHANGED
        in_old = trigger not in new
        location = (*(pair.old if in_old else pair.new).loc("dependentRequired"), trigger)
        detail = (
            f"with {trigger!r}, required {fmt_set(frozenset(old_names))} -> "
            f"{fmt_set(frozenset(new_names))}"
        )
        pair.add(
            Kind.CONSTRAINT, "dependentRequired", detail, in_old=in_old, effect=effect,
            location=location,
        )  # fmt: skip


def _diff_closed(pair: _Pair, keyword: str) -> None:
    """additionalProperties, unevaluatedProperties, unevaluatedItems: closed, open, or a schema."""
    old_value, new_value = pair.old.keys.get(keyword), pair.new.keys.get(keyword)
    if canonical(old_value) == canonical(new_value):
        return
    old_open = old_value is None or old_value is True or old_value == {}
    new_open = new_value is None or new_value is True or new_value == {}
    if (
        isinstance(old_value, dict)
        and isinstance(new_value, dict)
        and not old_open
        and not new_open
    ):
        label = {"additionalProperties": ".*", "unevaluatedProperties": ".*"}.get(keyword, "[]")
        pair.recurse(
            old_value, new_value, pair.old.loc(keyword), pair.new.loc(keyword), pair.field + label
        )
        return
    if old_open and new_open:
        return
    if old_open:
        effect = Effect.NARROWED
    elif new_open:
        effect = Effect.WIDENED
    elif old_value is False:
        effect = Effect.WIDENED
    elif new_value is False:
        effect = Effect.NARROWED
    else:
        effect = Effect.UNDECIDED
    kind = Kind.ADDITIONAL_PROPERTIES if keyword != "unevaluatedItems" else Kind.CONSTRAINT
    detail = f"{keyword} {fmt(old_value)} -> {fmt(new_value)}"
    pair.add(kind, keyword, detail, in_old=new_value is None, effect=effect)


# ---------------------------------------------------------------- fields and subschemas


def _items(value: Any) -> list[Any]:
    """A keyword's value if it is a list, else an empty one (a malformed document)."""
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    """A keyword's value if it is a map, else an empty one (a malformed document)."""
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> set[str]:
    """A `required`-style list of names as a set."""
    return {str(name) for name in value} if isinstance(value, list) else set()


def _child(field: str, name: str) -> str:
    """The client-visible path of field `name` inside `field` (`images[].seed`)."""
    return f"{field}.{name}" if field else name


def _diff_properties(pair: _Pair) -> None:
    """Object properties: removed (with a rename hint), added, requiredness, and recursion."""
    old, new = pair.old.keys, pair.new.keys
    old_props, new_props = _mapping(old.get("properties")), _mapping(new.get("properties"))
    old_required, new_required = _names(old.get("required")), _names(new.get("required"))
    removed = [name for name in old_props if name not in new_props]
    added = [name for name in new_props if name not in old_props]
    for name in removed:
        renamed_to = [
            other for other in added if canonical(new_props[other]) == canonical(old_props[name])
        ]
        hint = f" (renamed to {renamed_to[0]!r}?)" if renamed_to else ""
        pair.add(
            Kind.PROPERTY_REMOVED,
            "properties",
            f"field {_child(pair.field, name)!r} removed{hint}",
            in_old=True,
            location=pair.old.prop(name),
            named=True,
        )
    for name in added:
        required = name in new_required and not _required_elsewhere(new_props[name], pair.side)
        label = "required" if required else "optional"
        pair.add(
            Kind.PROPERTY_ADDED,
            "properties",
            f"{label} field {_child(pair.field, name)!r} added",
            required=required,
            location=pair.new.prop(name),
            named=True,
        )
    for name in ordered_union(old_props, new_props):
        if name not in old_props or name not in new_props:
            continue
        listed_before, listed_now = name in old_required, name in new_required
        holds_before = listed_before and not _required_elsewhere(old_props[name], pair.side)
        holds_now = listed_now and not _required_elsewhere(new_props[name], pair.side)
        if holds_before != holds_now:
            pair.add(
                Kind.REQUIRED,
                "required",
                f"field {_child(pair.field, name)!r}",
                in_old=_required_gone(pair, holds_now, new_required),
                effect=Effect.NARROWED if holds_now else Effect.WIDENED,
                named=True,
            )
        elif listed_before != listed_now:
            pair.add(
                Kind.REQUIRED_ELSEWHERE,
                "required",
                f"field {_child(pair.field, name)!r} "
                f"{'now' if listed_now else 'no longer'} required, in the other direction only",
                in_old=_required_gone(pair, listed_now, new_required),
                named=True,
            )
        pair.recurse(
            old_props[name],
            new_props[name],
            pair.old.prop(name),
            pair.new.prop(name),
            _child(pair.field, name),
        )
    # Names required without a property schema (an object's required list only).
    described = set(new_props) | set(old_props)
    objects = _admits(pair.old, "object") and _admits(pair.new, "object")
    for name in sorted((new_required ^ old_required) - described if objects else ()):
        now = name in new_required
        pair.add(
            Kind.REQUIRED,
            "required",
            f"field {_child(pair.field, name)!r} now {'required' if now else 'optional'}",
            in_old=_required_gone(pair, now, new_required),
            effect=Effect.NARROWED if now else Effect.WIDENED,
        )


def _required_elsewhere(schema: Any, side: Side) -> bool:
    """Whether a property's `required` holds only in the other direction: OpenAPI's readOnly
    (required in responses only) in a request, writeOnly (in requests only) in a response."""
    flag = "readOnly" if side is Side.REQUEST else "writeOnly"
    return normalise(schema, ()).keys.get(flag) is True


def _required_gone(pair: _Pair, now_required: bool, new_required: set[str]) -> bool:
    """Whether a requiredness change is reported in the old document: the new schema has no
    `required`, or a name left a `required` list that the new schema no longer writes where the
    old one did (a `required` beside a `$ref` removed, while the target's list still holds)."""
    if not new_required:
        return True
    if now_required:
        return False
    old_at, new_at = pair.old.loc("required"), pair.new.loc("required")
    return old_at[len(pair.old.at) :] != new_at[len(pair.new.at) :]


def _diff_subschemas(pair: _Pair) -> None:
    """items, prefixItems (by position: a tuple is positional), and map-valued applicators."""
    old, new = pair.old.keys, pair.new.keys
    if not (_admits(pair.old, "array") and _admits(pair.new, "array")):
        old, new = {}, {}  # items constrain nothing the type change does not already decide
    if "items" in old or "items" in new:
        if old.get("items") is False or new.get("items") is False:
            _diff_presence_of(pair, "items", closed=True)
        else:
            pair.recurse(
                old.get("items"), new.get("items"), pair.old.loc("items"), pair.new.loc("items"),
                f"{pair.field}[]",
            )  # fmt: skip
    old_tuple, new_tuple = _items(old.get("prefixItems")), _items(new.get("prefixItems"))
    for index in range(min(len(old_tuple), len(new_tuple))):
        pair.recurse(
            old_tuple[index],
            new_tuple[index],
            (*pair.old.loc("prefixItems"), str(index)),
            (*pair.new.loc("prefixItems"), str(index)),
            f"{pair.field}[{index}]",
        )
    if len(old_tuple) != len(new_tuple):
        grew = len(new_tuple) > len(old_tuple)
        longer = pair.new if grew else pair.old
        last = (str(max(len(old_tuple), len(new_tuple)) - 1),) if old_tuple and new_tuple else ()
        pair.add(
            Kind.COMPOSITION,
            "prefixItems",
            f"prefixItems {len(old_tuple)} -> {len(new_tuple)} entries",
            in_old=not grew,
            effect=Effect.NARROWED if grew else Effect.WIDENED,
            location=(*longer.loc("prefixItems"), *last),
        )
    for keyword, label in (("patternProperties", "pattern"), ("dependentSchemas", "with")):
        _diff_schema_map(pair, keyword, label)


def _diff_schema_map(pair: _Pair, keyword: str, label: str) -> None:
    """A map of subschemas: an entry added narrows, removed widens, kept is compared."""
    old = pair.old.keys.get(keyword) or {}
    new = pair.new.keys.get(keyword) or {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    for name in ordered_union(old, new):
        old_at = (*pair.old.loc(keyword), name)
        new_at = (*pair.new.loc(keyword), name)
        if name in old and name in new:
            pair.recurse(old[name], new[name], old_at, new_at, f"{pair.field}({label} {name})")
            continue
        in_old = name not in new
        pair.add(
            Kind.CONSTRAINT,
            keyword,
            f"{keyword} {name!r} {'removed' if in_old else 'added'}",
            in_old=in_old,
            effect=Effect.WIDENED if in_old else Effect.NARROWED,
            location=old_at if in_old else new_at,
        )


def _diff_presence_of(pair: _Pair, keyword: str, *, closed: bool = False) -> bool:
    """A keyword that constrains when present: added narrows, removed widens (True if reported)."""
    in_old_only = keyword in pair.old.keys and keyword not in pair.new.keys
    in_new_only = keyword in pair.new.keys and keyword not in pair.old.keys
    if not (in_old_only or in_new_only or closed):
        return False
    if closed:
        effect = Effect.NARROWED if pair.new.keys.get(keyword) is False else Effect.WIDENED
    else:
        effect = Effect.WIDENED if in_old_only else Effect.NARROWED
    detail = f"{keyword} {fmt(pair.old.keys.get(keyword))} -> {fmt(pair.new.keys.get(keyword))}"
    pair.add(Kind.CONSTRAINT, keyword, detail, in_old=in_old_only, effect=effect)
    return True


def _diff_applicators(pair: _Pair) -> None:
    """propertyNames, contains, contentSchema, not, if/then/else and $dynamicRef."""
    old, new = pair.old.keys, pair.new.keys
    for keyword in _RECURSED_PRESENCE:
        if canonical(old.get(keyword)) == canonical(new.get(keyword)):
            continue
        if not _diff_presence_of(pair, keyword):
            label = {"propertyNames": "(names)", "contains": "[contains]"}.get(keyword, "(content)")
            pair.recurse(
                old[keyword], new[keyword], pair.old.loc(keyword), pair.new.loc(keyword),
                pair.field + label,
            )  # fmt: skip
    if canonical(old.get("not")) != canonical(new.get("not")):
        if not _diff_presence_of(pair, "not"):
            # Widening inside `not` narrows the schema and the other way round: not decided here.
            pair.add(Kind.COMPOSITION, "not", "not changed", effect=Effect.UNDECIDED)
    conditional = ("if", "then", "else")
    if any(canonical(old.get(k)) != canonical(new.get(k)) for k in conditional):
        if canonical(old.get("if")) != canonical(new.get("if")):
            in_old = "if" not in new
            if "if" not in old or in_old:
                effect = Effect.WIDENED if in_old else Effect.NARROWED
            else:
                effect = Effect.UNDECIDED
            pair.add(Kind.COMPOSITION, "if", "if/then/else changed", in_old=in_old, effect=effect)
        else:
            for keyword in ("then", "else"):
                if canonical(old.get(keyword)) != canonical(new.get(keyword)):
                    if not _diff_presence_of(pair, keyword):
                        pair.recurse(
                            old[keyword], new[keyword], pair.old.loc(keyword),
                            pair.new.loc(keyword), f"{pair.field}({keyword})",
                        )  # fmt: skip
    if old.get("$dynamicRef") != new.get("$dynamicRef"):
        detail = f"$dynamicRef {fmt(old.get('$dynamicRef'))} -> {fmt(new.get('$dynamicRef'))}"
        pair.add(
            Kind.COMPOSITION, "$dynamicRef", detail, in_old="$dynamicRef" not in new,
            effect=Effect.UNDECIDED,
        )  # fmt: skip


# ---------------------------------------------------------------- compositions


def _diff_lifted_composition(pair: _Pair) -> bool:
    """A plain schema against a bare `anyOf`/`oneOf`/`allOf` of branches: matched as branches.

    `S` -> `oneOf: [S, T]` is one branch added, not every keyword of S removed. True if handled.
    """
    for keyword in COMPOSITIONS:
        for plain, composed, plain_is_old in (
            (pair.old, pair.new, True),
            (pair.new, pair.old, False),
        ):
            if keyword not in composed.keys or keyword in plain.keys:
                continue
            # Constraints beside the composition that the plain schema has too, unchanged, hold
            # on both sides alike (`S & oneOf: [A, B]` -> `S & A`): only the branches differ.
            shared = composed.constraints() - {keyword}
            if any(k not in plain.keys or plain.keys[k] != composed.keys[k] for k in shared):
                continue
            if plain.constraints() & set(COMPOSITIONS):
                continue
            # In allOf a plain schema with nothing beside the shared constraints is no branch:
            # `S & allOf: [A]` -> `S` is A removed (compared below), not an empty branch added.
            if keyword == "allOf" and not plain.constraints() - shared:
                continue
            # In anyOf and oneOf, likewise, the keyword itself comes or goes: `S & anyOf: [A, B]`
            # -> `S` drops a constraint (widens), the other way round adds one (narrows).
            # An anyOf with a branch that constrains nothing accepts everything: no change.
            if not plain.constraints() - shared and isinstance(composed.keys[keyword], list):
                branches_at = enumerate(composed.keys[keyword])
                if keyword == "oneOf" or all(
                    normalise(branch, composed.branch(keyword, index)).constraints()
                    for index, branch in branches_at
                ):
                    pair.add(
                        Kind.COMPOSITION,
                        keyword,
                        f"{keyword} {'added' if plain_is_old else 'removed'}",
                        in_old=not plain_is_old,
                        effect=Effect.NARROWED if plain_is_old else Effect.WIDENED,
                    )
                _diff_annotations(pair)
                return True
            # The plain schema's values (and their sources) against the branches, its
            # annotations against the wrapper's.
            constraints = {
                k: v
                for k, v in plain.keys.items()
                if k in plain.constraints() - shared or k == SOURCE_KEY
            }
            # In `allOf`, a plain schema with nothing beside the shared constraints is no
            # branch at all (`{}` constrains nothing): `C` -> `C & allOf: [B]` only adds B.
            lone = keyword == "allOf" and not plain.constraints() - shared
            lone = lone and isinstance(composed.keys[keyword], list)
            branches = [] if lone else [(constraints, plain.at)]
            others = [
                (branch, composed.branch(keyword, index))
                for index, branch in enumerate(_items(composed.keys[keyword]))
            ]
            old_branches, new_branches = (branches, others) if plain_is_old else (others, branches)
            _diff_branches(pair, keyword, old_branches, new_branches)
            _diff_annotations(pair)
            return True
    return False


def _diff_annotations(pair: _Pair) -> None:
    """Only the annotations and extensions of two schemas (their values compared elsewhere)."""
    notes = ANNOTATIONS | {
        k for k in (*pair.old.keys, *pair.new.keys) if k.startswith("x-") and k != SOURCE_KEY
    }
    old = Shape(
        {k: v for k, v in pair.old.keys.items() if k in notes}, pair.old.at, pair.old.origin
    )
    new = Shape(
        {k: v for k, v in pair.new.keys.items() if k in notes}, pair.new.at, pair.new.origin
    )
    _diff_keywords(_Pair(pair.walk, old, new, pair.where, pair.side, pair.field, pair.textual))


def _diff_compositions(pair: _Pair) -> None:
    """allOf/anyOf/oneOf present on both sides (or on one), their branches matched by content."""
    for keyword in COMPOSITIONS:
        old_list = _items(pair.old.keys.get(keyword))
        new_list = _items(pair.new.keys.get(keyword))
        if not old_list and not new_list:
            continue
        _diff_branches(
            pair,
            keyword,
            [(branch, pair.old.branch(keyword, i)) for i, branch in enumerate(old_list)],
            [(branch, pair.new.branch(keyword, i)) for i, branch in enumerate(new_list)],
        )


def _diff_branches(
    pair: _Pair,
    keyword: str,
    old: list[tuple[Any, Location]],
    new: list[tuple[Any, Location]],
) -> None:
    """Branches paired by content: equal first, then the most alike; the rest added or removed."""
    old_left = list(range(len(old)))
    new_left = list(range(len(new)))
    old_text = [canonical(branch) for branch, _ in old]
    new_text = [canonical(branch) for branch, _ in new]
    pairs: list[tuple[int, int]] = []
    for i in list(old_left):
        for j in new_left:
            if old_text[i] == new_text[j]:
                old_left.remove(i)
                new_left.remove(j)
                pairs.append((i, j))  # same values; compared for annotations (defaults, docs)
                break
    while old_left and new_left:
        score, i, j = max(
            (_likeness(old[i][0], new[j][0]), i, j) for i in old_left for j in new_left
        )
        if score <= 0:
            break
        pairs.append((i, j))
        old_left.remove(i)
        new_left.remove(j)
    for i, j in pairs:
        pair.recurse(old[i][0], new[j][0], old[i][1], new[j][1], pair.field)
    others_new = [branch for branch, _ in new]
    others_old = [branch for branch, _ in old]
    for j in new_left:
        effect = _branch_effect(keyword, added=True, branch=new[j][0], others=others_new)
        pair.add(
            Kind.COMPOSITION,
            keyword,
            f"{keyword} branch added ({len(old)} -> {len(new)} branches)",
            effect=effect,
            location=new[j][1],
        )
    for i in old_left:
        effect = _branch_effect(keyword, added=False, branch=old[i][0], others=others_old)
        pair.add(
            Kind.COMPOSITION,
            keyword,
            f"{keyword} branch removed ({len(old)} -> {len(new)} branches)",
            in_old=True,
            effect=effect,
            location=old[i][1],
        )


def _branch_effect(keyword: str, *, added: bool, branch: Any, others: list[Any]) -> Effect:
    """What one branch added or removed does to the values a composition accepts."""
    if keyword == "allOf":
        return Effect.NARROWED if added else Effect.WIDENED
    if keyword == "anyOf":
        return Effect.WIDENED if added else Effect.NARROWED
    # oneOf: a value matching two branches is refused, so only a disjoint branch is decided.
    rest = [other for other in others if other is not branch]
    if all(disjoint(branch, other) for other in rest):
        return Effect.WIDENED if added else Effect.NARROWED
    return Effect.UNDECIDED


def _likeness(old: Any, new: Any) -> int:
    """How alike two branches are: shared type, shared property names, shared keywords."""
    a, b = normalise(old, ()).keys, normalise(new, ()).keys
    score = 0
    if type_set(a) is not None and type_set(a) == type_set(b):
        score += 4
    score += 2 * len(set(a.get("properties") or {}) & set(b.get("properties") or {}))
    score += len((set(a) & set(b)) - ANNOTATIONS)
    return score


def disjoint(first: Any, second: Any) -> bool:
    """Whether no value can match both schemas (decided for types, enums and tag properties)."""
    a, b = normalise(first, ()).keys, normalise(second, ()).keys
    types_a, types_b = type_set(a), type_set(b)
    if types_a is not None and types_b is not None and not _overlap(types_a, types_b):
        return True
    values_a, values_b = _enum_set(a), _enum_set(b)
    if values_a is not None and values_b is not None and not values_a & values_b:
        return True
    required_a, required_b = set(a.get("required") or []), set(b.get("required") or [])
    props_a, props_b = a.get("properties") or {}, b.get("properties") or {}
    for name in required_a & required_b:
        if name in props_a and name in props_b:
            tags_a = _enum_set(normalise(props_a[name], ()).keys)
            tags_b = _enum_set(normalise(props_b[name], ()).keys)
            if tags_a is not None and tags_b is not None and not tags_a & tags_b:
                return True
    return False


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two type sets share a value (integer values are numbers)."""
    return bool(a & b) or ("integer" in a and "number" in b) or ("number" in a and "integer" in b)

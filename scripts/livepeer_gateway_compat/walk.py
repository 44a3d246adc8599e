"""What the walker shares: the two documents, the changes found, and small comparisons."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livepeer_gateway_spec import INVALID_STATUS_KEY, UPSCALE_FACTOR_KEY, invalid_status

from livepeer_gateway_compat.rules import Change, Effect, Kind, Side

Location = tuple[str, ...]

#: Keys that only document a schema or an object.
DOCUMENTATION_KEYS = frozenset(
    {
        "title",
        "summary",
        "example",
        "examples",
        "externalDocs",
        "$comment",
        "tags",
        "$schema",
        "$id",
    }
)
#: Words and forms whose change in a description changes what it promises.
_SEMANTIC_TOKEN = re.compile(
    r"`[^`]*`|[-+]?\d+(?:\.\d+)?|[<>]=?|\b(?:not|no|never|must|only|always|required|optional|"
    r"ignored|unless|except|least|most|default|every|each|per|zero|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|twice|half|times|before|after|empty)\b",
    re.IGNORECASE,
)


@dataclass
class Walk:
    """The two inlined documents being compared and the changes found so far."""

    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change] = field(default_factory=list)

    def add(
        self,
        kind: Kind,
        location: Location,
        where: str,
        detail: str,
        *,
        in_old: bool = False,
        side: Side | None = None,
        effect: Effect | None = None,
        required: bool = False,
    ) -> None:
        """Record one change at `location` (in the new document unless `in_old`)."""
        self.changes.append(Change(kind, location, in_old, where, detail, side, effect, required))


def diff_documentation(
    walk: Walk, at: Location, where: str, label: str, old: Any, new: Any
) -> None:
    """A doc field; a description whose numbers, code or must/never words moved is semantic."""
    if old == new:
        return
    in_old = new is None
    if at[-1] == "description" and _semantic_tokens(old) != _semantic_tokens(new):
        walk.add(Kind.SEMANTICS, at, where, f"{label} meaning changed", in_old=in_old)
    else:
        walk.add(Kind.DOCUMENTATION, at, where, f"{label} edited", in_old=in_old)


def _semantic_tokens(text: Any) -> Counter[str]:
    """The tokens of a description that carry meaning: numbers, code spans, must/never words."""
    if not isinstance(text, str):
        return Counter()
    return Counter(token.lower() for token in _SEMANTIC_TOKEN.findall(text))


def diff_extensions(
    walk: Walk,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    at: Location,
    where: str,
    field: str = "",
) -> None:
    """`x-` extensions: the project's own by their meaning (`keywords.EXTENSIONS`), others as
    vendor extensions to review. (`x-source` needs its schema and is compared in `schemas`.)
    `field` names what carries them (a parameter, a field) in the reason."""
    for key in ordered_union(old, new):
        if not key.startswith("x-") or old.get(key) == new.get(key):
            continue
        in_old = key not in new
        detail = f"{key} {fmt(old.get(key))} -> {fmt(new.get(key))}"
        if field:
            detail = f"{field}: {detail}"
        kind, effect = Kind.EXTENSION, None
        if key == INVALID_STATUS_KEY:
            statuses = _invalid_statuses(old, new)
            if statuses is not None and statuses[0] == statuses[1]:
                kind = Kind.DOCUMENTATION  # the default written out (or dropped): same status
            elif statuses is not None:
                kind = Kind.INVALID_STATUS
        elif key == UPSCALE_FACTOR_KEY:
            kind = Kind.UPSCALE_FACTOR
            effect = (
                Effect.NARROWED if key not in old else Effect.WIDENED if in_old else Effect.CHANGED
            )
        walk.add(kind, (*at, key), where, detail, in_old=in_old, effect=effect)


def _invalid_statuses(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[int, int] | None:
    """The statuses a gateway answers to an invalid value, before and after; None if unreadable."""
    try:
        before, after = ({k: v for k, v in m.items() if v is not None} for m in (old, new))
        return invalid_status(before), invalid_status(after)
    except (TypeError, ValueError):
        return None


def set_effect(old: frozenset[str] | None, new: frozenset[str] | None) -> Effect:
    """Whether `new` allows more, fewer or other values than `old` (None allows everything)."""
    if new is None:
        return Effect.WIDENED
    if old is None:
        return Effect.NARROWED
    if old < new:
        return Effect.WIDENED
    if new < old:
        return Effect.NARROWED
    return Effect.CHANGED


def ordered_union(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    """Keys of `first` then the new keys of `second`, in document order."""
    keys = list(first)
    seen = set(keys)
    return keys + [key for key in second if key not in seen]


def fmt(value: Any) -> str:
    """A value as compact JSON, or `none` when absent."""
    return "none" if value is None else json.dumps(value, sort_keys=True)


def fmt_set(values: frozenset[str] | None) -> str:
    """A set of values (JSON texts or names) as `[a, b]`, or `any` when unrestricted."""
    return "any" if values is None else "[" + ", ".join(sorted(values)) + "]"

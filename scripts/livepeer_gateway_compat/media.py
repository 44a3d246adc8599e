"""Media types and ranges by their rules (RFC 9110): case, parameters, `type/*` and `*/*`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from livepeer_gateway_compat.rules import Effect

#: Parameters whose values are case-insensitive (RFC 9110 §8.3.1 says so of charset).
_CASELESS_VALUES = frozenset({"charset"})


@dataclass(frozen=True)
class MediaType:
    """A media type or range: type, subtype (either may be `*`) and parameters, normalised."""

    type: str
    subtype: str
    parameters: frozenset[tuple[str, str]]

    def covers(self, other: MediaType) -> bool:
        """Whether every message of `other` is also one of this range."""
        if self.type != "*" and self.type != other.type:
            return False
        if self.subtype != "*" and self.subtype != other.subtype:
            return False
        return self.parameters <= other.parameters

    def __str__(self) -> str:
        parameters = "".join(f"; {name}={value}" for name, value in sorted(self.parameters))
        return f"{self.type}/{self.subtype}{parameters}"


def parse(text: str) -> MediaType:
    """`Image/PNG; Charset="UTF-8"` as (image, png, {(charset, utf-8)})."""
    head, *parameters = text.split(";")
    kind, _, subtype = head.strip().lower().partition("/")
    pairs = set()
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        value = value.strip().strip('"')
        pairs.add((name, value.lower() if name in _CASELESS_VALUES else value))
    return MediaType(kind or "*", subtype or "*", frozenset(pairs))


def textual(text: str) -> bool:
    """Whether a body of this media type carries its values as text rather than as typed JSON:
    a concrete type that is not `application/json` or `+json` (`text/plain`, `multipart/form-data`).
    There `1` and `"1"` are the same characters, so a type changed to `string` refuses nothing."""
    media_type = parse(text)
    if "*" in (media_type.type, media_type.subtype):
        return False  # a range may stand for JSON
    return media_type.subtype != "json" and not media_type.subtype.endswith("+json")


def find(target: MediaType, candidates: Iterable[str]) -> tuple[str | None, Effect | None]:
    """The key among `candidates` that stands for `target`, and how it differs.

    An equal media type (spelling aside) gives no effect; else a range that covers `target`
    widens; else a type `target` covers narrows. (None, None) when nothing corresponds.
    """
    keys = list(candidates)
    for key in keys:
        if parse(key) == target:
            return key, None
    wider = [key for key in keys if parse(key).covers(target)]
    if wider:
        # The narrowest covering range: the one covered by the others.
        wider.sort(key=lambda key: sum(parse(other).covers(parse(key)) for other in wider))
        return wider[-1], Effect.WIDENED
    narrower = [key for key in keys if target.covers(parse(key))]
    if narrower:
        return narrower[0], Effect.NARROWED
    return None, None


def list_effect(old: Iterable[str], new: Iterable[str]) -> Effect | None:
    """Two lists of accepted types or ranges: None when equal, else widened/narrowed/changed."""
    old_types = {parse(text) for text in old}
    new_types = {parse(text) for text in new}
    if old_types == new_types:
        return None
    old_in_new = all(any(n.covers(o) for n in new_types) for o in old_types)
    new_in_old = all(any(o.covers(n) for o in old_types) for n in new_types)
    if old_in_new and not new_in_old:
        return Effect.WIDENED
    if new_in_old and not old_in_new:
        return Effect.NARROWED
    if old_in_new and new_in_old:
        return None  # the same set of messages, written differently
    return Effect.CHANGED

"""Where each rule of the spec comes from, and so whether breaking it fails a gateway.

A schema marks the source of each of its constraints with `x-source`, a mapping from the
constraint's keyword to one entry whose single key is the kind of source and whose value says
where (a reference page and its sentence) or why (this project's reason):

    strength:
      type: number
      minimum: 0
      maximum: 1
      x-source:
        minimum: {documented: "https://docs.livepeer.org/ai/api-reference/image-to-image: Degree
          of transformation applied to the reference image (0 to 1)."}

- `documented`: a public page on `DOCS_SITE` says so: its text is one or more citations, each
  the page's URL, `: ` and the page's sentence (`citations`), joined by `; `;
- `protocol`: HTTP or OpenAPI itself (status codes, content types, declared bodies, auth);
- `recommended`: this project's hardening (bounds that keep runs cheap and probe the edges).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .errors import SpecError

SOURCE_KEY = "x-source"

SourceKind = Literal["documented", "protocol", "recommended"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("documented", "protocol", "recommended")

#: The constraints of a schema that can refuse a value, and so need a source.
CONSTRAINT_KEYWORDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "required",
    "minProperties",
    "maxProperties",
)


#: Where a `documented` source's pages are published.
DOCS_SITE = "https://docs.livepeer.org/"
_CITATION = re.compile(rf"({re.escape(DOCS_SITE)}\S*?): (.+?)(?=; {re.escape(DOCS_SITE)}|$)", re.S)


@dataclass(frozen=True)
class Citation:
    """One page a `documented` source cites, and the page's sentence it quotes."""

    url: str
    sentence: str


def citations(text: str) -> list[Citation]:
    """The citations of a `documented` source's text (`URL: sentence; URL: sentence`), in order;
    empty when it cites no page on `DOCS_SITE`."""
    return [Citation(url, sentence.strip()) for url, sentence in _CITATION.findall(text)]


@dataclass(frozen=True)
class Source:
    """Where one constraint comes from."""

    kind: SourceKind
    #: The pages' URLs and sentences (documented), or the reason (protocol, recommended).
    text: str

    @property
    def citations(self) -> list[Citation]:
        """The pages a `documented` source cites (see `citations`)."""
        return citations(self.text) if self.kind == "documented" else []


def constraint_sources(schema: dict[str, Any]) -> dict[str, Source]:
    """keyword -> Source for each constraint of `schema` that its `x-source` marks."""
    marks = schema.get(SOURCE_KEY) or {}
    if not isinstance(marks, dict):
        raise SpecError(f"{SOURCE_KEY} must map constraint keywords to sources")
    found: dict[str, Source] = {}
    for keyword, entry in marks.items():
        found[keyword] = parse_source(entry, keyword)
    return found


def parse_source(entry: Any, where: str) -> Source:
    """One `x-source` entry (`{kind: text}`) as a `Source`; `SpecError` when malformed."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise SpecError(f"{SOURCE_KEY} of {where!r} must be one {{kind: text}} pair")
    ((kind, text),) = entry.items()
    if kind not in SOURCE_KINDS or not isinstance(text, str) or not text.strip():
        raise SpecError(
            f"{SOURCE_KEY} of {where!r}: kind must be one of {', '.join(SOURCE_KINDS)}"
            " with a non-empty text"
        )
    return Source(kind, text)


def unsourced_constraints(schema: dict[str, Any]) -> Iterator[str]:
    """The constraint keywords `schema` uses without an `x-source` entry for them."""
    marks = schema.get(SOURCE_KEY) or {}
    for keyword in CONSTRAINT_KEYWORDS:
        if keyword in schema and keyword not in marks:
            yield keyword

"""Turning the walker's changes into findings: classified, located in the source, merged."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from livepeer_gateway_spec import (
    SpecError,
    client_modules,
    pointer_tokens,
    reachable_refs,
    resolve_pointer,
)
from livepeer_gateway_spec import pointer as json_pointer

from livepeer_gateway_compat.diff import diff_documents
from livepeer_gateway_compat.load import SpecVersion
from livepeer_gateway_compat.normalise import inline_for_comparison, ref_constraints
from livepeer_gateway_compat.rules import Kind, Severity, classify

#: Which version's text a finding's pointer names.
Document = Literal["old", "new"]
#: An operation's part of a finding's `where`: `POST /upscale 200 response application/json`.
WHERE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>/\S*)(?: (?P<rest>.*))?$")
#: What changed only in annotations: nothing a client sends or receives differs (the release
#: notes count these rather than list them).
WIRE_NEUTRAL_KINDS = frozenset({Kind.SOURCE, Kind.DOCUMENTATION, Kind.UNUSED_COMPONENT})


@dataclass(frozen=True)
class SourceLocation:
    """Where a finding is written: a file (as the user named it) and a 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    """One classified difference between two spec versions."""

    severity: Severity
    #: JSON pointer of the change in the new document (in the old one for removals).
    pointer: str
    #: What changed and who it breaks, on one line.
    reason: str
    #: The operations and messages the change reaches, e.g. `POST /upscale request`.
    where: tuple[str, ...]
    #: What changed, as the walker saw it.
    kind: Kind = Kind.OTHER
    #: The version whose text `pointer` names.
    document: Document = "new"
    #: The generated client modules of the operations it reaches (`api.generate.upscale`).
    client_functions: tuple[str, ...] = ()
    #: Where `pointer` is written in its version's text (`compare_versions` fills it in).
    location: SourceLocation | None = None
    #: Where to show it on the new file: `location`, or for something removed the nearest
    #: node of the new file that holds where it was.
    anchor: SourceLocation | None = None

    @property
    def wire_neutral(self) -> bool:
        """Whether only annotations changed (x-source, documentation, unused components)."""
        return self.kind in WIRE_NEUTRAL_KINDS


@dataclass(frozen=True)
class Comparison:
    """The findings between two labelled spec versions, most severe first."""

    old_label: str
    new_label: str
    findings: tuple[Finding, ...]

    @property
    def breaking(self) -> bool:
        """Whether any finding breaks clients or gateways."""
        return any(finding.severity.breaking for finding in self.findings)

    @property
    def verdict(self) -> str:
        """`breaking`, `behaviour` or `compatible`: the most severe class present."""
        if self.breaking:
            return "breaking"
        if any(f.severity is Severity.BEHAVIOUR for f in self.findings):
            return "behaviour"
        return "compatible"

    def count(self, severity: Severity) -> int:
        """How many findings have `severity`."""
        return sum(1 for finding in self.findings if finding.severity is severity)


def compare(old: dict[str, Any], new: dict[str, Any]) -> tuple[Finding, ...]:
    """Every difference between two parsed spec documents, classified and located."""
    merged: dict[tuple[Severity, str, str, Kind, Document], list[str]] = {}
    changes = diff_documents(old, new)
    relocate = _Relocation(old, new) if any(change.in_old for change in changes) else None
    for change in changes:
        severity, consequence = classify(change)
        document: Document = "new"
        if change.in_old and relocate is not None:
            pointer, document = relocate.pointer(change.location)
        else:
            pointer = source_pointer(new, change.location)
        reason = f"{change.detail}: {consequence}"
        where = merged.setdefault((severity, pointer, reason, change.kind, document), [])
        if change.where not in where:
            where.append(change.where)
    modules = client_modules(old) | client_modules(new)
    order = list(Severity)
    findings = [
        Finding(severity, pointer, reason, tuple(where), kind, document, _reached(where, modules))
        for (severity, pointer, reason, kind, document), where in merged.items()
    ]
    findings.sort(key=lambda finding: order.index(finding.severity))
    return tuple(findings)


def _reached(wheres: list[str], modules: dict[tuple[str, str], str]) -> tuple[str, ...]:
    """The client modules of the operations named in `wheres`, each once, in order."""
    reached: list[str] = []
    for where in wheres:
        match = WHERE.match(where)
        module = match and modules.get((match["method"], match["path"]))
        if module and module not in reached:
            reached.append(module)
    return tuple(reached)


def compare_versions(old: SpecVersion, new: SpecVersion) -> Comparison:
    """Compare two loaded versions; every finding located in its version's text."""
    located = []
    for finding in compare(old.document, new.document):
        version = old if finding.document == "old" else new
        at = version.source_map.position(finding.pointer)
        shown = new.source_map.position(finding.pointer) if finding.document == "old" else at
        location = SourceLocation(version.label, at.line, at.column)
        anchor = SourceLocation(new.path, shown.line, shown.column)
        located.append(replace(finding, location=location, anchor=anchor))
    return Comparison(old.label, new.label, tuple(located))


class _Relocation:
    """Where to report something gone from one message but still defined for others.

    A field missing from one response because that response now points at another schema is
    reported in the new document, at the schema that lacks it, not at the shared definition
    that still has it (and that other operations still use unchanged).
    """

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.inlined_new = inline_for_comparison(new)
        roots = [new.get("paths") or {}, new.get("webhooks") or {}]
        self.used_in_new = reachable_refs(new, roots)

    def pointer(self, location: tuple[str, ...]) -> tuple[str, Document]:
        """The pointer of a location found in the old document, and the version it names."""
        in_old = source_pointer(self.old, location)
        tokens = pointer_tokens(in_old)
        if len(tokens) < 3 or tokens[0] != "components":
            return in_old, "old"
        if "#" + json_pointer(*tokens[:3]) not in self.used_in_new:
            return in_old, "old"
        try:
            ref = "#" + in_old
            unchanged = resolve_pointer(self.new, ref) == resolve_pointer(self.old, ref)
        except SpecError:
            unchanged = False
        if not unchanged:
            return in_old, "old"
        node: Any = self.inlined_new
        depth = 0
        for part in location:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
            depth += 1
        return source_pointer(self.new, location[:depth]), "new"


def source_pointer(document: dict[str, Any], location: tuple[str, ...]) -> str:
    """The JSON pointer, in the document as written, of a location in its `$ref`-inlined form."""
    node: Any = document
    pointer: list[str] = []
    parts = iter(location)
    for part in parts:
        # A `$ref` with constraint siblings was inlined as `allOf: [target, siblings]`: branch 0
        # is the target, branch 1 the object holding the `$ref`.
        while isinstance(node, dict) and part == "allOf" and ref_constraints(node):
            if next(parts, None) == "0":
                ref = node["$ref"]
                node = resolve_pointer(document, ref)
                pointer = pointer_tokens(ref)
            part = next(parts, None)
            if part is None:
                return json_pointer(*pointer)
        # Step through references until the key is found, as inlining merges siblings over targets.
        while isinstance(node, dict) and "$ref" in node and part not in node:
            ref = node["$ref"]
            node = resolve_pointer(document, ref)
            pointer = pointer_tokens(ref)
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
        pointer.append(part)
    return json_pointer(*pointer)

"""Turning the walker's changes into findings: classified, located in the source, merged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livepeer_gateway_spec import (
    SpecError,
    pointer_tokens,
    reachable_refs,
    resolve_pointer,
)
from livepeer_gateway_spec import pointer as json_pointer

from livepeer_gateway_compat.diff import diff_documents
from livepeer_gateway_compat.normalise import inline_for_comparison, ref_constraints
from livepeer_gateway_compat.rules import Severity, classify


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
    merged: dict[tuple[Severity, str, str], list[str]] = {}
    changes = diff_documents(old, new)
    relocate = _Relocation(old, new) if any(change.in_old for change in changes) else None
    for change in changes:
        severity, consequence = classify(change)
        if change.in_old and relocate is not None:
            pointer = relocate.pointer(change.location)
        else:
            pointer = source_pointer(new, change.location)
        reason = f"{change.detail}: {consequence}"
        where = merged.setdefault((severity, pointer, reason), [])
        if change.where not in where:
            where.append(change.where)
    order = list(Severity)
    findings = [
        Finding(severity, pointer, reason, tuple(where))
        for (severity, pointer, reason), where in merged.items()
    ]
    findings.sort(key=lambda finding: order.index(finding.severity))
    return tuple(findings)


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

    def pointer(self, location: tuple[str, ...]) -> str:
        """The pointer of a location found in the old document."""
        in_old = source_pointer(self.old, location)
        tokens = pointer_tokens(in_old)
        if len(tokens) < 3 or tokens[0] != "components":
            return in_old
        if "#" + json_pointer(*tokens[:3]) not in self.used_in_new:
            return in_old
        try:
            ref = "#" + in_old
            unchanged = resolve_pointer(self.new, ref) == resolve_pointer(self.old, ref)
        except SpecError:
            unchanged = False
        if not unchanged:
            return in_old
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
        return source_pointer(self.new, location[:depth])


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

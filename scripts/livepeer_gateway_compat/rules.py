"""Classifying a change between two spec versions: who it breaks (clients, gateways) and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How a finding affects the two sides of the wire, most severe first."""

    BREAKING_CLIENT = "breaking-client"
    BREAKING_GATEWAY = "breaking-gateway"
    BEHAVIOUR = "behaviour"
    COMPATIBLE = "compatible"

    @property
    def breaking(self) -> bool:
        """Whether a finding of this severity fails the check."""
        return self in (Severity.BREAKING_CLIENT, Severity.BREAKING_GATEWAY)


class Side(StrEnum):
    """Which message a schema describes: requests are written by callers and read by gateways."""

    REQUEST = "request"
    RESPONSE = "response"


class Effect(StrEnum):
    """What a change does to the set of messages a constraint allows."""

    WIDENED = "widened"
    NARROWED = "narrowed"
    #: Provably neither wider nor narrower: some old values are refused, some new ones allowed.
    CHANGED = "changed"
    #: The checker cannot decide; judged as narrowing a request and widening a response.
    UNDECIDED = "undecided"


class Kind(StrEnum):
    """What changed, as the walker sees it."""

    OPERATION_REMOVED = "operation removed"
    OPERATION_ADDED = "operation added"
    OPERATION_ID = "operationId changed"
    STATUS_REMOVED = "response status removed"
    STATUS_ADDED = "response status added"
    CONTENT_TYPE_REMOVED = "content type removed"
    CONTENT_TYPE_ADDED = "content type added"
    BODY_REQUIRED = "request body requiredness"
    PARAMETER_REMOVED = "parameter removed"
    PARAMETER_ADDED = "parameter added"
    PARAMETER_REQUIRED = "parameter requiredness"
    HEADER_REMOVED = "response header removed"
    HEADER_ADDED = "response header added"
    HEADER_REQUIRED = "response header requiredness"
    PROPERTY_REMOVED = "field removed"
    PROPERTY_ADDED = "field added"
    REQUIRED = "field requiredness"
    #: A `required` entry for a readOnly field in a request, or a writeOnly one in a response.
    REQUIRED_ELSEWHERE = "requiredness in the other direction"
    TYPE = "type"
    NULLABILITY = "nullability"
    ENUM = "enum"
    BOUND = "bound"
    CONSTRAINT = "constraint"
    PART_CONTENT_TYPES = "multipart part content types"
    ADDITIONAL_PROPERTIES = "additional properties"
    COMPOSITION = "schema composition"
    SECURITY = "security"
    SECURITY_SCHEME = "security scheme"
    DEFAULT = "default"
    SEMANTICS = "description of semantics"
    DOCUMENTATION = "documentation"
    DEPRECATION = "deprecation"
    ACCESS = "readOnly/writeOnly"
    EXTENSION = "vendor extension"
    SOURCE = "constraint source"
    INVALID_STATUS = "invalid-input status"
    UPSCALE_FACTOR = "upscale factor"
    SERVERS = "servers"
    SERVER_REMOVED = "server removed"
    SERVER_ADDED = "server added"
    SERIALIZATION = "parameter serialization"
    CONTENT_TYPE_RANGE = "media type range"
    WEBHOOK_REMOVED = "webhook or callback removed"
    WEBHOOK_ADDED = "webhook or callback added"
    LINK_REMOVED = "response link removed"
    LINK_ADDED = "response link added"
    LINK_CHANGED = "response link changed"
    SECURITY_FLOW = "security scheme flow"
    DISCRIMINATOR = "discriminator"
    UNKNOWN_KEYWORD = "unknown keyword"
    DIALECT = "schema dialect"
    UNUSED_COMPONENT = "unused component"
    OTHER = "unclassified"


@dataclass(frozen=True)
class Change:
    """One difference found by the walker, before classification."""

    kind: Kind
    #: Where the change is, as keys into the `$ref`-inlined document.
    location: tuple[str, ...]
    #: Whether `location` is in the old document (the thing is gone from the new one).
    in_old: bool
    #: The operation and message the change was met in, e.g. `POST /upscale request`.
    where: str
    detail: str
    side: Side | None = None
    effect: Effect | None = None
    #: For additions of fields, parameters and headers: whether the new one is required.
    required: bool = False


_CALLERS_BREAK = "requests existing callers send can now be refused"
_CLIENTS_BREAK = "clients built on the old spec can now receive what they do not handle"
_GATEWAYS_BREAK = "responses existing gateways send may no longer conform"


_UNDECIDED_REQUEST = "cannot be decided, so judged as narrowing: " + _CALLERS_BREAK
_UNDECIDED_RESPONSE = "cannot be decided, so judged as widening: " + _CLIENTS_BREAK


def _schema_rule(change: Change) -> tuple[Severity, str]:
    """A schema constraint: widening a request or narrowing a response is safe for clients."""
    if change.side is Side.REQUEST:
        if change.effect is Effect.WIDENED:
            return Severity.COMPATIBLE, "gateways accept more; every existing request stays valid"
        if change.effect is Effect.UNDECIDED:
            return Severity.BREAKING_GATEWAY, _UNDECIDED_REQUEST
        return Severity.BREAKING_GATEWAY, _CALLERS_BREAK
    if change.effect is Effect.NARROWED:
        return Severity.BREAKING_GATEWAY, _GATEWAYS_BREAK
    if change.effect is Effect.UNDECIDED:
        return Severity.BREAKING_CLIENT, _UNDECIDED_RESPONSE
    if change.kind is Kind.ADDITIONAL_PROPERTIES:
        return (
            Severity.BREAKING_CLIENT,
            "clients built on the old spec were promised no other fields and can now receive them",
        )
    return Severity.BREAKING_CLIENT, _CLIENTS_BREAK


def _addition_rule(change: Change) -> tuple[Severity, str]:
    """A field, parameter or header added: only a required one breaks anybody."""
    if not change.required:
        return Severity.COMPATIBLE, "optional, so nothing that works today depends on it"
    if change.side is Side.REQUEST:
        return (
            Severity.BREAKING_GATEWAY,
            "required: existing callers do not send it and are refused",
        )
    return (
        Severity.BREAKING_GATEWAY,
        "required: existing gateways do not send it and no longer conform",
    )


def _removal_rule(change: Change) -> tuple[Severity, str]:
    """A field, parameter or header removed: breaks callers (request) or clients (response)."""
    if change.side is Side.REQUEST:
        return (
            Severity.BREAKING_GATEWAY,
            "existing callers still send it: gateways may refuse it or silently ignore its meaning",
        )
    return Severity.BREAKING_CLIENT, "existing clients read it and will no longer get it"


def _requiredness_rule(change: Change) -> tuple[Severity, str]:
    """A field, parameter or header that became required or optional."""
    if change.side is Side.REQUEST:
        if change.effect is Effect.NARROWED:
            return Severity.BREAKING_GATEWAY, "now required: callers that omit it are refused"
        return Severity.COMPATIBLE, "now optional: every existing request stays valid"
    if change.effect is Effect.NARROWED:
        return (
            Severity.BREAKING_GATEWAY,
            "now required: existing gateways that omit it no longer conform",
        )
    return (
        Severity.BREAKING_CLIENT,
        "now optional: existing clients that rely on it can find it missing",
    )


_FIXED: dict[Kind, tuple[Severity, str]] = {
    Kind.OPERATION_REMOVED: (Severity.BREAKING_CLIENT, "existing clients call it and will get 404"),
    Kind.OPERATION_ADDED: (Severity.COMPATIBLE, "a new operation; nothing existing calls it"),
    Kind.OPERATION_ID: (
        Severity.BREAKING_CLIENT,
        "generated clients name their functions after it; code calling the old name breaks",
    ),
    Kind.STATUS_REMOVED: (
        Severity.BREAKING_CLIENT,
        "existing clients handle this status; its contract (and body) is no longer promised",
    ),
    Kind.STATUS_ADDED: (
        Severity.BEHAVIOUR,
        "gateways may now answer it; clients built on the old spec treat it as unexpected",
    ),
    Kind.SECURITY_SCHEME: (
        Severity.BREAKING_GATEWAY,
        "the credentials existing callers send no longer match what gateways check",
    ),
    Kind.REQUIRED_ELSEWHERE: (
        Severity.COMPATIBLE,
        "OpenAPI holds a readOnly field's required in responses only and a writeOnly field's in"
        " requests only; this message is unaffected",
    ),
    Kind.DEFAULT: (
        Severity.BEHAVIOUR,
        "requests that omit it now behave differently; nothing is refused",
    ),
    Kind.SEMANTICS: (
        Severity.BEHAVIOUR,
        "the documented meaning changed (numbers, code, or must/never words differ); review it",
    ),
    Kind.DOCUMENTATION: (Severity.COMPATIBLE, "documentation only; nothing on the wire changes"),
    Kind.DEPRECATION: (Severity.BEHAVIOUR, "deprecation changed; callers should plan a migration"),
    Kind.ACCESS: (
        Severity.BEHAVIOUR,
        "which side may send the field changed; review it",
    ),
    Kind.EXTENSION: (
        Severity.BEHAVIOUR,
        "a vendor extension changed; this checker does not give it a meaning, so review it",
    ),
    Kind.SOURCE: (
        Severity.BEHAVIOUR,
        "nothing on the wire changes, but whether a conformance run fails a gateway on this rule"
        " or only advises does",
    ),
    Kind.INVALID_STATUS: (
        Severity.BREAKING_GATEWAY,
        "gateways must now answer another status to values that break the field's schema;"
        " existing gateways answer the old one and no longer conform",
    ),
    Kind.SERVERS: (
        Severity.BEHAVIOUR,
        "the documented server list changed; check clients' base URLs",
    ),
    Kind.UNUSED_COMPONENT: (
        Severity.COMPATIBLE,
        "no operation references it, so nothing on the wire changes",
    ),
    Kind.OTHER: (Severity.BEHAVIOUR, "a change this checker does not classify; review it"),
    Kind.SERVER_REMOVED: (
        Severity.BEHAVIOUR,
        "a documented server is gone; clients configured with its URL should move",
    ),
    Kind.SERVER_ADDED: (Severity.COMPATIBLE, "one more documented server; nothing existing moves"),
    Kind.SERIALIZATION: (
        Severity.BREAKING_GATEWAY,
        "the same values are written differently on the wire; existing callers' encoding is refused"
        " or misread",
    ),
    Kind.WEBHOOK_REMOVED: (
        Severity.BREAKING_CLIENT,
        "clients that receive it rely on it and will no longer be called",
    ),
    Kind.WEBHOOK_ADDED: (
        Severity.BEHAVIOUR,
        "gateways may now call clients with it; clients built on the old spec do not expect it",
    ),
    Kind.LINK_REMOVED: (
        Severity.BREAKING_CLIENT,
        "clients that follow the link to the next call no longer find it",
    ),
    Kind.LINK_ADDED: (Severity.COMPATIBLE, "a new link; nothing existing follows it"),
    Kind.LINK_CHANGED: (
        Severity.BEHAVIOUR,
        "clients that follow the link now reach another operation or pass other values",
    ),
    Kind.DISCRIMINATOR: (
        Severity.BEHAVIOUR,
        "generated clients pick the branch of a union by it; values are unchanged but their"
        " reading may not be",
    ),
    Kind.DIALECT: (
        Severity.BEHAVIOUR,
        "the OpenAPI version or JSON Schema dialect every schema is read under changed; review it",
    ),
}


def classify(change: Change) -> tuple[Severity, str]:
    """The severity of `change` and the consequence that explains it (who breaks and why)."""
    if change.kind in _FIXED:
        return _FIXED[change.kind]
    if change.kind in (Kind.PROPERTY_ADDED, Kind.PARAMETER_ADDED, Kind.HEADER_ADDED):
        return _addition_rule(change)
    if change.kind in (Kind.PROPERTY_REMOVED, Kind.PARAMETER_REMOVED, Kind.HEADER_REMOVED):
        return _removal_rule(change)
    if change.kind in (Kind.REQUIRED, Kind.PARAMETER_REQUIRED, Kind.HEADER_REQUIRED):
        return _requiredness_rule(change)
    if change.kind is Kind.BODY_REQUIRED:
        return _requiredness_rule(change)
    if change.kind is Kind.CONTENT_TYPE_REMOVED:
        if change.side is Side.REQUEST:
            return Severity.BREAKING_GATEWAY, "existing callers send it; gateways now answer 415"
        return Severity.BREAKING_CLIENT, "existing clients parse it and will no longer get it"
    if change.kind is Kind.CONTENT_TYPE_ADDED:
        if change.side is Side.REQUEST:
            return (
                Severity.COMPATIBLE,
                "gateways accept one more encoding; nothing existing changes",
            )
        return (
            Severity.BEHAVIOUR,
            "gateways may answer in it; clients that do not ask for it may get it",
        )
    if change.kind is Kind.UNKNOWN_KEYWORD:
        if change.side is Side.REQUEST and not change.in_old:
            return (
                Severity.BREAKING_GATEWAY,
                "a keyword this checker does not know (or cannot read) may refuse requests"
                " existing callers send",
            )
        return (
            Severity.BEHAVIOUR,
            "a keyword this checker does not know (or cannot read) changed; review it",
        )
    if change.kind is Kind.UPSCALE_FACTOR:
        if change.effect is Effect.NARROWED:
            return (
                Severity.BREAKING_GATEWAY,
                "the output image's size is now fixed; existing gateways may answer another size",
            )
        return (
            Severity.BREAKING_CLIENT,
            "clients built on the old spec rely on the old output size and can now get another",
        )
    if change.kind is Kind.CONTENT_TYPE_RANGE:
        return _schema_rule(change)
    if change.kind is Kind.SECURITY_FLOW:
        if change.effect is Effect.WIDENED:
            return Severity.COMPATIBLE, "callers may obtain credentials one more way"
        if change.effect is Effect.UNDECIDED:
            return Severity.BEHAVIOUR, "where callers obtain credentials changed; review it"
        return (
            Severity.BREAKING_GATEWAY,
            "credentials existing callers obtain this way are no longer issued or accepted",
        )
    if change.kind is Kind.SECURITY:
        if change.effect is Effect.WIDENED:
            return Severity.BEHAVIOUR, "less authentication is required; check this is intended"
        return (
            Severity.BREAKING_GATEWAY,
            "existing callers do not send the credentials now required and are answered 401",
        )
    return _schema_rule(change)

"""Walking two `$ref`-inlined versions of the spec side by side and listing every difference."""

from __future__ import annotations

from typing import Any

from livepeer_gateway_spec import inline_refs, iter_operations, reachable_refs

from livepeer_gateway_compat.rules import Change, Effect, Kind, Side
from livepeer_gateway_compat.schemas import diff_schema
from livepeer_gateway_compat.walk import (
    DOCUMENTATION_KEYS,
    Location,
    Walk,
    diff_documentation,
    diff_extensions,
    fmt_set,
    ordered_union,
    set_effect,
)


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference between two spec documents that matters to a client or a gateway."""
    walk = Walk(inline_refs(old, old), inline_refs(new, new))
    _diff_operations(walk)
    _diff_security_schemes(walk)
    _diff_unused_components(walk, old, new)
    if walk.old.get("servers") != walk.new.get("servers"):
        walk.add(Kind.SERVERS, ("servers",), "document", "servers changed")
    old_info, new_info = walk.old.get("info") or {}, walk.new.get("info") or {}
    for key in ordered_union(old_info, new_info):
        diff_documentation(
            walk, ("info", key), "document", key, old_info.get(key), new_info.get(key)
        )
    return walk.changes


# ---------------------------------------------------------------- operations


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, method) -> operation object, for every operation in an inlined document."""
    return {(path, method): op for path, method, op in iter_operations(document)}


def _diff_operations(walk: Walk) -> None:
    """Operations removed, added, or changed."""
    old_ops, new_ops = _operations(walk.old), _operations(walk.new)
    for key in ordered_union(old_ops, new_ops):
        path, method = key
        location = ("paths", path, method)
        where = f"{method.upper()} {path}"
        if key not in new_ops:
            walk.add(Kind.OPERATION_REMOVED, location, where, "operation removed", in_old=True)
        elif key not in old_ops:
            walk.add(Kind.OPERATION_ADDED, location, where, "operation added")
        else:
            _diff_operation(walk, old_ops[key], new_ops[key], location, where)


def _diff_operation(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], location: Location, where: str
) -> None:
    """One operation present in both versions."""
    if old.get("operationId") != new.get("operationId"):
        detail = f"operationId {old.get('operationId')!r} -> {new.get('operationId')!r}"
        walk.add(Kind.OPERATION_ID, (*location, "operationId"), where, detail)
    for key in ("summary", "description", "tags", "externalDocs"):
        diff_documentation(walk, (*location, key), where, key, old.get(key), new.get(key))
    if bool(old.get("deprecated")) != bool(new.get("deprecated")):
        detail = f"deprecated {bool(old.get('deprecated'))} -> {bool(new.get('deprecated'))}"
        walk.add(Kind.DEPRECATION, (*location, "deprecated"), where, detail)
    diff_extensions(walk, old, new, location, where)
    _diff_security(walk, old, new, location, where)
    _diff_parameters(walk, location, where)
    _diff_request_body(walk, old.get("requestBody"), new.get("requestBody"), location, where)
    _diff_responses(walk, old.get("responses") or {}, new.get("responses") or {}, location, where)


def _diff_security(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], location: Location, where: str
) -> None:
    """The operation's effective security: its own `security`, else the document's."""
    old_alternatives = _security_alternatives(old.get("security", walk.old.get("security")))
    new_alternatives = _security_alternatives(new.get("security", walk.new.get("security")))
    if old_alternatives == new_alternatives:
        return
    if not new_alternatives or frozenset() in new_alternatives:
        effect, detail = Effect.WIDENED, "security removed or made optional"
    elif not old_alternatives or frozenset() in old_alternatives:
        effect, detail = Effect.NARROWED, "security added"
    elif old_alternatives <= new_alternatives:
        effect, detail = Effect.WIDENED, "security alternatives added"
    else:
        effect, detail = Effect.CHANGED, "security requirements changed"
    security_at = (*location, "security") if "security" in new else ("security",)
    walk.add(Kind.SECURITY, security_at, where, detail, effect=effect)


def _security_alternatives(requirements: Any) -> frozenset[frozenset[tuple[str, str]]]:
    """A security requirement list as a set of alternatives, each a set of (scheme, scope)."""
    alternatives = set()
    for requirement in requirements or []:
        # `{}` becomes the empty alternative: authentication is optional.
        alternatives.add(
            frozenset(
                (scheme, scope)
                for scheme, scopes in requirement.items()
                for scope in scopes or [""]
            )
        )
    return frozenset(alternatives)


def _diff_security_schemes(walk: Walk) -> None:
    """Security schemes kept under the same name but checked differently."""
    old_schemes = walk.old.get("components", {}).get("securitySchemes", {})
    new_schemes = walk.new.get("components", {}).get("securitySchemes", {})
    used = _schemes_in_use(walk.old) | _schemes_in_use(walk.new)
    for name in ordered_union(old_schemes, new_schemes):
        location = ("components", "securitySchemes", name)
        if name not in used:
            if old_schemes.get(name) != new_schemes.get(name):
                walk.add(
                    Kind.UNUSED_COMPONENT,
                    location,
                    "components",
                    f"unused security scheme {name!r} changed",
                    in_old=name not in new_schemes,
                )
            continue
        if name not in old_schemes or name not in new_schemes:
            continue  # a used scheme added or removed shows as a security change on operations
        for key in ordered_union(old_schemes[name], new_schemes[name]):
            old_value, new_value = old_schemes[name].get(key), new_schemes[name].get(key)
            if old_value == new_value:
                continue
            if key == "description" or key in DOCUMENTATION_KEYS:
                diff_documentation(walk, (*location, key), name, key, old_value, new_value)
            else:
                detail = f"{name}.{key} {old_value!r} -> {new_value!r}"
                in_old = new_value is None
                walk.add(Kind.SECURITY_SCHEME, (*location, key), name, detail, in_old=in_old)


def _schemes_in_use(document: dict[str, Any]) -> set[str]:
    """Names of the security schemes some operation requires."""
    return {
        scheme
        for operation in _operations(document).values()
        for requirement in operation.get("security", document.get("security")) or []
        for scheme in requirement
    }


# ---------------------------------------------------------------- parameters and bodies


def _diff_parameters(walk: Walk, location: Location, where: str) -> None:
    """Parameters, path-level and operation-level, matched by (in, name)."""
    old_params = _parameters(walk.old, location)
    new_params = _parameters(walk.new, location)
    for key in ordered_union(old_params, new_params):
        label = f"{key[0]} parameter {key[1]!r}"
        if key not in new_params:
            at, _ = old_params[key]
            walk.add(
                Kind.PARAMETER_REMOVED,
                at,
                where,
                f"{label} removed",
                in_old=True,
                side=Side.REQUEST,
            )
            continue
        at, new_param = new_params[key]
        if key not in old_params:
            required = bool(new_param.get("required"))
            walk.add(
                Kind.PARAMETER_ADDED,
                at,
                where,
                f"{label} added",
                side=Side.REQUEST,
                required=required,
            )
            continue
        _, old_param = old_params[key]
        if bool(old_param.get("required")) != bool(new_param.get("required")):
            effect = Effect.NARROWED if new_param.get("required") else Effect.WIDENED
            walk.add(
                Kind.PARAMETER_REQUIRED,
                (*at, "required"),
                where,
                f"{label} requiredness",
                side=Side.REQUEST,
                effect=effect,
            )
        diff_documentation(
            walk,
            (*at, "description"),
            where,
            f"{label} description",
            old_param.get("description"),
            new_param.get("description"),
        )
        context = f"{where} {label}"
        diff_schema(
            walk,
            old_param.get("schema"),
            new_param.get("schema"),
            (*at, "schema"),
            context,
            Side.REQUEST,
        )


def _parameters(
    document: dict[str, Any], location: Location
) -> dict[tuple[str, str], tuple[Location, dict[str, Any]]]:
    """(in, name) -> (location, parameter) for an operation, operation-level ones winning."""
    _, path, method = location
    item = document["paths"][path]
    found: dict[tuple[str, str], tuple[Location, dict[str, Any]]] = {}
    for owner in (("paths", path), location):
        container = item if owner == ("paths", path) else item[method]
        for index, parameter in enumerate(container.get("parameters") or []):
            key = (str(parameter.get("in")), str(parameter.get("name")))
            found[key] = ((*owner, "parameters", str(index)), parameter)
    return found


def _diff_request_body(
    walk: Walk,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    location: Location,
    where: str,
) -> None:
    """The request body: requiredness, content types, schemas and multipart encodings."""
    at = (*location, "requestBody")
    where = f"{where} request"
    if old is None and new is None:
        return
    if old is None or new is None:
        kind = Kind.PROPERTY_REMOVED if new is None else Kind.PROPERTY_ADDED
        required = bool((new or {}).get("required"))
        walk.add(
            kind,
            at,
            where,
            "request body " + ("removed" if new is None else "added"),
            in_old=new is None,
            side=Side.REQUEST,
            required=required,
        )
        return
    if bool(old.get("required")) != bool(new.get("required")):
        effect = Effect.NARROWED if new.get("required") else Effect.WIDENED
        walk.add(
            Kind.BODY_REQUIRED,
            (*at, "required"),
            where,
            "request body requiredness",
            side=Side.REQUEST,
            effect=effect,
        )
    diff_documentation(
        walk,
        (*at, "description"),
        where,
        "request body description",
        old.get("description"),
        new.get("description"),
    )
    _diff_content(
        walk,
        old.get("content") or {},
        new.get("content") or {},
        (*at, "content"),
        where,
        Side.REQUEST,
    )


def _diff_content(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """Media types of a body: removed, added, or compared schema by schema."""
    for media_type in ordered_union(old, new):
        media_at = (*at, media_type)
        if media_type not in new:
            walk.add(
                Kind.CONTENT_TYPE_REMOVED,
                media_at,
                where,
                f"{media_type} removed",
                in_old=True,
                side=side,
            )
        elif media_type not in old:
            walk.add(Kind.CONTENT_TYPE_ADDED, media_at, where, f"{media_type} added", side=side)
        else:
            old_media, new_media = old[media_type] or {}, new[media_type] or {}
            diff_schema(
                walk,
                old_media.get("schema"),
                new_media.get("schema"),
                (*media_at, "schema"),
                where,
                side,
            )
            for key in ("example", "examples"):
                diff_documentation(
                    walk, (*media_at, key), where, key, old_media.get(key), new_media.get(key)
                )
            _diff_encodings(
                walk,
                old_media.get("encoding") or {},
                new_media.get("encoding") or {},
                (*media_at, "encoding"),
                where,
                side,
            )


def _diff_encodings(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """Multipart parts' accepted content types, compared as sets."""
    for part in ordered_union(old, new):
        old_types = _media_types((old.get(part) or {}).get("contentType"))
        new_types = _media_types((new.get(part) or {}).get("contentType"))
        if old_types == new_types:
            continue
        effect = set_effect(old_types, new_types)
        in_old = part not in new or "contentType" not in new[part]
        part_at = (*at, part) if part not in new or part not in old else (*at, part, "contentType")
        detail = f"part {part!r} content types {fmt_set(old_types)} -> {fmt_set(new_types)}"
        walk.add(
            Kind.PART_CONTENT_TYPES, part_at, where, detail, in_old=in_old, side=side, effect=effect
        )


def _media_types(value: Any) -> frozenset[str] | None:
    """A comma-separated `contentType` as a set; None when absent (any type)."""
    if not value:
        return None
    return frozenset(part.strip() for part in str(value).split(",") if part.strip())


def _diff_responses(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], location: Location, where: str
) -> None:
    """Response statuses: removed, added, or compared header by header and body by body."""
    for status in ordered_union(old, new):
        at = (*location, "responses", str(status))
        response_where = f"{where} {status} response"
        if status not in new:
            walk.add(
                Kind.STATUS_REMOVED, at, response_where, f"status {status} removed", in_old=True
            )
            continue
        if status not in old:
            walk.add(Kind.STATUS_ADDED, at, response_where, f"status {status} added")
            continue
        old_response, new_response = old[status] or {}, new[status] or {}
        old_text, new_text = old_response.get("description"), new_response.get("description")
        diff_documentation(
            walk, (*at, "description"), response_where, "description", old_text, new_text
        )
        _diff_headers(
            walk,
            old_response.get("headers") or {},
            new_response.get("headers") or {},
            (*at, "headers"),
            response_where,
        )
        _diff_content(
            walk,
            old_response.get("content") or {},
            new_response.get("content") or {},
            (*at, "content"),
            response_where,
            Side.RESPONSE,
        )


def _diff_headers(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str
) -> None:
    """Response headers, matched case-insensitively."""
    old_by_name = {name.lower(): name for name in old}
    new_by_name = {name.lower(): name for name in new}
    for lowered in ordered_union(old_by_name, new_by_name):
        if lowered not in new_by_name:
            name = old_by_name[lowered]
            walk.add(
                Kind.HEADER_REMOVED,
                (*at, name),
                where,
                f"header {name} removed",
                in_old=True,
                side=Side.RESPONSE,
            )
            continue
        name = new_by_name[lowered]
        new_header = new[name] or {}
        if lowered not in old_by_name:
            walk.add(
                Kind.HEADER_ADDED,
                (*at, name),
                where,
                f"header {name} added",
                side=Side.RESPONSE,
                required=bool(new_header.get("required")),
            )
            continue
        old_header = old[old_by_name[lowered]] or {}
        if bool(old_header.get("required")) != bool(new_header.get("required")):
            effect = Effect.NARROWED if new_header.get("required") else Effect.WIDENED
            walk.add(
                Kind.HEADER_REQUIRED,
                (*at, name, "required"),
                where,
                f"header {name} requiredness",
                side=Side.RESPONSE,
                effect=effect,
            )
        old_text, new_text = old_header.get("description"), new_header.get("description")
        diff_documentation(
            walk,
            (*at, name, "description"),
            where,
            f"header {name} description",
            old_text,
            new_text,
        )
        diff_schema(
            walk,
            old_header.get("schema"),
            new_header.get("schema"),
            (*at, name, "schema"),
            f"{where} header {name}",
            Side.RESPONSE,
        )


def _diff_unused_components(walk: Walk, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Component schemas no operation references in either version: changes that reach no wire."""
    used = _referenced(old) | _referenced(new)
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name in ordered_union(old_schemas, new_schemas):
        if f"#/components/schemas/{name}" in used or old_schemas.get(name) == new_schemas.get(name):
            continue
        at = ("components", "schemas", name)
        walk.add(
            Kind.UNUSED_COMPONENT,
            at,
            "components",
            f"unused schema {name!r} changed",
            in_old=name not in new_schemas,
        )


def _referenced(document: dict[str, Any]) -> set[str]:
    """Every `$ref` reachable from the document's paths, following references transitively."""
    return reachable_refs(document, [document.get("paths") or {}])

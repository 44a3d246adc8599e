"""Walking two `$ref`-inlined versions of the spec side by side and listing every difference."""

from __future__ import annotations

from typing import Any

from livepeer_gateway_spec import HTTP_METHODS, iter_operations, reachable_refs

from livepeer_gateway_compat import media
from livepeer_gateway_compat.normalise import exact, inline_for_comparison
from livepeer_gateway_compat.rules import Change, Effect, Kind, Side
from livepeer_gateway_compat.schemas import accepts, diff_schema, type_set
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

#: Default `style` of a parameter by its location (OpenAPI 3.1 §4.8.12.4).
_DEFAULT_STYLE = {"query": "form", "path": "simple", "header": "simple", "cookie": "form"}


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference between two spec documents that matters to a client or a gateway."""
    walk = Walk(inline_for_comparison(old), inline_for_comparison(new))
    _diff_operations(walk, _operations(walk.old), _operations(walk.new))
    old_paths, new_paths = walk.old.get("paths") or {}, walk.new.get("paths") or {}
    for path in ordered_union(old_paths, new_paths):
        if path in old_paths and path in new_paths:
            old_item, new_item = old_paths[path] or {}, new_paths[path] or {}
            for key in ("summary", "description"):
                diff_documentation(
                    walk, ("paths", path, key), path, key, old_item.get(key), new_item.get(key)
                )
            diff_extensions(walk, old_item, new_item, ("paths", path), path)
    for key in ("openapi", "jsonSchemaDialect"):
        if walk.old.get(key) != walk.new.get(key):
            detail = f"{key} {fmt(walk.old.get(key))} -> {fmt(walk.new.get(key))}"
            walk.add(Kind.DIALECT, (key,), "document", detail, in_old=key not in walk.new)
    _diff_operations(walk, _webhooks(walk.old), _webhooks(walk.new), callee=True)
    _diff_security_schemes(walk)
    _diff_unused_components(walk, old, new)
    _diff_servers(walk, walk.old.get("servers"), walk.new.get("servers"), ("servers",), "document")
    old_info, new_info = walk.old.get("info") or {}, walk.new.get("info") or {}
    for key in ordered_union(old_info, new_info):
        diff_documentation(
            walk, ("info", key), "document", key, old_info.get(key), new_info.get(key)
        )
    for key in ("tags", "externalDocs"):
        diff_documentation(walk, (key,), "document", key, walk.old.get(key), walk.new.get(key))
    return walk.changes


# ---------------------------------------------------------------- operations

#: (path or webhook name, method) -> (location of the operation, operation).
Operations = dict[tuple[str, str], tuple[Location, dict[str, Any]]]


def _operations(document: dict[str, Any]) -> Operations:
    """Every operation under `paths`, with its location."""
    return {
        (path, method): (("paths", path, method), op)
        for path, method, op in iter_operations(document)
    }


def _webhooks(document: dict[str, Any]) -> Operations:
    """Every operation under `webhooks` (OpenAPI 3.1): requests the API sends to its clients."""
    found: Operations = {}
    for name, item in (document.get("webhooks") or {}).items():
        for method in HTTP_METHODS:
            if isinstance((item or {}).get(method), dict):
                found[(f"webhook {name}", method)] = (("webhooks", name, method), item[method])
    return found


def _callbacks(operation: dict[str, Any], location: Location) -> Operations:
    """Every operation of an operation's callbacks, keyed by callback name and expression."""
    found: Operations = {}
    for name, callback in (operation.get("callbacks") or {}).items():
        for expression, item in (callback or {}).items():
            for method in HTTP_METHODS:
                if isinstance((item or {}).get(method), dict):
                    key = (f"callback {name} {expression}", method)
                    found[key] = ((*location, "callbacks", name, expression, method), item[method])
    return found


def _diff_operations(
    walk: Walk, old_ops: Operations, new_ops: Operations, *, callee: bool = False
) -> None:
    """Operations removed, added, or changed; `callee` for webhooks and callbacks, which the
    API sends and clients answer, so their requests and responses swap sides."""
    for key in ordered_union(old_ops, new_ops):
        path, method = key
        where = f"{method.upper()} {path}"
        if key not in new_ops:
            kind = Kind.WEBHOOK_REMOVED if callee else Kind.OPERATION_REMOVED
            walk.add(kind, old_ops[key][0], where, "operation removed", in_old=True)
        elif key not in old_ops:
            kind = Kind.WEBHOOK_ADDED if callee else Kind.OPERATION_ADDED
            walk.add(kind, new_ops[key][0], where, "operation added")
        else:
            (old_at, old), (new_at, new) = old_ops[key], new_ops[key]
            _diff_operation(walk, old, new, old_at, new_at, where, callee)


def _diff_operation(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    old_at: Location,
    location: Location,
    where: str,
    callee: bool,
) -> None:
    """One operation present in both versions."""
    request_side = Side.RESPONSE if callee else Side.REQUEST
    response_side = Side.REQUEST if callee else Side.RESPONSE
    if old.get("operationId") != new.get("operationId"):
        detail = f"operationId {old.get('operationId')!r} -> {new.get('operationId')!r}"
        walk.add(Kind.OPERATION_ID, (*location, "operationId"), where, detail)
    for key in ("summary", "description", "tags", "externalDocs"):
        diff_documentation(walk, (*location, key), where, key, old.get(key), new.get(key))
    if bool(old.get("deprecated")) != bool(new.get("deprecated")):
        detail = f"deprecated {bool(old.get('deprecated'))} -> {bool(new.get('deprecated'))}"
        walk.add(Kind.DEPRECATION, (*location, "deprecated"), where, detail)
    diff_extensions(walk, old, new, location, where)
    if not callee:
        _diff_security(walk, old, new, location, where)
    _diff_parameters(walk, old_at, location, where, request_side)
    _diff_request_body(
        walk, old.get("requestBody"), new.get("requestBody"), location, where, request_side
    )
    _diff_responses(
        walk, old.get("responses") or {}, new.get("responses") or {}, location, where, response_side
    )
    _diff_operations(walk, _callbacks(old, old_at), _callbacks(new, location), callee=True)
    if location[0] == "paths":
        old_servers, _ = _servers_of(walk.old, old_at)
        new_servers, servers_at = _servers_of(walk.new, location)
        _diff_servers(walk, old_servers, new_servers, servers_at, where)


def _servers_of(document: dict[str, Any], location: Location) -> tuple[Any, Location]:
    """The servers an operation declares for itself (its own, else its path item's), and
    the location of the object declaring them."""
    item = document["paths"][location[1]]
    if "servers" in item[location[2]]:
        return item[location[2]]["servers"], location
    return item.get("servers"), location[:2]


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
    elif all(any(_covers(n, o) for n in new_alternatives) for o in old_alternatives):
        effect, detail = Effect.WIDENED, "security relaxed: fewer schemes or scopes required"
    else:
        effect, detail = Effect.CHANGED, "security requirements changed"
    security_at = (*location, "security") if "security" in new else ("security",)
    walk.add(Kind.SECURITY, security_at, where, detail, effect=effect)


def _covers(new: frozenset[tuple[str, str]], old: frozenset[tuple[str, str]]) -> bool:
    """Whether every caller meeting alternative `old` also meets `new`: `new` names only schemes
    `old` names, and only scopes `old` requires of them (a scheme without scopes, `""`, asks
    for no scope)."""
    old_schemes = {scheme for scheme, _ in old}
    return all(
        scheme in old_schemes and (not scope or (scheme, scope) in old) for scheme, scope in new
    )


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


# ---------------------------------------------------------------- security schemes

#: Security scheme fields whose values compare case-insensitively (RFC 9110 §11.1: auth schemes).
_CASELESS_SCHEME_FIELDS = frozenset({"scheme"})


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
        old_scheme, new_scheme = old_schemes[name] or {}, new_schemes[name] or {}
        scheme_walk = _Fanout(walk, _scheme_users(walk.old, name) | _scheme_users(walk.new, name))
        for key in ordered_union(old_scheme, new_scheme):
            old_value, new_value = old_scheme.get(key), new_scheme.get(key)
            if _same_scheme_value(key, old_scheme, old_value, new_value):
                continue
            fan: Any = scheme_walk
            if key == "description" or key in DOCUMENTATION_KEYS or key == "bearerFormat":
                diff_documentation(fan, (*location, key), name, key, old_value, new_value)
            elif key.startswith("x-"):
                diff_extensions(fan, {key: old_value}, {key: new_value}, location, name)
            elif key == "flows" and isinstance(old_value, dict) and isinstance(new_value, dict):
                _diff_flows(fan, old_value, new_value, (*location, "flows"), name)
            else:
                detail = f"{name}.{key} {old_value!r} -> {new_value!r}"
                in_old = new_value is None
                fan.add(Kind.SECURITY_SCHEME, (*location, key), name, detail, in_old=in_old)


class _Fanout:
    """A `Walk` stand-in that records each change once per operation it reaches."""

    def __init__(self, walk: Walk, wheres: set[str]) -> None:
        self.walk, self.wheres = walk, sorted(wheres)

    def add(self, kind: Kind, location: Location, where: str, detail: str, **extra: Any) -> None:
        """Record the change under every operation (or under `where` when none uses it)."""
        for each in self.wheres or [where]:
            self.walk.add(kind, location, each, detail, **extra)


def _scheme_users(document: dict[str, Any], name: str) -> set[str]:
    """`METHOD /path` of every operation whose effective security names scheme `name`."""
    return {
        f"{method.upper()} {path}"
        for (path, method), (_, operation) in _operations(document).items()
        for requirement in operation.get("security", document.get("security")) or []
        if name in requirement
    }


def _same_scheme_value(key: str, scheme: dict[str, Any], old: Any, new: Any) -> bool:
    """Equal, or equal as the wire reads it: auth-scheme and header names ignore case."""
    if old == new:
        return True
    if not isinstance(old, str) or not isinstance(new, str):
        return False
    if key in _CASELESS_SCHEME_FIELDS or (key == "name" and scheme.get("in") == "header"):
        return old.lower() == new.lower()
    return False


def _diff_flows(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str
) -> None:
    """OAuth flows: a flow or a scope removed breaks callers; URLs changed are reviewed."""
    for flow in ordered_union(old, new):
        flow_at = (*at, flow)
        if flow not in new:
            walk.add(
                Kind.SECURITY_FLOW,
                flow_at,
                where,
                f"flow {flow} removed",
                in_old=True,
                effect=Effect.NARROWED,
            )
            continue
        if flow not in old:
            walk.add(
                Kind.SECURITY_FLOW, flow_at, where, f"flow {flow} added", effect=Effect.WIDENED
            )
            continue
        old_flow, new_flow = old[flow] or {}, new[flow] or {}
        for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
            if old_flow.get(key) != new_flow.get(key):
                detail = f"{flow}.{key} {fmt(old_flow.get(key))} -> {fmt(new_flow.get(key))}"
                walk.add(
                    Kind.SECURITY_FLOW, (*flow_at, key), where, detail,
                    in_old=key not in new_flow, effect=Effect.UNDECIDED,
                )  # fmt: skip
        old_scopes, new_scopes = old_flow.get("scopes") or {}, new_flow.get("scopes") or {}
        for scope in ordered_union(old_scopes, new_scopes):
            scope_at = (*flow_at, "scopes", scope)
            if scope not in new_scopes:
                walk.add(
                    Kind.SECURITY_FLOW, scope_at, where, f"{flow} scope {scope!r} removed",
                    in_old=True, effect=Effect.NARROWED,
                )  # fmt: skip
            elif scope not in old_scopes:
                walk.add(
                    Kind.SECURITY_FLOW, scope_at, where, f"{flow} scope {scope!r} added",
                    effect=Effect.WIDENED,
                )  # fmt: skip
            else:
                label = f"{flow} scope {scope!r}"
                diff_documentation(
                    walk, scope_at, where, label, old_scopes[scope], new_scopes[scope]
                )


def _schemes_in_use(document: dict[str, Any]) -> set[str]:
    """Names of the security schemes some operation requires."""
    return {
        scheme
        for _, operation in _operations(document).values()
        for requirement in operation.get("security", document.get("security")) or []
        for scheme in requirement
    }


# ---------------------------------------------------------------- servers


def _diff_servers(walk: Walk, old: Any, new: Any, at: Location, where: str) -> None:
    """Servers matched by URL: removed, added, and their variables' enums and defaults."""
    if old == new:
        return
    old_list = [s for s in old or [] if isinstance(s, dict)]
    new_list = [s for s in new or [] if isinstance(s, dict)]
    old_by_url = {s.get("url"): (i, s) for i, s in enumerate(old_list)}
    new_by_url = {s.get("url"): (i, s) for i, s in enumerate(new_list)}
    for url in ordered_union(old_by_url, new_by_url):
        if url not in new_by_url:
            index = old_by_url[url][0]
            detail = f"server {url} removed"
            walk.add(Kind.SERVER_REMOVED, _server_at(at, index), where, detail, in_old=True)
            continue
        index, server = new_by_url[url]
        if url not in old_by_url:
            walk.add(Kind.SERVER_ADDED, _server_at(at, index), where, f"server {url} added")
            continue
        old_server = old_by_url[url][1]
        server_at = _server_at(at, index)
        diff_documentation(
            walk, (*server_at, "description"), where, f"server {url} description",
            old_server.get("description"), server.get("description"),
        )  # fmt: skip
        old_vars, new_vars = old_server.get("variables") or {}, server.get("variables") or {}
        for name in ordered_union(old_vars, new_vars):
            old_var, new_var = old_vars.get(name) or {}, new_vars.get(name) or {}
            var_at = (*server_at, "variables", name)
            for key in ("default", "enum"):
                if old_var.get(key) != new_var.get(key):
                    detail = (
                        f"server {url} variable {name} {key} {fmt(old_var.get(key))} -> "
                        f"{fmt(new_var.get(key))}"
                    )
                    kind = Kind.SERVER_REMOVED if key == "enum" else Kind.SERVERS
                    if key == "enum":
                        old_values = _value_set(old_var.get("enum"))
                        new_values = _value_set(new_var.get("enum"))
                        if set_effect(old_values, new_values) is Effect.WIDENED:
                            kind = Kind.SERVER_ADDED
                    walk.add(kind, (*var_at, key), where, detail, in_old=key not in new_var)
            diff_documentation(
                walk, (*var_at, "description"), where, f"server variable {name} description",
                old_var.get("description"), new_var.get("description"),
            )  # fmt: skip


def _server_at(at: Location, index: int) -> Location:
    """The location of server `index` in the `servers` list owned by `at`."""
    return (*at, str(index)) if at[-1] == "servers" else (*at, "servers", str(index))


def _value_set(values: Any) -> frozenset[str] | None:
    """A list of values as a set of JSON texts; None when absent (any value)."""
    return None if values is None else frozenset(fmt(v) for v in values)


# ---------------------------------------------------------------- parameters and bodies


def _parameter_key(parameter: dict[str, Any]) -> tuple[str, str]:
    """(in, name), header names lower-cased: HTTP field names ignore case."""
    location, name = str(parameter.get("in")), str(parameter.get("name"))
    return location, name.lower() if location == "header" else name


def _diff_parameters(
    walk: Walk, old_at: Location, location: Location, where: str, side: Side
) -> None:
    """Parameters, path-level and operation-level, matched by (in, name)."""
    old_params = _parameters(walk.old, old_at)
    new_params = _parameters(walk.new, location)
    for key in ordered_union(old_params, new_params):
        if key not in new_params:
            at, old_param = old_params[key]
            label = f"{key[0]} parameter {old_param.get('name')!r}"
            walk.add(Kind.PARAMETER_REMOVED, at, where, f"{label} removed", in_old=True, side=side)
            continue
        at, new_param = new_params[key]
        label = f"{key[0]} parameter {new_param.get('name')!r}"
        if key not in old_params:
            required = bool(new_param.get("required"))
            walk.add(
                Kind.PARAMETER_ADDED, at, where, f"{label} added", side=side, required=required
            )
            continue
        previous_at, old_param = old_params[key]
        if bool(old_param.get("required")) != bool(new_param.get("required")):
            effect = Effect.NARROWED if new_param.get("required") else Effect.WIDENED
            walk.add(
                Kind.PARAMETER_REQUIRED,
                (*at, "required"),
                where,
                f"{label} requiredness",
                side=side,
                effect=effect,
            )
        if bool(old_param.get("deprecated")) != bool(new_param.get("deprecated")):
            deprecated = bool(new_param.get("deprecated"))
            detail = f"{label} deprecated {not deprecated} -> {deprecated}"
            walk.add(Kind.DEPRECATION, (*at, "deprecated"), where, detail)
        for doc_key in ("description", "example", "examples"):
            diff_documentation(
                walk, (*at, doc_key), where, f"{label} {doc_key}",
                old_param.get(doc_key), new_param.get(doc_key),
            )  # fmt: skip
        diff_extensions(walk, old_param, new_param, at, where, label)
        _diff_serialization(walk, old_param, new_param, at, where, label, side, key[0])
        if side is Side.REQUEST and _became_exploded_array(old_param, new_param, key[0]):
            _diff_scalar_to_array(
                walk, old_param["schema"], new_param["schema"],
                (*previous_at, "schema"), (*at, "schema"), where, label,
            )  # fmt: skip
        else:
            diff_schema(
                walk,
                old_param.get("schema"),
                new_param.get("schema"),
                (*at, "schema"),
                where,
                side,
                field=label,
                old_at=(*previous_at, "schema"),
            )
        if "content" in old_param or "content" in new_param:
            _diff_content(
                walk, old_param.get("content") or {}, new_param.get("content") or {},
                (*previous_at, "content"), (*at, "content"), where, side,
            )  # fmt: skip


def _became_exploded_array(old: dict[str, Any], new: dict[str, Any], location: str) -> bool:
    """Whether a query parameter of a declared non-array type became an array of items of that
    type (or wider) sent in the exploded `form` style, in which `name=v` still reads as the
    one-item array `[v]`."""
    if location != "query":
        return False
    old_schema, new_schema = old.get("schema"), new.get("schema")
    if not isinstance(old_schema, dict) or not isinstance(new_schema, dict):
        return False
    old_types, new_types = type_set(old_schema), type_set(new_schema)
    items = new_schema.get("items")
    item_types = type_set(items) if isinstance(items, dict) else None
    serialised = _serialization(new, location)
    return (
        old_types is not None and "array" not in old_types and new_types == {"array"}
        and accepts(item_types, old_types)
        and _serialization(old, location)["style"] == "form"
        and serialised["style"] == "form" and serialised["explode"] is True
    )  # fmt: skip


def _diff_scalar_to_array(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    old_at: Location,
    at: Location,
    where: str,
    label: str,
) -> None:
    """A single value become an exploded array: the form is compatible (`name=v` is `[v]`); the
    old value's schema is compared with the items', and a one-item array must stay allowed."""
    detail = f"{label}: type {fmt(old.get('type'))} -> an exploded array of it"
    walk.add(Kind.TYPE, (*at, "type"), where, detail, side=Side.REQUEST, effect=Effect.WIDENED)
    diff_schema(walk, old, new.get("items"), (*at, "items"), where, Side.REQUEST,
                field=f"{label}[]", old_at=old_at)  # fmt: skip
    lower, upper = exact(new.get("minItems")), exact(new.get("maxItems"))
    for keyword, refuses_one in (("minItems", lower is not None and lower > 1),
                                 ("maxItems", upper is not None and upper < 1)):  # fmt: skip
        if refuses_one:
            detail = f"{label}: {keyword} {fmt(new[keyword])} refuses a single value"
            walk.add(Kind.BOUND, (*at, keyword), where, detail, side=Side.REQUEST,
                     effect=Effect.NARROWED)  # fmt: skip


def _diff_serialization(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    at: Location,
    where: str,
    label: str,
    side: Side,
    location: str | None,
) -> None:
    """style, explode, allowReserved and allowEmptyValue, with their defaults filled in."""
    old_values, new_values = _serialization(old, location), _serialization(new, location)
    for key in ("style", "explode", "allowReserved"):
        if old_values[key] != new_values[key]:
            detail = f"{label} {key} {fmt(old_values[key])} -> {fmt(new_values[key])}"
            walk.add(
                Kind.SERIALIZATION,
                (*at, key),
                where,
                detail,
                side=side,
                in_old=key not in new and key in old,
            )
    if bool(old.get("allowEmptyValue")) != bool(new.get("allowEmptyValue")):
        effect = Effect.WIDENED if new.get("allowEmptyValue") else Effect.NARROWED
        allowed = bool(new.get("allowEmptyValue"))
        detail = f"{label} allowEmptyValue {not allowed} -> {allowed}"
        walk.add(Kind.CONSTRAINT, (*at, "allowEmptyValue"), where, detail, side=side, effect=effect)


def _serialization(parameter: dict[str, Any], location: str | None) -> dict[str, Any]:
    """A parameter's (or part encoding's) serialization, defaults applied."""
    style = parameter.get("style", _DEFAULT_STYLE.get(location or "", "form"))
    return {
        "style": style,
        "explode": parameter.get("explode", style == "form"),
        "allowReserved": bool(parameter.get("allowReserved")),
    }


def _parameters(
    document: dict[str, Any], location: Location
) -> dict[tuple[str, str], tuple[Location, dict[str, Any]]]:
    """(in, name) -> (location, parameter) for an operation, operation-level ones winning."""
    item: dict[str, Any] = document
    for part in location[:-1]:
        item = item[part]
    found: dict[tuple[str, str], tuple[Location, dict[str, Any]]] = {}
    for owner, container in ((location[:-1], item), (location, item[location[-1]])):
        for index, parameter in enumerate(container.get("parameters") or []):
            if isinstance(parameter, dict):
                found[_parameter_key(parameter)] = ((*owner, "parameters", str(index)), parameter)
    return found


def _diff_request_body(
    walk: Walk,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    location: Location,
    where: str,
    side: Side,
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
            side=side,
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
            side=side,
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
    diff_extensions(walk, old, new, at, where)
    _diff_content(
        walk, old.get("content") or {}, new.get("content") or {},
        (*at, "content"), (*at, "content"), where, side,
    )  # fmt: skip


def _diff_content(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    old_at: Location,
    at: Location,
    where: str,
    side: Side,
) -> None:
    """Media types of a body, matched by the media-type rules (case, parameters, ranges)."""
    matched: set[str] = set()
    for media_type in old:
        new_key, effect = media.find(media.parse(media_type), new)
        if new_key is None:
            walk.add(
                Kind.CONTENT_TYPE_REMOVED,
                (*old_at, media_type),
                f"{where} {media_type}",
                f"{media_type} removed",
                in_old=True,
                side=side,
            )
            continue
        matched.add(new_key)
        media_where = f"{where} {media_type}"
        if effect is not None:
            verb = "widened to" if effect is Effect.WIDENED else "narrowed to"
            walk.add(
                Kind.CONTENT_TYPE_RANGE,
                (*at, new_key),
                media_where,
                f"{media_type} {verb} {new_key}",
                side=side,
                effect=effect,
            )
        elif new_key != media_type:
            walk.add(
                Kind.DOCUMENTATION,
                (*at, new_key),
                media_where,
                f"{media_type} spelt {new_key}",
            )
        _diff_media(
            walk,
            old[media_type] or {},
            new[new_key] or {},
            (*old_at, media_type),
            (*at, new_key),
            media_where,
            side,
        )
    for media_type in new:
        if media_type in matched or media.find(media.parse(media_type), old)[0] is not None:
            continue
        walk.add(
            Kind.CONTENT_TYPE_ADDED,
            (*at, media_type),
            f"{where} {media_type}",
            f"{media_type} added",
            side=side,
        )


def _diff_media(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    old_at: Location,
    at: Location,
    where: str,
    side: Side,
) -> None:
    """One media type object: schema, examples, and multipart encodings."""
    diff_schema(
        walk,
        old.get("schema"),
        new.get("schema"),
        (*at, "schema"),
        where,
        side,
        old_at=(*old_at, "schema"),
        textual=media.textual(old_at[-1]) and media.textual(at[-1]),
    )
    for key in ("example", "examples"):
        diff_documentation(walk, (*at, key), where, key, old.get(key), new.get(key))
    diff_extensions(walk, old, new, at, where)
    for key in ordered_union(old, new):
        # Fields of later OpenAPI versions (3.2's itemSchema, ...) are reported, not dropped.
        if key not in _MEDIA_FIELDS and not key.startswith("x-") and old.get(key) != new.get(key):
            detail = f"{key} {fmt(old.get(key))} -> {fmt(new.get(key))}"
            walk.add(Kind.OTHER, (*at, key), where, detail, in_old=key not in new)
    _diff_encodings(
        walk, old.get("encoding") or {}, new.get("encoding") or {}, (*at, "encoding"), where, side
    )


_MEDIA_FIELDS = frozenset({"schema", "example", "examples", "encoding"})


def _diff_encodings(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str, side: Side
) -> None:
    """Multipart parts: accepted content types (ranges understood), headers, serialization."""
    for part in ordered_union(old, new):
        old_part, new_part = old.get(part) or {}, new.get(part) or {}
        old_types = _media_types(old_part.get("contentType"))
        new_types = _media_types(new_part.get("contentType"))
        if old_types != new_types:
            if old_types is None or new_types is None:
                effect = set_effect(old_types, new_types)
            else:
                effect = media.list_effect(old_types, new_types)
            in_old = part not in new or "contentType" not in new_part
            part_at = (
                (*at, part) if part not in new or part not in old else (*at, part, "contentType")
            )
            detail = f"part {part!r} content types {fmt_set(old_types)} -> {fmt_set(new_types)}"
            if effect is None:
                walk.add(Kind.DOCUMENTATION, part_at, where, detail, in_old=in_old)
            else:
                walk.add(
                    Kind.PART_CONTENT_TYPES, part_at, where, detail, in_old=in_old, side=side,
                    effect=effect,
                )  # fmt: skip
        if part in old and part in new:
            label = f"part {part!r}"
            diff_extensions(walk, old_part, new_part, (*at, part), where)
            _diff_serialization(walk, old_part, new_part, (*at, part), where, label, side, None)
            _diff_headers(
                walk, old_part.get("headers") or {}, new_part.get("headers") or {},
                (*at, part, "headers"), (*at, part, "headers"), where, side,
            )  # fmt: skip


def _media_types(value: Any) -> frozenset[str] | None:
    """A comma-separated `contentType` as a set; None when absent (any type)."""
    if not value:
        return None
    return frozenset(part.strip() for part in str(value).split(",") if part.strip())


def _diff_responses(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    location: Location,
    where: str,
    side: Side,
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
        diff_extensions(walk, old_response, new_response, at, response_where)
        _diff_headers(
            walk,
            old_response.get("headers") or {},
            new_response.get("headers") or {},
            (*at, "headers"),
            (*at, "headers"),
            response_where,
            side,
        )
        _diff_content(
            walk,
            old_response.get("content") or {},
            new_response.get("content") or {},
            (*at, "content"),
            (*at, "content"),
            response_where,
            side,
        )
        _diff_links(
            walk, old_response.get("links") or {}, new_response.get("links") or {},
            (*at, "links"), response_where,
        )  # fmt: skip


def _diff_links(
    walk: Walk, old: dict[str, Any], new: dict[str, Any], at: Location, where: str
) -> None:
    """Response links: removed, added, or pointing elsewhere."""
    for name in ordered_union(old, new):
        link_at = (*at, name)
        if name not in new:
            walk.add(Kind.LINK_REMOVED, link_at, where, f"link {name} removed", in_old=True)
        elif name not in old:
            walk.add(Kind.LINK_ADDED, link_at, where, f"link {name} added")
        else:
            old_link, new_link = old[name] or {}, new[name] or {}
            for key in ordered_union(old_link, new_link):
                if old_link.get(key) == new_link.get(key):
                    continue
                if key == "description" or key.startswith("x-"):
                    diff_documentation(
                        walk,
                        (*link_at, key),
                        where,
                        f"link {name} {key}",
                        old_link.get(key),
                        new_link.get(key),
                    )
                else:
                    detail = (
                        f"link {name} {key} {fmt(old_link.get(key))} -> {fmt(new_link.get(key))}"
                    )
                    walk.add(
                        Kind.LINK_CHANGED,
                        (*link_at, key),
                        where,
                        detail,
                        in_old=key not in new_link,
                    )


def _diff_headers(
    walk: Walk,
    old: dict[str, Any],
    new: dict[str, Any],
    old_at: Location,
    at: Location,
    where: str,
    side: Side,
) -> None:
    """Response (or part) headers, matched case-insensitively."""
    old_by_name = {name.lower(): name for name in old}
    new_by_name = {name.lower(): name for name in new}
    for lowered in ordered_union(old_by_name, new_by_name):
        if lowered not in new_by_name:
            name = old_by_name[lowered]
            walk.add(
                Kind.HEADER_REMOVED,
                (*old_at, name),
                where,
                f"header {name} removed",
                in_old=True,
                side=side,
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
                side=side,
                required=bool(new_header.get("required")),
            )
            continue
        old_name = old_by_name[lowered]
        old_header = old[old_name] or {}
        if bool(old_header.get("required")) != bool(new_header.get("required")):
            effect = Effect.NARROWED if new_header.get("required") else Effect.WIDENED
            walk.add(
                Kind.HEADER_REQUIRED,
                (*at, name, "required"),
                where,
                f"header {name} requiredness",
                side=side,
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
        if bool(old_header.get("deprecated")) != bool(new_header.get("deprecated")):
            walk.add(
                Kind.DEPRECATION, (*at, name, "deprecated"), where, f"header {name} deprecated"
            )
        _diff_serialization(
            walk, old_header, new_header, (*at, name), where, f"header {name}", side, "header"
        )
        diff_schema(
            walk,
            old_header.get("schema"),
            new_header.get("schema"),
            (*at, name, "schema"),
            where,
            side,
            field=f"header {name}",
            old_at=(*old_at, old_name, "schema"),
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
    """Every `$ref` reachable from the document's paths and webhooks, transitively."""
    return reachable_refs(document, [document.get("paths") or {}, document.get("webhooks") or {}])

"""`make lint-spec`: validate openapi.yaml, then enforce the project's own rules on it.

Each problem is one line: the file, the rule, the JSON pointer of the offending node, the reason.
Exit 0 when clean, 1 when a rule is broken, 2 when the file cannot be read as OpenAPI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from livepeer_gateway_spec import (
    SOURCE_KEY,
    SpecError,
    constraint_sources,
    inline_refs,
    iter_operations,
    load_spec,
    pointer,
    reachable_refs,
    resolve_pointer,
    spec_path,
    unescape_token,
    unsourced_constraints,
)
from livepeer_gateway_spec.cli import OneLineParser
from openapi_spec_validator import OpenAPIV31SpecValidator

from livepeer_gateway_tools.generate import display_path

# HTTP forbids a body on these, so they are exempt from `response-body-schema`.
BODYLESS_STATUSES = frozenset({"204", "304"})
COMPONENT_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
)

Document = dict[str, Any]


@dataclass(frozen=True)
class LintProblem:
    """One broken rule: which rule, where (a JSON pointer) and why."""

    rule: str
    pointer: str
    message: str


Rule = Callable[[Document], Iterator[LintProblem]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a rule under `name`, the label its findings carry."""

    def register(check: Rule) -> Rule:
        RULES[name] = check
        return check

    return register


def operations(document: Document) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    """((path, method), operation object) for every operation in the document."""
    for path, method, operation in iter_operations(document):
        yield (path, method), operation


def _resolved(document: Document, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(document, node["$ref"])
    return node


@rule("openapi-spec-valid")
def openapi_spec_valid(document: Document) -> Iterator[LintProblem]:
    """The document is a valid OpenAPI 3.1 description (openapi-spec-validator)."""
    version = str(document.get("openapi", ""))
    if not version.startswith("3.1."):
        yield LintProblem(
            "openapi-spec-valid", "/openapi", f"expected OpenAPI 3.1.x, got {version!r}"
        )
        return
    try:
        errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    except Exception as exc:  # the validator gives up on some malformed documents
        yield LintProblem("openapi-spec-valid", "", f"{type(exc).__name__}: {exc}")
        return
    for error in errors:
        parts = tuple(getattr(error, "absolute_path", None) or ())
        location = pointer(*parts)
        first_line = str(getattr(error, "message", error)).splitlines()[0]
        if parts and parts[0] not in document:
            # Schema errors are located relative to the schema object that holds them.
            first_line += " (location relative to the schema object)"
        yield LintProblem("openapi-spec-valid", location, first_line)


@rule("operation-id-present")
def operation_id_present(document: Document) -> Iterator[LintProblem]:
    """Every operation has an operationId (it names the generated function)."""
    for (path, method), operation in operations(document):
        if not operation.get("operationId"):
            yield LintProblem(
                "operation-id-present", pointer("paths", path, method), "no operationId"
            )


@rule("operation-id-unique")
def operation_id_unique(document: Document) -> Iterator[LintProblem]:
    """No two operations share an operationId."""
    first_seen: dict[str, str] = {}
    for (path, method), operation in operations(document):
        operation_id = operation.get("operationId")
        if not operation_id:
            continue
        location = pointer("paths", path, method, "operationId")
        if operation_id in first_seen:
            message = f"operationId {operation_id!r} already used at {first_seen[operation_id]}"
            yield LintProblem("operation-id-unique", location, message)
        else:
            first_seen[operation_id] = location


@rule("operation-secured")
def operation_secured(document: Document) -> Iterator[LintProblem]:
    """Every operation requires a declared security scheme (an empty requirement opts out)."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for (path, method), operation in operations(document):
        location = pointer("paths", path, method)
        requirements = operation.get("security", document.get("security"))
        if not requirements:
            yield LintProblem("operation-secured", location, "no security requirement applies")
            continue
        for requirement in requirements:
            if not requirement:
                yield LintProblem(
                    "operation-secured", location, "an empty requirement makes it public"
                )
            for name in requirement or {}:
                if name not in schemes:
                    message = f"security scheme {name!r} is not in components/securitySchemes"
                    yield LintProblem("operation-secured", location, message)


def _media_examples(
    document: Document, media: dict[str, Any], location: tuple[object, ...]
) -> Iterator[tuple[tuple[object, ...], Any]]:
    if "example" in media:
        yield (*location, "example"), media["example"]
    for name, example in (media.get("examples") or {}).items():
        example = _resolved(document, example)
        if isinstance(example, dict) and "value" in example:
            yield (*location, "examples", name, "value"), example["value"]


def _operation_examples(
    document: Document,
) -> Iterator[tuple[tuple[object, ...], dict[str, Any], Any]]:
    """(location, schema, example) for request, response and parameter examples."""
    for (path, method), operation in operations(document):
        base: tuple[object, ...] = ("paths", path, method)
        bodies: list[tuple[tuple[object, ...], Any]] = [
            ((*base, "requestBody"), operation.get("requestBody"))
        ]
        bodies += [
            ((*base, "responses", status), response)
            for status, response in (operation.get("responses") or {}).items()
        ]
        for location, holder in bodies:
            holder = _resolved(document, holder)
            for media_type, media in ((holder or {}).get("content") or {}).items():
                media_location = (*location, "content", media_type)
                for where, value in _media_examples(document, media or {}, media_location):
                    yield where, (media or {}).get("schema") or {}, value
        for index, parameter in enumerate(operation.get("parameters") or []):
            parameter = _resolved(document, parameter)
            location = (*base, "parameters", index)
            for where, value in _media_examples(document, parameter or {}, location):
                yield where, (parameter or {}).get("schema") or {}, value


# Schema keywords whose values are subschemas, one or a list of them.
_SUBSCHEMA_KEYS = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SUBSCHEMA_LIST_KEYS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _schema_examples(
    schema: Any, location: tuple[object, ...]
) -> Iterator[tuple[tuple[object, ...], dict[str, Any], Any]]:
    """(location, schema, example) for `example`/`examples` inside a schema and its subschemas."""
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield (*location, "example"), schema, schema["example"]
    if isinstance(schema.get("examples"), list):
        for index, value in enumerate(schema["examples"]):
            yield (*location, "examples", index), schema, value
    for name, subschema in (schema.get("properties") or {}).items():
        yield from _schema_examples(subschema, (*location, "properties", name))
    for key in _SUBSCHEMA_KEYS:
        yield from _schema_examples(schema.get(key), (*location, key))
    for key in _SUBSCHEMA_LIST_KEYS:
        for index, subschema in enumerate(schema.get(key) or []):
            yield from _schema_examples(subschema, (*location, key, index))


@rule("example-valid")
def example_valid(document: Document) -> Iterator[LintProblem]:
    """Every example validates against its schema ($refs inlined, JSON Schema 2020-12)."""
    component_schemas = (document.get("components") or {}).get("schemas") or {}
    candidates = list(_operation_examples(document))
    for name, schema in component_schemas.items():
        candidates += _schema_examples(schema, ("components", "schemas", name))
    for location, schema, value in candidates:
        try:
            resolved = inline_refs(document, schema)
            error = jsonschema.exceptions.best_match(
                jsonschema.Draft202012Validator(resolved).iter_errors(value)
            )
        except (SpecError, jsonschema.exceptions.SchemaError) as exc:
            yield LintProblem("example-valid", pointer(*location), f"cannot check: {exc}")
            continue
        if error is not None:
            where = pointer(*error.absolute_path) or "the example"
            message = f"{where}: {error.message}"
            yield LintProblem("example-valid", pointer(*location), message)


def _security_scheme_names(document: Document) -> set[str]:
    requirements = list(document.get("security") or [])
    for _, operation in operations(document):
        requirements += operation.get("security") or []
    return {name for requirement in requirements for name in (requirement or {})}


@rule("component-used")
def component_used(document: Document) -> Iterator[LintProblem]:
    """Every component is reachable from the paths (or named by a security requirement)."""
    components = document.get("components") or {}
    outside = [value for key, value in document.items() if key != "components"]
    # A dangling $ref is not followed: openapi-spec-valid reports it.
    reached = reachable_refs(document, outside)
    used_schemes = _security_scheme_names(document)
    for kind in COMPONENT_KINDS:
        for name in components.get(kind) or {}:
            location = pointer("components", kind, name)
            if kind == "securitySchemes":
                if name not in used_schemes:
                    yield LintProblem("component-used", location, "no security requirement uses it")
            elif f"#{location}" not in reached:
                yield LintProblem(
                    "component-used", location, "nothing reachable from paths uses it"
                )


@rule("response-body-schema")
def response_body_schema(document: Document) -> Iterator[LintProblem]:
    """Every declared status (but 204 and 304) has a body with a schema."""
    for (path, method), operation in operations(document):
        for status, response in (operation.get("responses") or {}).items():
            if str(status) in BODYLESS_STATUSES:
                continue
            location = pointer("paths", path, method, "responses", status)
            try:
                content = (_resolved(document, response) or {}).get("content") or {}
            except SpecError as exc:
                yield LintProblem("response-body-schema", location, str(exc))
                continue
            if not content:
                yield LintProblem("response-body-schema", location, "declares no body (no content)")
            for media_type, media in content.items():
                if not (media or {}).get("schema"):
                    message = f"{media_type} body has no schema"
                    yield LintProblem("response-body-schema", location, message)


def _request_schemas(document: Document) -> Iterator[tuple[tuple[object, ...], dict[str, Any]]]:
    """(location, schema) of every schema a request body reaches, each once, `$ref`s followed."""
    pending: list[tuple[tuple[object, ...], Any]] = []
    for (path, method), operation in operations(document):
        body = _resolved(document, operation.get("requestBody")) or {}
        for media_type, media in (body.get("content") or {}).items():
            location = ("paths", path, method, "requestBody", "content", media_type, "schema")
            pending.append((location, (media or {}).get("schema")))
    seen: set[int] = set()
    while pending:
        location, schema = pending.pop(0)
        if isinstance(schema, dict) and "$ref" in schema:
            reference = schema["$ref"]
            location = tuple(unescape_token(t) for t in reference.lstrip("#/").split("/"))
            schema = resolve_pointer(document, reference)
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield location, schema
        for name, subschema in (schema.get("properties") or {}).items():
            pending.append(((*location, "properties", name), subschema))
        for key in (*_SUBSCHEMA_KEYS, "contentSchema"):
            pending.append(((*location, key), schema.get(key)))
        for key in _SUBSCHEMA_LIST_KEYS:
            for index, subschema in enumerate(schema.get(key) or []):
                pending.append(((*location, key, index), subschema))


@rule("bound-has-source")
def bound_has_source(document: Document) -> Iterator[LintProblem]:
    """Every constraint of a request schema names its source in a well-formed `x-source`."""
    for location, schema in _request_schemas(document):
        where = pointer(*location)
        try:
            marked = constraint_sources(schema)
        except SpecError as exc:
            yield LintProblem("bound-has-source", pointer(*location, SOURCE_KEY), str(exc))
            continue
        for keyword in unsourced_constraints(schema):
            message = f"{keyword} has no source (add x-source: {{{keyword}: {{kind: text}}}})"
            yield LintProblem("bound-has-source", where, message)
        for keyword in sorted(set(marked) - set(schema)):
            message = f"x-source names {keyword!r}, which this schema does not use"
            yield LintProblem("bound-has-source", pointer(*location, SOURCE_KEY), message)


def lint(document: Document) -> list[LintProblem]:
    """Every finding of every rule, in rule order."""
    findings: list[LintProblem] = []
    for name, check in RULES.items():
        try:
            findings += check(document)
        except (AttributeError, TypeError, KeyError, SpecError) as exc:
            # A document too malformed for the rule: openapi-spec-valid names the cause.
            findings.append(LintProblem(name, "", f"cannot check a malformed document: {exc!r}"))
    return findings


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit 0 clean, 1 when a rule is broken, 2 when unreadable."""
    parser = OneLineParser(prog="make lint-spec", description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=None)
    args = parser.parse_args(argv)
    args.spec = args.spec or spec_path()
    source = display_path(args.spec)
    try:
        document = load_spec(args.spec)
    except SpecError as exc:
        print(f"lint-spec: {exc}", file=sys.stderr)
        return 2
    findings = lint(document)
    for finding in findings:
        print(f"{source}: {finding.rule}: {finding.pointer or '/'}: {finding.message}")
    if findings:
        print(f"lint-spec: {len(findings)} problem(s) in {source}", file=sys.stderr)
        return 1
    count = sum(1 for _ in operations(document))
    print(f"lint-spec: {source} is valid; {count} operations pass {len(RULES)} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make lint-spec`: validate openapi.yaml, then enforce the project's own rules on it.

Each problem is one line: the file, line and column, the rule, the JSON pointer of the offending
node, the reason (`--format json` adds the client modules it reaches; `--format github` writes
GitHub Actions annotations). Exit 0 when clean, 1 when a rule is broken, 2 when the file cannot
be read as OpenAPI.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import UnknownType
from livepeer_gateway_spec import (
    DOCS_SITE,
    SOURCE_KEY,
    SpecError,
    client_modules,
    constraint_sources,
    display_name,
    inline_refs,
    iter_operations,
    load_spec,
    operations_reaching,
    pointer,
    reachable_refs,
    resolve_pointer,
    spec_source_map,
    unescape_token,
    unsourced_constraints,
)
from livepeer_gateway_spec.cli import github_annotation
from livepeer_gateway_spec.pointers import dangling_refs
from livepeer_gateway_spec.walk import COMPONENT_KINDS
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError

from livepeer_gateway_tools import cli
from livepeer_gateway_tools.errors import LintFailed

# HTTP forbids a body on these, so they are exempt from `response-body-schema`.
BODYLESS_STATUSES = frozenset({"204", "304"})

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


def _schema_roots(node: Any, location: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Where each schema object the validator checks on its own sits: every `schema` of a media
    type, parameter or header, and every `components/schemas` entry (not their subschemas)."""
    if location == ("components", "schemas") and isinstance(node, dict):
        for name in node:
            yield (*location, name)
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict | bool):
                yield (*location, key)
            else:
                yield from _schema_roots(value, (*location, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _schema_roots(item, (*location, index))


#: Longest reason printed: validator messages can embed whole objects.
MAX_REASON = 200


def _short(text: str) -> str:
    """`text` on one line, at most MAX_REASON characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _node_at(document: Any, parts: tuple[object, ...]) -> Any:
    node = document
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            raise LookupError(part)
    return node


def _validator_location(document: Document, error: Any, taken: set[str]) -> str:
    """The JSON pointer of a validator error's node in the document.

    Errors in a schema are located relative to the schema object the validator checked, so
    the schema is found among the document's schema roots by the offending value.
    """
    parts = tuple(getattr(error, "absolute_path", None) or ())
    if parts and parts[0] in document:
        return pointer(*parts)
    candidates = []
    for root in _schema_roots(document):
        try:
            found = _node_at(document, (*root, *parts))
        except LookupError:
            continue
        if found == getattr(error, "instance", object()):
            candidates.append(pointer(*root, *parts))
    fresh = [candidate for candidate in candidates if candidate not in taken]
    return (fresh or candidates or [pointer(*parts)])[0]


@rule("openapi-spec-valid")
def openapi_spec_valid(document: Document) -> Iterator[LintProblem]:
    """The document is a valid OpenAPI 3.1 description (openapi-spec-validator)."""
    version = str(document.get("openapi", ""))
    if not version.startswith("3.1."):
        yield LintProblem(
            "openapi-spec-valid", "/openapi", f"expected OpenAPI 3.1.x, got {version!r}"
        )
        return
    # The validator reports a $ref naming nothing with the whole document in its message and
    # no location: it is reported here, at the object holding the $ref, and the validator not run.
    dangling = dangling_refs(document)
    for where, ref in dangling:
        yield LintProblem("openapi-spec-valid", where, f"$ref {ref!r} names nothing")
    if dangling:
        return
    try:
        errors = list(OpenAPIV31SpecValidator(document).iter_errors())
    except Exception as exc:  # the validator gives up on some malformed documents
        yield LintProblem("openapi-spec-valid", "", _short(f"{type(exc).__name__}: {exc}"))
        return
    seen: set[tuple[str, str]] = set()
    for error in errors:
        if isinstance(error, DuplicateOperationIDError):
            continue  # operation-id-unique reports it, with the location of the second one
        message = _short(str(getattr(error, "message", error)).splitlines()[0])
        location = _validator_location(document, error, {where for where, _ in seen})
        if (location, message) not in seen:
            seen.add((location, message))
            yield LintProblem("openapi-spec-valid", location, message)


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
        except (SpecError, jsonschema.exceptions.SchemaError, UnknownType) as exc:
            reason = str(exc).strip().splitlines()[0]
            yield LintProblem("example-valid", pointer(*location), f"cannot check: {reason}")
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


def _request_schemas(
    document: Document,
) -> Iterator[tuple[tuple[object, ...], dict[str, Any], str | None]]:
    """(location, schema, the field it describes) of every schema a request body reaches, each
    once, `$ref`s followed; the field is the property name it was reached under, None for a body.
    """
    pending: list[tuple[tuple[object, ...], Any, str | None]] = []
    for (path, method), operation in operations(document):
        body = _resolved(document, operation.get("requestBody")) or {}
        for media_type, media in (body.get("content") or {}).items():
            location = ("paths", path, method, "requestBody", "content", media_type, "schema")
            pending.append((location, (media or {}).get("schema"), None))
    seen: set[int] = set()
    while pending:
        location, schema, field = pending.pop(0)
        if isinstance(schema, dict) and "$ref" in schema:
            reference = schema["$ref"]
            location = tuple(unescape_token(t) for t in reference.lstrip("#/").split("/"))
            schema = resolve_pointer(document, reference)
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield location, schema, field
        for name, subschema in (schema.get("properties") or {}).items():
            pending.append(((*location, "properties", name), subschema, str(name)))
        for key in (*_SUBSCHEMA_KEYS, "contentSchema"):
            pending.append(((*location, key), schema.get(key), field))
        for key in _SUBSCHEMA_LIST_KEYS:
            for index, subschema in enumerate(schema.get(key) or []):
                pending.append(((*location, key, index), subschema, field))


@rule("bound-has-source")
def bound_has_source(document: Document) -> Iterator[LintProblem]:
    """Every constraint of a request schema names its source in a well-formed `x-source`."""
    for location, schema, _ in _request_schemas(document):
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


def _names(text: str, field: str) -> bool:
    """Whether `text` names `field` as a word of its own (not `prompts`, not `negative_prompt`)."""
    return re.search(rf"(?<![\w-]){re.escape(field)}(?![\w-])", text, re.IGNORECASE) is not None


def _flat(text: Any) -> str:
    return " ".join(str(text or "").split())


@rule("documented-source-covers")
def documented_source_covers(document: Document) -> Iterator[LintProblem]:
    """A `documented` source cites a public page (`URL: sentence`, the URL on the docs site) and
    covers its constraint: its quoted sentences name each field the constraint is about (every
    field of a `required` list; the field a bound is on), or one is that field's own description,
    the sentence the page gives under the field's name."""
    for location, schema, field in _request_schemas(document):
        try:
            marked = constraint_sources(schema)
        except SpecError:
            continue  # bound-has-source reports a malformed x-source
        for keyword, source in marked.items():
            if source.kind != "documented" or keyword not in schema:
                continue
            where = pointer(*location, SOURCE_KEY, keyword)
            cited = source.citations
            if not cited:
                message = (
                    f"the documented source of {keyword} cites no page of {DOCS_SITE}: write"
                    " the page's URL, ': ' and its sentence, or mark it recommended"
                )
                yield LintProblem("documented-source-covers", where, message)
                continue
            quote = " ".join(citation.sentence for citation in cited)
            if keyword == "required":
                fields = [str(name) for name in schema.get("required") or []]
                uncovered = [name for name in fields if not _names(quote, name)]
            elif field is None or _names(quote, field):
                uncovered = []
            else:
                description = _flat(schema.get("description"))
                own = any(_flat(c.sentence) in description for c in cited if c.sentence.strip())
                uncovered = [] if own else [field]
            for name in uncovered:
                message = (
                    f"the documented source of {keyword} quotes {quote!r}, which names no "
                    f"{name!r}: cite the page's sentence for {name!r}, or mark it recommended"
                )
                yield LintProblem("documented-source-covers", where, message)


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


def located(document: Document, spec: Path, problems: list[LintProblem]) -> list[dict[str, Any]]:
    """Each problem as a record: rule, file, line and column of its node, pointer, message, and
    the generated client modules of the operations it is part of."""
    source, positions = display_name(spec), spec_source_map(spec)
    modules = client_modules(document)
    records = []
    for problem in problems:
        position = positions.position(problem.pointer)
        try:
            reached = operations_reaching(document, problem.pointer)
        except (AttributeError, TypeError, SpecError):  # a document too malformed to walk
            reached = []
        functions = [modules[(method.upper(), path)] for path, method in reached]
        records.append(
            {
                "rule": problem.rule,
                "level": "error",
                "file": source,
                "line": position.line,
                "column": position.column,
                "pointer": problem.pointer or "/",
                "message": problem.message,
                "client_functions": functions,
            }
        )
    return records


def render(records: list[dict[str, Any]], output_format: str, source: str) -> str:
    """The problems as text lines, a JSON document or GitHub Actions annotations."""
    if output_format == "json":
        report = {"file": source, "rules": list(RULES), "problems": records}
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    lines = []
    for record in records:
        where, text = f"{record['pointer']}: {record['message']}", record["message"]
        if output_format == "github":
            lines.append(
                github_annotation(
                    record["level"],
                    f"{record['pointer']}: {text}",
                    file=record["file"],
                    line=record["line"],
                    column=record["column"],
                    title=f"lint-spec {record['rule']}",
                )
            )
        else:
            place = f"{record['file']}:{record['line']}:{record['column']}"
            lines.append(f"{place}: {record['rule']}: {where}")
    return "".join(line + "\n" for line in lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: exit 0 clean, 1 when a rule is broken, 2 when unreadable."""
    parser = cli.parser("make lint-spec", __doc__)
    parser.add_argument("spec", nargs="?", type=Path, default=None)
    cli.add_format_argument(parser)
    args = parser.parse_args(argv)
    spec = cli.chosen_spec(args.spec)
    source = display_name(spec)

    def action() -> int:
        document = load_spec(spec)
        findings = lint(document)
        print(render(located(document, spec, findings), args.format, source), end="")
        if findings:
            raise LintFailed(f"{len(findings)} problem(s) in {source}")
        if args.format != "json":
            count = sum(1 for _ in operations(document))
            print(f"lint-spec: {source} is valid; {count} operations pass {len(RULES)} rules")
        return cli.EXIT_OK

    return cli.run("lint-spec", action)


if __name__ == "__main__":
    sys.exit(main())

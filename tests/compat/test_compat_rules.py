"""The walker and its rules on small hand-made specs: corners the corpus does not reach."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_compat import (
    CompatError,
    ReportNotWritten,
    VersionNotFound,
    compare,
    keywords,
    load_version,
    main,
)
from livepeer_gateway_compat.errors import exit_status
from livepeer_gateway_compat.findings import source_pointer
from livepeer_gateway_compat.rules import Effect
from livepeer_gateway_compat.schemas import multiple_of_effect
from livepeer_gateway_spec import (
    INVALID_STATUS_KEY,
    SOURCE_KEY,
    UPSCALE_FACTOR_KEY,
    SpecError,
)


def _spec(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """A one-operation spec whose request and response bodies are `#/components/schemas/Req|Res`."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/run": {
                "post": {
                    "operationId": "run",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Req"}}
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Res"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": {"Req": request, "Res": response}},
    }


def _field(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"v": schema}}


def _one(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    """The single finding between two specs, as (severity, pointer)."""
    findings = compare(old, new)
    assert len(findings) == 1, findings
    return str(findings[0].severity), findings[0].pointer


REQ_V = "/components/schemas/Req/properties/v"
RES_V = "/components/schemas/Res/properties/v"


@pytest.mark.parametrize(
    ("old_schema", "new_schema", "request_severity", "response_severity", "key"),
    [
        # OpenAPI 3.0's boolean exclusiveMinimum: the same number, now excluded.
        ({"type": "number", "minimum": 0},
         {"type": "number", "minimum": 0, "exclusiveMinimum": True},
         "breaking-gateway", "breaking-gateway", "exclusiveMinimum"),
        # multipleOf 8 -> 12: neither a multiple nor a divisor, so a change both ways.
        ({"type": "integer", "multipleOf": 8}, {"type": "integer", "multipleOf": 12},
         "breaking-gateway", "breaking-client", "multipleOf"),
        # multipleOf 8 -> 4 allows more values.
        ({"type": "integer", "multipleOf": 8}, {"type": "integer", "multipleOf": 4},
         "compatible", "breaking-client", "multipleOf"),
        # One more anyOf branch allows more.
        ({"anyOf": [{"type": "string"}]}, {"anyOf": [{"type": "string"}, {"type": "integer"}]},
         "compatible", "breaking-client", "anyOf/1"),
        # A format changed cannot be compared: a change in both directions.
        ({"type": "string", "format": "uri"}, {"type": "string", "format": "email"},
         "breaking-gateway", "breaking-client", "format"),
        # Null no longer allowed, spelt the 3.0 way.
        ({"type": "string", "nullable": True}, {"type": "string"},
         "breaking-gateway", "breaking-gateway", "nullable"),
    ],
)  # fmt: skip
def test_constraint_direction_depends_on_the_side(
    old_schema: dict[str, Any],
    new_schema: dict[str, Any],
    request_severity: str,
    response_severity: str,
    key: str,
) -> None:
    """The same schema edit is judged as a request (callers) and as a response (clients)."""
    plain = {"type": "object"}
    assert _one(_spec(_field(old_schema), plain), _spec(_field(new_schema), plain)) == (
        request_severity,
        f"{REQ_V}/{key}",
    )
    assert _one(_spec(plain, _field(old_schema)), _spec(plain, _field(new_schema))) == (
        response_severity,
        f"{RES_V}/{key}",
    )


def test_sibling_of_a_ref_is_located_on_the_referencing_node() -> None:
    """A description beside a `$ref` is found where it is written, a bound inside the target."""
    old = _spec({"type": "object", "properties": {"v": {"$ref": "#/components/schemas/N"}}}, {})
    old["components"]["schemas"]["N"] = {"type": "integer", "maximum": 9, "description": "A."}
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Req"]["properties"]["v"]["description"] = "Now 3 of them."
    new["components"]["schemas"]["N"]["maximum"] = 5
    pointers = {(str(f.severity), f.pointer) for f in compare(old, new)}
    assert pointers == {
        ("behaviour", f"{REQ_V}/description"),
        ("breaking-gateway", "/components/schemas/N/maximum"),
    }
    location = ("paths", "/run", "post", "requestBody", "content", "application/json", "schema")
    assert source_pointer(new, (*location, "properties", "v", "maximum")) == (
        "/components/schemas/N/maximum"
    )


@pytest.mark.parametrize(
    ("old_text", "new_text", "severity"),
    [
        ("Number of steps, at most 150.", "Number of steps, at most 150!", "compatible"),
        ("Number of steps, at most 150.", "Number of steps, at most 100.", "behaviour"),
        ("Ignored if `guidance_scale < 1`.", "Ignored if `guidance_scale < 2`.", "behaviour"),
        ("The image must be a PNG.", "The image should be a PNG.", "behaviour"),
        ("Teh generated image.", "The generated image.", "compatible"),
    ],
)
def test_description_wording_or_meaning(old_text: str, new_text: str, severity: str) -> None:
    """Descriptions: numbers, code spans and must/never words decide between the two classes."""
    old = _spec(_field({"type": "integer", "description": old_text}), {})
    new = _spec(_field({"type": "integer", "description": new_text}), {})
    assert _one(old, new) == (severity, f"{REQ_V}/description")


def test_response_headers_added() -> None:
    """A new required response header binds gateways; an optional one binds nobody."""
    old = _spec({}, {})
    for required, severity in ((True, "breaking-gateway"), (False, "compatible")):
        new = copy.deepcopy(old)
        new["paths"]["/run"]["post"]["responses"]["200"]["headers"] = {
            "X-Cost": {"required": required, "schema": {"type": "integer"}}
        }
        assert _one(old, new) == (severity, "/paths/~1run/post/responses/200/headers/X-Cost")


def test_path_level_parameter_and_security() -> None:
    """A path-level parameter removed breaks callers; security removed is only flagged."""
    old = _spec({}, {})
    old["paths"]["/run"]["parameters"] = [{"name": "id", "in": "query", "schema": {}}]
    old["paths"]["/run"]["post"]["security"] = [{"bearer": []}]
    new = copy.deepcopy(old)
    del new["paths"]["/run"]["parameters"]
    new["paths"]["/run"]["post"]["security"] = []
    assert {(str(f.severity), f.pointer) for f in compare(old, new)} == {
        ("breaking-gateway", "/paths/~1run/parameters/0"),
        ("behaviour", "/paths/~1run/post/security"),
    }


def test_unknown_schema_key_is_flagged_not_dropped() -> None:
    """A keyword this checker does not know may narrow a request (breaking), and is reviewed
    in a response; it is never silence."""
    old_schema = {"type": "string"}
    new_schema = {"type": "string", "maxGraphemes": 8}
    plain = {"type": "object"}
    assert _one(_spec(_field(old_schema), plain), _spec(_field(new_schema), plain)) == (
        "breaking-gateway",
        f"{REQ_V}/maxGraphemes",
    )
    assert _one(_spec(plain, _field(old_schema)), _spec(plain, _field(new_schema))) == (
        "behaviour",
        f"{RES_V}/maxGraphemes",
    )


def test_contains_is_compared_recursively() -> None:
    """`contains` is a known applicator: its schema is compared like any other."""
    old = _spec(_field({"type": "array", "contains": {"type": "string"}}), {})
    new = _spec(_field({"type": "array", "contains": {"type": "integer"}}), {})
    assert _one(old, new) == ("breaking-gateway", f"{REQ_V}/contains/type")


def test_recursive_ref_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A recursive `$ref` cannot be inlined: exit 2 with one line, as for any bad input."""
    recursive = _spec(
        {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Req"}}}, {}
    )
    path = tmp_path / "recursive.yaml"
    path.write_text(yaml.safe_dump(recursive), encoding="utf-8")
    assert main([str(path), str(path)]) == 2
    assert "recursive $ref" in capsys.readouterr().err
    with pytest.raises(SpecError):
        compare(recursive, recursive)


def test_security_made_optional_and_unused_scheme() -> None:
    """`{}` among the requirements makes auth optional (flagged); an unused scheme is inert."""
    old = _spec({}, {})
    old["paths"]["/run"]["post"]["security"] = [{"bearer": []}]
    old["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "spare": {"type": "http", "scheme": "basic"},
    }
    new = copy.deepcopy(old)
    new["paths"]["/run"]["post"]["security"] = [{"bearer": []}, {}]
    new["components"]["securitySchemes"]["spare"]["scheme"] = "digest"
    assert {(str(f.severity), f.pointer) for f in compare(old, new)} == {
        ("behaviour", "/paths/~1run/post/security"),
        ("compatible", "/components/securitySchemes/spare"),
    }


@pytest.mark.parametrize(
    ("old_security", "new_security", "severity"),
    [
        ([{"oauth": ["generate", "admin"]}], [{"oauth": ["generate"]}], "behaviour"),
        ([{"oauth": ["generate"]}], [{"oauth": []}], "behaviour"),
        ([{"oauth": ["generate"], "bearer": []}], [{"bearer": []}], "behaviour"),
        ([{"oauth": ["generate"]}], [{"oauth": ["generate", "admin"]}], "breaking-gateway"),
        ([{"oauth": []}], [{"oauth": ["generate"]}], "breaking-gateway"),
        ([{"bearer": []}, {"oauth": []}], [{"bearer": []}], "breaking-gateway"),
    ],
)
def test_security_relaxed_or_tightened(
    old_security: list[dict[str, list[str]]],
    new_security: list[dict[str, list[str]]],
    severity: str,
) -> None:
    """A requirement every old caller still meets (fewer scopes or schemes) is flagged; one some
    old caller no longer meets (a scope added, an alternative removed) is breaking."""
    old = _spec({}, {})
    old["paths"]["/run"]["post"]["security"] = old_security
    new = copy.deepcopy(old)
    new["paths"]["/run"]["post"]["security"] = new_security
    assert _one(old, new) == (severity, "/paths/~1run/post/security")


def test_ref_siblings_are_a_conjunction_through_a_chain() -> None:
    """`{$ref: A, maximum: 10}` with `A = {$ref: B, minimum: 1}` holds all three; a change in the
    middle link is reported where it is written, and a looser sibling changes nothing."""
    old = _spec(_field({"$ref": "#/components/schemas/A", "maximum": 10}), {})
    old["components"]["schemas"]["A"] = {"$ref": "#/components/schemas/B", "minimum": 1}
    old["components"]["schemas"]["B"] = {"type": "integer", "maximum": 100}
    new = copy.deepcopy(old)
    new["components"]["schemas"]["A"]["minimum"] = 2
    assert _one(old, new) == ("breaking-gateway", "/components/schemas/A/minimum")
    looser = copy.deepcopy(old)
    looser["components"]["schemas"]["Req"]["properties"]["v"]["minimum"] = 0  # A's 1 holds
    assert compare(old, looser) == ()
    loosened = copy.deepcopy(old)
    loosened["components"]["schemas"]["Req"]["properties"]["v"]["maximum"] = 1000  # B's 100
    # Reported where the effective bound is now written (B), as for any merged allOf branch.
    assert _one(old, loosened) == ("compatible", "/components/schemas/B/maximum")


def test_reference_object_siblings_are_laid_over() -> None:
    """A response's `$ref` is a Reference Object: its `description` overrides the target's, and
    an annotation or `x-` key beside a schema's `$ref` stays an annotation, not a branch."""
    old = _spec({"type": "object"}, {"type": "object"})
    old["components"]["responses"] = {
        "Ok": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Res"}}},
        }
    }
    old["paths"]["/run"]["post"]["responses"]["200"] = {"$ref": "#/components/responses/Ok"}
    new = copy.deepcopy(old)
    new["paths"]["/run"]["post"]["responses"]["200"]["description"] = "fine"
    new["paths"]["/run"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "x-note"
    ] = "n"
    assert {(str(f.severity), f.pointer) for f in compare(old, new)} == {
        ("compatible", "/paths/~1run/post/responses/200/description"),
        ("behaviour", "/paths/~1run/post/requestBody/content/application~1json/schema/x-note"),
    }


#: JSON Schema 2020-12's keywords (core, applicator, unevaluated, validation, meta-data,
#: format-annotation, content vocabularies) and OpenAPI 3.1's schema keywords.
JSON_SCHEMA_2020_12 = (
    "$schema $id $ref $anchor $dynamicRef $dynamicAnchor $vocabulary $comment $defs "
    "prefixItems items contains additionalProperties properties patternProperties "
    "dependentSchemas propertyNames if then else allOf anyOf oneOf not "
    "unevaluatedItems unevaluatedProperties "
    "type enum const multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength "
    "minLength pattern maxItems minItems uniqueItems maxContains minContains maxProperties "
    "minProperties required dependentRequired "
    "title description default deprecated readOnly writeOnly examples "
    "format contentEncoding contentMediaType contentSchema"
).split()
OPENAPI_3_1 = ("discriminator", "xml", "externalDocs", "example")


def test_every_keyword_is_compared_or_ignored_and_documented() -> None:
    """Each keyword has a rule or a reason, and docs/compat.md names it."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "compat.md").read_text("utf-8")
    for keyword in (*JSON_SCHEMA_2020_12, *OPENAPI_3_1):
        assert (keyword in keywords.COMPARED) != (keyword in keywords.IGNORED), keyword
        assert f"`{keyword}`" in docs, keyword


def test_project_extensions_are_classified_and_documented() -> None:
    """The project's own `x-` keys each have a rule, and docs/compat.md names it."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "compat.md").read_text("utf-8")
    assert set(keywords.EXTENSIONS) == {SOURCE_KEY, INVALID_STATUS_KEY, UPSCALE_FACTOR_KEY}
    for key in keywords.EXTENSIONS:
        assert f"`{key}`" in docs, key


def _marked(**extra: Any) -> dict[str, Any]:
    return _field({"type": "integer", "maximum": 9, **extra})


@pytest.mark.parametrize(
    ("old_schema", "new_schema", "expected"),
    [
        # A mark added to a constraint kept: the suite now reads its kind from the mark.
        (_marked(), _marked(**{SOURCE_KEY: {"maximum": {"recommended": "cheap runs"}}}),
         ("behaviour", f"{REQ_V}/{SOURCE_KEY}/maximum")),
        # The status already answered by default, now written out: nothing changes.
        (_marked(), _marked(**{INVALID_STATUS_KEY: 422}),
         ("compatible", f"{REQ_V}/{INVALID_STATUS_KEY}")),
        (_marked(), _marked(**{INVALID_STATUS_KEY: 400}),
         ("breaking-gateway", f"{REQ_V}/{INVALID_STATUS_KEY}")),
    ],
)  # fmt: skip
def test_request_extensions(
    old_schema: dict[str, Any], new_schema: dict[str, Any], expected: tuple[str, str]
) -> None:
    """x-source by the kind of source of a kept constraint; x-invalid-status by its effective
    status (the spec core's default when absent)."""
    assert _one(_spec(old_schema, {}), _spec(new_schema, {})) == expected


@pytest.mark.parametrize(
    ("old_factor", "new_factor", "severity"),
    [(None, 2, "breaking-gateway"), (2, None, "breaking-client"), (2, 3, "breaking-client")],
)
def test_upscale_factor(old_factor: int | None, new_factor: int | None, severity: str) -> None:
    """Declared narrows what gateways answer; removed or changed, clients lose the size they
    relied on."""
    old, new = _spec({}, {}), _spec({}, {})
    for document, factor in ((old, old_factor), (new, new_factor)):
        if factor is not None:
            document["paths"]["/run"]["post"][UPSCALE_FACTOR_KEY] = factor
    assert _one(old, new) == (severity, f"/paths/~1run/post/{UPSCALE_FACTOR_KEY}")


@pytest.mark.parametrize(
    ("old_step", "new_step", "effect"),
    [
        (0.1, 0.3, Effect.NARROWED),  # 0.3 / 0.1 is 2.9999999999999996 in binary floats
        (0.3, 0.1, Effect.WIDENED),
        (0.2, 0.3, Effect.CHANGED),
        (0.01, 0.07, Effect.NARROWED),
        (8, 4, Effect.WIDENED),
    ],
)
def test_multiple_of_in_exact_decimals(old_step: float, new_step: float, effect: Effect) -> None:
    """multipleOf is compared as the decimals written, not as binary floating point."""
    assert multiple_of_effect(old_step, new_step) is effect


def test_errors_map_to_exit_statuses_in_one_place(tmp_path: Path) -> None:
    """A missing version is a CompatError, an invalid spec a SpecError; both exit 2."""
    with pytest.raises(VersionNotFound) as missing:
        load_version(str(tmp_path / "absent.yaml"), repository=tmp_path)
    assert isinstance(missing.value, CompatError)
    assert exit_status(missing.value) == 2
    assert exit_status(SpecError("not a spec")) == 2
    assert exit_status(ReportNotWritten("disk full")) == 2


def test_header_parameter_names_ignore_case() -> None:
    """A header parameter respelt in another case is the same parameter; a query one is not."""
    old = _spec({}, {})
    old["paths"]["/run"]["post"]["parameters"] = [
        {"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "string"}}
    ]
    new = copy.deepcopy(old)
    new["paths"]["/run"]["post"]["parameters"][0]["name"] = "x-trace"
    assert compare(old, new) == ()
    for parameter in (old, new):
        parameter["paths"]["/run"]["post"]["parameters"][0]["in"] = "query"
    severities = {str(f.severity) for f in compare(old, new)}
    assert severities == {"breaking-gateway"}  # removed, and a required one added


def test_annotations_in_matched_branches_are_compared() -> None:
    """Branches matched by content still have their defaults and descriptions compared."""
    branches = [{"type": "string"}, {"type": "integer"}]
    old = _spec(_field({"anyOf": branches}), {})
    new = copy.deepcopy(old)
    moved = new["components"]["schemas"]["Req"]["properties"]["v"]["anyOf"]
    moved.reverse()
    moved[0]["default"] = 3
    assert _one(old, new) == ("behaviour", f"{REQ_V}/anyOf/0/default")


def test_whole_any_of_or_one_of_removed_or_added() -> None:
    """A whole `anyOf`/`oneOf` removed widens and added narrows, one finding at the keyword; an
    `anyOf` with a branch that constrains nothing accepts everything: removing it is no change."""
    branches = [{"required": ["a"]}, {"required": ["b"]}]
    plain, composed = _field({"type": "object"}), _field({"type": "object", "oneOf": branches})
    assert _one(_spec(composed, {}), _spec(plain, {})) == ("compatible", f"{REQ_V}/oneOf")
    assert _one(_spec({}, composed), _spec({}, plain)) == ("breaking-client", f"{RES_V}/oneOf")
    assert _one(_spec({}, plain), _spec({}, composed)) == ("breaking-gateway", f"{RES_V}/oneOf")
    bare = _field({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    assert _one(_spec(_field({}), {}), _spec(bare, {})) == ("breaking-gateway", f"{REQ_V}/anyOf")
    open_ended = _field({"type": "object", "anyOf": [{"description": "any"}, *branches]})
    assert not compare(_spec(open_ended, {}), _spec(plain, {}))


@pytest.mark.parametrize("value", [True, 0.5, "x", {"a": 1}])
def test_malformed_keyword_values_are_judged_not_crashed_on(value: object) -> None:
    """A keyword holding a value of the wrong shape gives findings, never an exception."""
    names = (
        "type enum minimum maxLength multipleOf properties required prefixItems allOf anyOf "
        "oneOf not dependentRequired patternProperties contains if additionalProperties"
    ).split()
    old = _spec(_field({"type": "integer"}), _field({"type": "integer"}))
    for name in names:
        new = copy.deepcopy(old)
        for schema in ("Req", "Res"):
            new["components"]["schemas"][schema]["properties"]["v"][name] = value
        findings = compare(old, new), compare(new, old)
        # `additionalProperties: true` is the default: the one edit here that changes nothing.
        assert all(findings) or (name, value) == ("additionalProperties", True), name


@pytest.mark.parametrize(
    ("media_type", "request_severity", "response_severity"),
    [
        # JSON: 1 and "1" differ, so integer -> string is a change both ways.
        ("application/json", "breaking-gateway", "breaking-client"),
        ("application/problem+json", "breaking-gateway", "breaking-client"),
        # Text: every value travels as characters, so a swap to string widens.
        ("multipart/form-data", "compatible", "breaking-client"),
        ("text/plain", "compatible", "breaking-client"),
        # A range may stand for JSON: judged as typed.
        ("application/*", "breaking-gateway", "breaking-client"),
    ],
)
def test_type_swap_to_string_widens_only_in_text_bodies(
    media_type: str, request_severity: str, response_severity: str
) -> None:
    """integer -> string refuses nothing in a body that carries its values as text."""
    plain = {"type": "object"}
    old_schema, new_schema = _field({"type": "integer"}), _field({"type": "string"})
    for index, severity in ((0, request_severity), (1, response_severity)):
        old, new = (
            _spec(*((schema, plain) if index == 0 else (plain, schema)))
            for schema in (old_schema, new_schema)
        )
        for document in (old, new):
            operation = document["paths"]["/run"]["post"]
            body = operation["requestBody"] if index == 0 else operation["responses"]["200"]
            body["content"] = {media_type: body["content"]["application/json"]}
        assert _one(old, new) == (severity, f"{REQ_V if index == 0 else RES_V}/type")


@pytest.mark.parametrize(
    ("media_type", "response_severity"),
    [("application/json", "breaking-client"), ("text/plain", "breaking-gateway")],
)
def test_type_swap_from_string_narrows_in_text_bodies(
    media_type: str, response_severity: str
) -> None:
    """string -> integer in a text response only narrows what gateways may send."""
    plain = {"type": "object"}
    old, new = (_spec(plain, _field({"type": kind})) for kind in ("string", "integer"))
    for document in (old, new):
        response = document["paths"]["/run"]["post"]["responses"]["200"]
        response["content"] = {media_type: response["content"]["application/json"]}
    assert _one(old, new) == (response_severity, f"{RES_V}/type")


@pytest.mark.parametrize(
    ("old_pattern", "new_pattern", "request_severity", "response_severity"),
    [
        # ^$ matches only the empty string, and it stays within one line: ^.*$ covers it.
        ("^$", "^.*$", "compatible", "breaking-client"),
        # Top-level alternation escapes the anchors (^a or b$), so it may match a line break.
        ("^a|b$", "^.*$", "breaking-gateway", "breaking-client"),
        # A negated class matches a line break: not within one line.
        ("^[^a]+$", "^.*$", "breaking-gateway", "breaking-client"),
        # An escaped $ anchors nothing: ^a\$ is unanchored at the end.
        ("^a\\$", "^.*$", "breaking-gateway", "breaking-client"),
        # Both match every string: a respelling, documentation only.
        ("^.*", "[\\s\\S]*", "compatible", "compatible"),
        # Both match every string of one line: a respelling too.
        ("^.*$", "^(?:.*)$", "compatible", "compatible"),
        # ^.*$ (one line) against a pattern within one line: a narrowing.
        ("^.*$", "^(a|b)$", "breaking-gateway", "breaking-gateway"),
        # The same pattern but for a wider character class: a widening.
        ("^[a-f]{8}$", "^[a-fA-F\\d]{8}$", "compatible", "breaking-client"),
        # The same characters respelt: documentation only.
        ("^[a-c]$", "^[a-bc]$", "compatible", "compatible"),
        # A negative lookahead shrinks as classes grow: not decided.
        ("^(?!x)[a-z]$", "^(?!x)[a-z0-9]$", "breaking-gateway", "breaking-client"),
        # A quantifier changed, not a class: not decided.
        ("^[a-z]{1,3}$", "^[a-z]{1,5}$", "breaking-gateway", "breaking-client"),
    ],
)
def test_pattern_reach_decides_only_what_it_can(
    old_pattern: str, new_pattern: str, request_severity: str, response_severity: str
) -> None:
    """A pattern is decided against one that matches every string, or every string of one line
    against one anchored within one line, or against the same pattern with other character
    classes each within the other's; anything else is still a change both ways."""
    for schema, pointer, severity in (
        ("Req", REQ_V, request_severity),
        ("Res", RES_V, response_severity),
    ):
        old, new = (
            _spec(
                _field({"type": "string", "pattern": pattern}) if schema == "Req" else {},
                _field({"type": "string", "pattern": pattern}) if schema == "Res" else {},
            )
            for pattern in (old_pattern, new_pattern)
        )
        assert _one(old, new) == (severity, f"{pointer}/pattern"), (schema, old_pattern)

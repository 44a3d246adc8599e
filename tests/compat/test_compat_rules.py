"""The walker and its rules on small hand-made specs: corners the corpus does not reach."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from livepeer_gateway_compat import compare, main
from livepeer_gateway_compat.findings import source_pointer
from livepeer_gateway_spec import SpecError


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

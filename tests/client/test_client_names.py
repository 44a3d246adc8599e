"""The spec core's names for the generated client's modules are the generator's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from livepeer_gateway_spec import client_module, client_modules, load_spec, python_identifier
from openapi_python_client.parser.openapi import generate_operation_id
from openapi_python_client.schema.untrusted_string import UntrustedString
from openapi_python_client.strings import PythonIdentifier

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "generated" / "livepeer_gateway_client"


def test_every_operation_names_a_module_the_generator_wrote() -> None:
    modules = client_modules(load_spec(REPO_ROOT / "openapi.yaml"))
    assert len(modules) == 3
    for module in modules.values():
        assert (PACKAGE / (module.replace(".", "/") + ".py")).is_file(), module


@pytest.mark.parametrize(
    "name",
    ["textToImage", "getHTTPResponse", "list-items", "v2.images_get", "class", "_private", "2fa"],
)
def test_identifiers_match_the_generators(name: str) -> None:
    assert python_identifier(name, "field_") == PythonIdentifier(name, "field_")


@pytest.mark.parametrize("path", ["/upscale", "/images/{id}/variants/"])
def test_an_operation_without_an_id_is_named_from_its_method_and_path(path: str) -> None:
    expected = generate_operation_id(path=UntrustedString(path), method="get", prefix="field_")
    assert client_module(path, "get", {}) == f"api.default.{expected}"

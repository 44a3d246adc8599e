"""The one workaround for schemathesis's re-check of multipart bodies that hold a file part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from livepeer_conformance.schemathesis_private import multipart_file_parts_revalidated
from livepeer_conformance.strategies import encode_image
from livepeer_gateway_spec import spec_path
from livepeer_reference_gateway.server import running_gateway
from livepeer_reference_gateway.settings import GatewaySettings
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.transport.serialization import Binary

MULTIPART = "multipart/form-data"

#: One multipart operation, core profile: the spec phase (coverage phase included) and the edge
#: probes, whose share of the budget is on top of what the spec phase needs.
MULTIPART_CORE = (
    *("--profile", "core", "--max-requests", "175", "--max-examples", "2", "--seed", "11"),
    *("--operation", "imageToImage"),
)


def test_workaround_still_catches_a_request_missing_prompt(run_cli: Callable[..., Any]) -> None:
    """A gateway that answers 200 to a multipart request without `prompt` is reported."""
    result = run_cli(*MULTIPART_CORE, "--fault", "accepts_missing_prompt")
    assert result.code == 1, result.stdout
    (departure,) = result.report()["departures"]
    assert departure["operation"] == "POST /image-to-image"
    assert departure["check"] == "negative_data_rejection"
    # The edge probe without `prompt` (one request, among the schedule's first) finds it first;
    # schemathesis's own case without `prompt`, sent through the workaround, is the second.
    assert departure["cause"] == "200 prompt.required"
    assert departure["reason"].startswith("edge probe no prompt")
    assert departure["count"] >= 2


def test_clean_multipart_operations_conform_with_the_workaround(
    run_cli: Callable[..., Any],
) -> None:
    """The reference gateway passes every negative-data check on the multipart operations."""
    result = run_cli(*MULTIPART_CORE)
    assert result.code == 0, result.stdout
    checks = {(c["operation"], c["check"]): c for c in result.report()["checks"]}
    assert checks[("POST /image-to-image", "negative_data_rejection")]["passed"] > 0


@pytest.mark.parametrize("wrap", [bytes, Binary], ids=["bytes", "Binary"])
def test_workaround_reads_the_body_as_sent_where_schemathesis_gives_up(
    wrap: Callable[[bytes], object],
) -> None:
    """schemathesis's own re-check of a multipart body with a real image gives up; the wrapped one
    reads it as the gateway did.

    A `prompt` generated as the integer 0 is negative data, but the form sends the text "0",
    which the gateway rightly accepts: the re-check must call that body valid. A body without
    `prompt` must stay invalid. schemathesis holds generated file data as bytes or as its
    `Binary` wrapper; both must be handled. When schemathesis fixes its re-check upstream, the
    first assertion fails and the workaround can go.
    """
    original = openapi_checks._form_body_is_valid_as_sent
    operation = schemathesis.openapi.from_path(spec_path())["/image-to-image"]["POST"]
    image = wrap(encode_image(8, 8, (10, 20, 30), "PNG"))
    with running_gateway(GatewaySettings()) as base_url:
        integer_prompt = operation.Case(body={"prompt": 0, "image": image}, media_type=MULTIPART)
        accepted = integer_prompt.call(base_url=base_url)
        no_prompt = operation.Case(body={"image": image}, media_type=MULTIPART)
        refused = no_prompt.call(base_url=base_url)
    assert accepted.status_code == 200
    assert original(accepted, integer_prompt, MULTIPART) is False  # the false departure's cause
    with multipart_file_parts_revalidated():
        wrapped = openapi_checks._form_body_is_valid_as_sent
        assert wrapped is not original
        assert wrapped(accepted, integer_prompt, MULTIPART) is True
        assert refused.status_code == 422
        assert wrapped(refused, no_prompt, MULTIPART) is False
    # Undone after the block: the process is left as schemathesis made it.
    assert openapi_checks._form_body_is_valid_as_sent is original

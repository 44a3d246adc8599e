"""The suite's few uses of schemathesis's private names: each must still exist, or fail here."""

from __future__ import annotations

import pytest
from livepeer_conformance.schemathesis_private import (
    PRIVATE_TARGETS,
    multipart_file_parts_revalidated,
)
from schemathesis.specs.openapi import checks as openapi_checks


@pytest.mark.parametrize(
    ("owner", "name"), PRIVATE_TARGETS, ids=[name for _, name in PRIVATE_TARGETS]
)
def test_private_target_still_exists(owner: object, name: str) -> None:
    """A schemathesis upgrade that renames one of these breaks the suite: say so loudly."""
    assert callable(getattr(owner, name, None)), (
        f"schemathesis no longer has {name}: revisit livepeer_conformance/schemathesis_private.py"
    )


def test_patch_is_undone_after_the_block_even_on_error() -> None:
    """The multipart re-check is patched only while a run's spec phase runs."""
    original = openapi_checks._form_body_is_valid_as_sent
    with pytest.raises(RuntimeError), multipart_file_parts_revalidated():
        assert openapi_checks._form_body_is_valid_as_sent is not original
        raise RuntimeError
    assert openapi_checks._form_body_is_valid_as_sent is original

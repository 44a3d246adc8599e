"""The spec core's one exception: everything it refuses is a `SpecError` with a one-line reason."""

from __future__ import annotations


class SpecError(Exception):
    """The spec cannot be read or does not have the shape this project relies on."""

"""What a departure shows of an answer: text redacted before it is cut, binary as size and hash."""

from __future__ import annotations

import hashlib

from livepeer_conformance.evidence import BODY_EXCERPT_CHARS, body_excerpt
from livepeer_conformance.strategies import encode_image

TOKEN = "evidence-token-" + "5a" * 12


def test_binary_body_is_shown_as_length_and_sha256() -> None:
    png = encode_image(8, 8, (1, 2, 3), "PNG")
    shown = body_excerpt(png, [TOKEN])
    assert shown == f"<binary, {len(png)} bytes, sha256 {hashlib.sha256(png).hexdigest()}>"


def test_text_body_is_redacted_before_it_is_cut() -> None:
    """A token straddling the cut leaves no piece of itself in the excerpt."""
    text = "x" * (BODY_EXCERPT_CHARS - 10) + TOKEN + "y" * 5000
    shown = body_excerpt(text.encode(), [TOKEN])
    assert TOKEN[:8] not in shown and "[redacted]" in shown
    assert shown.endswith(f"({len(text)} bytes in all)")
    assert len(shown) < BODY_EXCERPT_CHARS + 40

"""The largest successful answer the spec allows: the bound the generated client reads within.

The spec lets a gateway return each image as a `data:` URL, so an answer's size follows from the
largest batch of the largest image. The largest encoding of an image is a PNG of 8-bit RGBA pixels
whose deflate stream reaches zlib's documented worst case (`compressBound`: incompressible
pixels), split into IDAT chunks of 8 KiB (libpng's default; other encoders use larger ones),
base64-encoded in a data URL; the JSON around each URL adds a few bytes.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import SpecError
from .operations import operations

#: 8-bit RGBA, the widest pixel an image answer carries.
BYTES_PER_PIXEL = 4
#: The PNG signature, the IHDR chunk and the IEND chunk.
PNG_FIXED_BYTES = 8 + 25 + 12
#: The IDAT payload per chunk assumed, and the framing of each chunk (length, type, CRC).
IDAT_CHUNK_BYTES = 8192
CHUNK_FRAMING_BYTES = 12
DATA_URL_PREFIX = "data:image/png;base64,"
#: The JSON of one `Media` besides its URL: keys, a seed of up to 20 digits, a boolean, spaces.
MEDIA_FRAMING_BYTES = 128
#: `{"images": [...]}` around the list.
ANSWER_FRAMING_BYTES = 32


def largest_value(document: dict[str, Any], field: str) -> int:
    """The largest `maximum` any operation's request declares for `field`."""
    maxima = []
    for operation in operations(document).values():
        bound = operation.properties.get(field, {}).get("maximum")
        if isinstance(bound, int) and not isinstance(bound, bool):
            maxima.append(bound)
    if not maxima:
        raise SpecError(f"no request declares a maximum for {field!r}")
    return max(maxima)


def largest_png_bytes(width: int, height: int) -> int:
    """Most bytes a width x height 8-bit RGBA PNG takes, its pixels incompressible."""
    scanlines = height * (1 + width * BYTES_PER_PIXEL)  # a filter byte starts each row
    deflated = deflate_bound(scanlines)
    chunks = math.ceil(deflated / IDAT_CHUNK_BYTES)
    return PNG_FIXED_BYTES + deflated + chunks * CHUNK_FRAMING_BYTES


def deflate_bound(size: int) -> int:
    """zlib's compressBound: the most bytes deflate writes for `size` bytes, with its framing."""
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 13


def data_url_bytes(payload_bytes: int) -> int:
    """Length of the base64 `data:` URL of `payload_bytes` bytes."""
    return len(DATA_URL_PREFIX) + 4 * math.ceil(payload_bytes / 3)


def largest_answer_bytes(document: dict[str, Any]) -> int:
    """Bytes of the largest successful answer: the largest batch of the largest PNGs."""
    width = largest_value(document, "width")
    height = largest_value(document, "height")
    images = largest_value(document, "num_images_per_prompt")
    per_image = data_url_bytes(largest_png_bytes(width, height)) + MEDIA_FRAMING_BYTES
    return ANSWER_FRAMING_BYTES + images * per_image

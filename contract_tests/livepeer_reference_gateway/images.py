"""Procedural images: cheap, deterministic PNGs standing in for a diffusion model's output."""

from __future__ import annotations

import hashlib
import io
from typing import IO

from PIL import Image, ImageDraw

from .errors import GatewayError

#: Pillow's PNG compression level: speed matters more than size here.
PNG_COMPRESS_LEVEL = 1

#: Formats accepted for uploads: the spec's image part content types (PPM is what its plain-text
#: examples carry). Nothing else is even probed, so no exotic decoder ever runs on client bytes.
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "PPM")
# `Image.open(formats=...)` only tries plugins already registered; register them all up front.
Image.init()


def _digest(*parts: object) -> bytes:
    hasher = hashlib.blake2b(digest_size=32)
    for part in parts:
        hasher.update(repr(part).encode())
        hasher.update(b"\x00")
    return hasher.digest()


def pattern(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """An RGB image of `width` x `height` determined by (prompt, seed, size)."""
    digest = _digest(prompt, seed, width, height)
    # A 4x4 grid of colours from the hash, smoothly stretched: a gradient unique to the inputs.
    grid = Image.frombytes("RGB", (4, 4), (digest * 2)[:48])
    image = grid.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    x = digest[0] * width // 256
    y = digest[1] * height // 256
    radius = max(2, min(width, height) * (digest[2] % 32 + 8) // 100)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=tuple(digest[3:6]))
    return image


def transformed(source: Image.Image, prompt: str, seed: int, strength: float) -> Image.Image:
    """`source` blended with the (prompt, seed) pattern at its own size, by `strength`."""
    base = source.convert("RGB")
    overlay = pattern(prompt, seed, base.width, base.height)
    return Image.blend(base, overlay, alpha=max(0.0, min(1.0, strength)) * 0.5)


def upscaled(source: Image.Image, factor: int) -> Image.Image:
    """`source` resized `factor` times in each direction."""
    return source.convert("RGB").resize(
        (source.width * factor, source.height * factor), Image.Resampling.BICUBIC
    )


def png_bytes(image: Image.Image) -> bytes:
    """`image` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def open_upload(stream: IO[bytes], max_pixels: int) -> Image.Image:
    """The decoded RGB image in `stream`; 400 when it is not one or has over `max_pixels` pixels.

    The size is read from the header and checked before any pixel is decoded, so a
    decompression bomb is refused without being expanded.
    """
    try:
        image = Image.open(stream, formats=UPLOAD_FORMATS)
        width, height = image.size
        if width * height > max_pixels:
            raise GatewayError(
                400,
                "bad_image",
                f"image is {width}x{height}, over the limit of {max_pixels} pixels",
            )
        image.load()
        return image.convert("RGB")
    except GatewayError:
        raise
    except Exception:  # Pillow raises many types on truncated, hostile or unusual files
        raise GatewayError(400, "bad_image", "the image cannot be decoded") from None

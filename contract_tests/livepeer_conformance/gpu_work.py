"""GPU work of a request, in output pixels × inference steps × images.

A field the request leaves out counts at the spec's default; an operation whose request does not
size its output (image-to-image, upscale) makes an image of its upload's size, times the
operation's `x-upscale-factor` when it declares one.
"""

from __future__ import annotations

import io
from typing import Any

from livepeer_gateway_spec import Operation
from PIL import Image


def _number(value: Any, default: Any) -> int:
    if isinstance(value, bool):
        return int(default or 1)
    if isinstance(value, int | float):
        return max(int(value), 0)
    if isinstance(value, str):
        try:
            return max(int(float(value)), 0)
        except ValueError:
            return int(default or 1)
    return int(default or 1)


def upload_side(image: bytes | None) -> tuple[int, int] | None:
    """(width, height) of an uploaded image, or None when it does not decode."""
    if not image:
        return None
    try:
        with Image.open(io.BytesIO(image)) as decoded:
            return decoded.size
    except Exception:  # noqa: BLE001 - any undecodable upload makes no image
        return None


def work(operation: Operation, body: dict[str, Any], upload: tuple[int, int] | None) -> int:
    """Output pixels × steps × images of the request `body` to `operation`."""
    properties = operation.properties

    def field(name: str) -> int:
        default = properties.get(name, {}).get("default", 1)
        return _number(body.get(name, default), default) if name in properties else 1

    if operation.sized_output:
        pixels = field("width") * field("height")
    elif upload is not None:
        factor = operation.upscale_factor or 1
        pixels = upload[0] * upload[1] * factor * factor
    else:
        return 0
    return pixels * field("num_inference_steps") * field("num_images_per_prompt")


def images_asked(operation: Operation, body: dict[str, Any]) -> int:
    """Images the request `body` to `operation` asks for."""
    schema = operation.properties.get("num_images_per_prompt")
    if schema is None:
        return 1
    default = schema.get("default", 1)
    return _number(body.get("num_images_per_prompt", default), default)


def most_images(operation: Operation, ceiling: int | None) -> int:
    """The most images a request to `operation` may ask for under `ceiling` (None: the spec's)."""
    schema = operation.properties.get("num_images_per_prompt")
    if schema is None:
        return 1
    most = int(schema.get("maximum", schema.get("default", 1)))
    return min(most, ceiling) if ceiling is not None else most

"""The three operations' behaviour: what is generated for a valid request, as the runners do."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PIL import Image

from . import images
from .faults import GenerationPlan

#: A prompt containing this (any case) is flagged `nsfw` when `safety_check` is on.
NSFW_MARKER = "[nsfw]"

#: operationIds this gateway implements.
OPERATIONS = ("textToImage", "imageToImage", "upscale")

#: The factor upscale enlarges width and height by.
UPSCALE_FACTOR = 4


def build_plan(operation_id: str, params: Mapping[str, Any]) -> GenerationPlan:
    """What to generate for validated `params` (defaults already filled in)."""
    return replace(_plan(operation_id, params), params=dict(params))


def _plan(operation_id: str, params: Mapping[str, Any]) -> GenerationPlan:
    count = int(params.get("num_images_per_prompt") or 1) if operation_id != "upscale" else 1
    seed = params.get("seed")
    # A random base leaves room for the batch, so every returned seed is a valid request seed.
    base = int(seed) if seed is not None else random.randrange(2**32 - count + 1)
    seeds = tuple(base + i for i in range(count))
    prompt = str(params.get("prompt") or "")
    if operation_id == "textToImage":
        size = (int(params["width"]), int(params["height"]))
        return GenerationPlan(operation_id, prompt, seeds, size=size)
    if operation_id == "imageToImage" and "strength" in params:
        return GenerationPlan(operation_id, prompt, seeds, strength=float(params["strength"]))
    if operation_id == "imageToImage":
        return GenerationPlan(operation_id, prompt, seeds)
    return GenerationPlan(operation_id, prompt, seeds, upscale_factor=UPSCALE_FACTOR)


def render(plan: GenerationPlan, source: Image.Image | None) -> list[bytes]:
    """The PNGs of `plan`, one per seed; `source` is the uploaded image when there is one."""
    pngs = []
    for seed in plan.seeds:
        if plan.operation_id == "textToImage" and plan.size is not None:
            image = images.pattern(plan.prompt, seed, *plan.size)
        elif plan.operation_id == "imageToImage" and source is not None:
            image = images.transformed(source, plan.prompt, seed, plan.strength)
            if plan.resize is not None:
                image = image.resize(plan.resize(image.size))
        elif source is not None:
            image = images.upscaled(source, plan.upscale_factor)
        else:
            raise ValueError(f"{plan.operation_id} needs an input image")
        pngs.append(images.png_bytes(image))
    return pngs


def is_nsfw(params: Mapping[str, Any]) -> bool:
    """The safety check: flags a prompt carrying `NSFW_MARKER` when `safety_check` is on."""
    return (
        bool(params.get("safety_check", True))
        and NSFW_MARKER in str(params.get("prompt", "")).lower()
    )

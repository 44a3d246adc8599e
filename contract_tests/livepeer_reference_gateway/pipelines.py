"""What each pipeline generates for a valid request, as the runners do.

Which pipeline an operation runs, and an upscale's factor, are read from the spec (see
`contract.OperationContract.pipeline`); nothing here names an operation.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PIL import Image

from . import images
from .contract import OperationContract
from .plan import GenerationPlan

#: A prompt containing this (any case) is flagged `nsfw` when `safety_check` is on.
NSFW_MARKER = "[nsfw]"


def build_plan(contract: OperationContract, params: Mapping[str, Any]) -> GenerationPlan:
    """What to generate for validated `params` (defaults already filled in)."""
    pipeline = contract.pipeline
    count = int(params.get("num_images_per_prompt") or 1) if pipeline != "upscale" else 1
    seed = params.get("seed")
    # A random base leaves room for the batch, so every returned seed is a valid request seed.
    base = int(seed) if seed is not None else random.randrange(2**32 - count + 1)
    seeds = tuple(base + i for i in range(count))
    plan = GenerationPlan(
        contract.operation_id,
        str(params.get("prompt") or ""),
        seeds,
        pipeline=pipeline,
        params=dict(params),
    )
    if pipeline == "text-to-image":
        return replace(plan, size=(int(params["width"]), int(params["height"])))
    if pipeline == "image-to-image" and "strength" in params:
        return replace(plan, strength=float(params["strength"]))
    if pipeline == "upscale":
        return replace(plan, upscale_factor=contract.upscale_factor)
    return plan


def render(plan: GenerationPlan, source: Image.Image | None) -> list[bytes]:
    """The PNGs of `plan`, one per seed; `source` is the uploaded image when there is one."""
    pngs = []
    for seed in plan.seeds:
        if plan.pipeline == "text-to-image" and plan.size is not None:
            image = images.pattern(plan.prompt, seed, *plan.size)
        elif plan.pipeline == "image-to-image" and source is not None:
            image = images.transformed(source, plan.prompt, seed, plan.strength)
            if plan.resize is not None:
                image = image.resize(plan.resize(image.size))
        elif plan.pipeline == "upscale" and source is not None and plan.upscale_factor:
            image = images.upscaled(source, plan.upscale_factor)
        else:
            raise ValueError(f"{plan.operation_id} cannot be generated from this plan")
        pngs.append(images.png_bytes(image))
    return pngs


def is_nsfw(params: Mapping[str, Any]) -> bool:
    """The safety check: flags a prompt carrying `NSFW_MARKER` when `safety_check` is on."""
    return (
        bool(params.get("safety_check", True))
        and NSFW_MARKER in str(params.get("prompt", "")).lower()
    )

"""How small a request stays when it must be cheap: the one shape every part uses.

A paid gateway bills by output pixel and inference step. Unless told otherwise (`--allow-large`),
the suite's accepted requests stay within these limits, and the images it uploads are small,
since upscale answers a multiple of the input's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheapLimits:
    """Ceilings for requests a gateway will accept and run."""

    #: Largest `width` or `height` asked for (None: the spec's own maximum).
    max_side: int | None = 128
    #: Largest `num_inference_steps` asked for (None: the spec's own maximum).
    max_steps: int | None = 4
    #: Largest `num_images_per_prompt` asked for (None: the spec's own maximum).
    max_images: int | None = None
    #: Sides of the images uploaded, in pixels.
    min_upload_side: int = 8
    max_upload_side: int = 64

    def ceilings(self) -> dict[str, int]:
        """Request field -> largest value sent, for the fields with a ceiling."""
        limits = {
            "width": self.max_side,
            "height": self.max_side,
            "num_inference_steps": self.max_steps,
            "num_images_per_prompt": self.max_images,
        }
        return {name: limit for name, limit in limits.items() if limit is not None}

    def ceiling(self, field: str) -> int | None:
        return self.ceilings().get(field)

    def cap(self, body: dict[str, Any], properties: frozenset[str] | set[str]) -> None:
        """Hold a valid body's size and steps at the ceilings, filling omitted ones too.

        An omitted `width` means the spec's default (1024), so a ceiling that only lowered values
        present would still let most requests through at full size. An omitted batch size means
        one image, so it is left omitted.
        """
        for name, ceiling in self.ceilings().items():
            if name not in properties or (name == "num_images_per_prompt" and name not in body):
                continue
            value = body.get(name)
            # A valid value is a number; an integral float such as 408.0 is a valid integer too.
            if not isinstance(value, int | float) or isinstance(value, bool) or value > ceiling:
                body[name] = ceiling

    def exceeded(self, body: dict[str, Any]) -> list[str]:
        """`field=value` of each field of `body` above its ceiling."""
        ceilings = self.ceilings()
        return [
            f"{name}={value}"
            for name, value in body.items()
            if name in ceilings and isinstance(value, int | float) and value > ceilings[name]
        ]


#: The limits the suite uses by default.
CHEAP = CheapLimits()
#: No ceiling but the spec's own bounds (`--allow-large`).
UNCAPPED = CheapLimits(max_side=None, max_steps=None, max_images=None)

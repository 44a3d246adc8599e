from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, wrong_type

T = TypeVar("T", bound="TextToImageParams")


@_attrs_define
class TextToImageParams:
    """
    Attributes:
        prompt (str): Text prompt(s) to guide image generation. Separate multiple prompts with '|' if supported by the
            model. A prompt that is empty or not a string is answered 400.
        model_id (str | Unset): Hugging Face model ID used for image generation. Optional: the gateway uses its default
            model when it is empty (see the decision in the document's description). Default: ''.
        loras (str | Unset): A LoRA (Low-Rank Adaptation) model and its corresponding weight for image generation.
            Example: { "latent-consistency/lcm-lora-sdxl": 1.0, "nerijs/pixel-art-xl": 1.2}. The text is a JSON object
            mapping LoRA model ids to weights; the empty string, its default, means none. Default: ''.
        height (int | Unset): The height in pixels of the generated image. A multiple of 8 from 64 to 2048: diffusion
            models work on a latent one eighth of the image's size, and 2048 bounds the memory of one request. Default: 576.
        width (int | Unset): The width in pixels of the generated image. A multiple of 8 from 64 to 2048: diffusion
            models work on a latent one eighth of the image's size, and 2048 bounds the memory of one request. Default:
            1024.
        guidance_scale (float | Unset): Encourages model to generate images closely linked to the text prompt (higher
            values may reduce image quality). Bounded 0 to 20: classifier-free guidance below 0 is meaningless and above 20
            only saturates the image. Default: 7.5.
        negative_prompt (str | Unset): Text prompt(s) to guide what to exclude from image generation. Ignored if
            guidance_scale < 1. Default: ''.
        safety_check (bool | Unset): Perform a safety check to estimate if generated images could be offensive or
            harmful. Default: True.
        seed (int | Unset): Seed for random number generation. The i-th returned image has seed `seed + i`. Bounded to
            an unsigned 32-bit integer, the widest seed every runner's random generator accepts.
        num_inference_steps (int | Unset): Number of denoising steps. More steps usually lead to higher quality images
            but slower inference. Modulated by strength. Bounded 1 to 150: at least one step is needed, and past 150 quality
            no longer improves while the cost keeps growing. Default: 50.
        num_images_per_prompt (int | Unset): Number of images to generate per prompt. Bounded 1 to 4: a batch is
            generated at once on one GPU, and four default-size images is what a 24 GB card holds. Default: 1.
    """

    prompt: str
    model_id: str | Unset = ""
    loras: str | Unset = ""
    height: int | Unset = 576
    width: int | Unset = 1024
    guidance_scale: float | Unset = 7.5
    negative_prompt: str | Unset = ""
    safety_check: bool | Unset = True
    seed: int | Unset = UNSET
    num_inference_steps: int | Unset = 50
    num_images_per_prompt: int | Unset = 1
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This model as a JSON-ready dict; unset optional fields are left out."""
        prompt = self.prompt

        model_id = self.model_id

        loras = self.loras

        height = self.height

        width = self.width

        guidance_scale = self.guidance_scale

        negative_prompt = self.negative_prompt

        safety_check = self.safety_check

        seed = self.seed

        num_inference_steps = self.num_inference_steps

        num_images_per_prompt = self.num_images_per_prompt

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if model_id is not UNSET:
            field_dict["model_id"] = model_id
        if loras is not UNSET:
            field_dict["loras"] = loras
        if height is not UNSET:
            field_dict["height"] = height
        if width is not UNSET:
            field_dict["width"] = width
        if guidance_scale is not UNSET:
            field_dict["guidance_scale"] = guidance_scale
        if negative_prompt is not UNSET:
            field_dict["negative_prompt"] = negative_prompt
        if safety_check is not UNSET:
            field_dict["safety_check"] = safety_check
        if seed is not UNSET:
            field_dict["seed"] = seed
        if num_inference_steps is not UNSET:
            field_dict["num_inference_steps"] = num_inference_steps
        if num_images_per_prompt is not UNSET:
            field_dict["num_images_per_prompt"] = num_images_per_prompt

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Parse a decoded JSON object, raising KeyError or TypeError when it breaks the schema."""
        # `type(...) is dict` first: a decoded JSON object is one, and the ABC check costs more.
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise wrong_type("TextToImageParams", "an object", src_dict)
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not (isinstance(prompt, str)):
            raise wrong_type("TextToImageParams.prompt", "a string", prompt)

        model_id = d.pop("model_id", UNSET)
        if not (isinstance(model_id, Unset) or (isinstance(model_id, str))):
            raise wrong_type("TextToImageParams.model_id", "a string", model_id)

        loras = d.pop("loras", UNSET)
        if not (isinstance(loras, Unset) or (isinstance(loras, str))):
            raise wrong_type("TextToImageParams.loras", "a string", loras)

        height = d.pop("height", UNSET)
        if not (
            isinstance(height, Unset) or (isinstance(height, int) and not isinstance(height, bool))
        ):
            raise wrong_type("TextToImageParams.height", "an integer", height)

        width = d.pop("width", UNSET)
        if not (
            isinstance(width, Unset) or (isinstance(width, int) and not isinstance(width, bool))
        ):
            raise wrong_type("TextToImageParams.width", "an integer", width)

        guidance_scale = d.pop("guidance_scale", UNSET)
        if not (
            isinstance(guidance_scale, Unset)
            or (isinstance(guidance_scale, int | float) and not isinstance(guidance_scale, bool))
        ):
            raise wrong_type("TextToImageParams.guidance_scale", "a number", guidance_scale)

        negative_prompt = d.pop("negative_prompt", UNSET)
        if not (isinstance(negative_prompt, Unset) or (isinstance(negative_prompt, str))):
            raise wrong_type("TextToImageParams.negative_prompt", "a string", negative_prompt)

        safety_check = d.pop("safety_check", UNSET)
        if not (isinstance(safety_check, Unset) or (isinstance(safety_check, bool))):
            raise wrong_type("TextToImageParams.safety_check", "a boolean", safety_check)

        seed = d.pop("seed", UNSET)
        if not (isinstance(seed, Unset) or (isinstance(seed, int) and not isinstance(seed, bool))):
            raise wrong_type("TextToImageParams.seed", "an integer", seed)

        num_inference_steps = d.pop("num_inference_steps", UNSET)
        if not (
            isinstance(num_inference_steps, Unset)
            or (isinstance(num_inference_steps, int) and not isinstance(num_inference_steps, bool))
        ):
            raise wrong_type(
                "TextToImageParams.num_inference_steps", "an integer", num_inference_steps
            )

        num_images_per_prompt = d.pop("num_images_per_prompt", UNSET)
        if not (
            isinstance(num_images_per_prompt, Unset)
            or (
                isinstance(num_images_per_prompt, int)
                and not isinstance(num_images_per_prompt, bool)
            )
        ):
            raise wrong_type(
                "TextToImageParams.num_images_per_prompt", "an integer", num_images_per_prompt
            )

        text_to_image_params = cls(
            prompt=prompt,
            model_id=model_id,
            loras=loras,
            height=height,
            width=width,
            guidance_scale=guidance_scale,
            negative_prompt=negative_prompt,
            safety_check=safety_check,
            seed=seed,
            num_inference_steps=num_inference_steps,
            num_images_per_prompt=num_images_per_prompt,
        )

        text_to_image_params.additional_properties = d
        return text_to_image_params

    @property
    def additional_keys(self) -> list[str]:
        """Names of the fields the schema does not declare."""
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

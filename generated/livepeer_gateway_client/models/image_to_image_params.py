from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, Unset, wrong_type

T = TypeVar("T", bound="ImageToImageParams")


@_attrs_define
class ImageToImageParams:
    """
    Attributes:
        prompt (str): Text prompt(s) to guide image generation. A prompt that is empty or not a string is answered 400.
        image (File): Uploaded image to modify with the pipeline. The returned images have its width and height.
        model_id (str | Unset): Hugging Face model ID used for image generation. Optional: the gateway uses its default
            model when it is empty (see the decision in the document's description). Default: ''.
        loras (str | Unset): A LoRA (Low-Rank Adaptation) model and its corresponding weight for image generation.
            Example: { "latent-consistency/lcm-lora-sdxl": 1.0, "nerijs/pixel-art-xl": 1.2}. The text is a JSON object
            mapping LoRA model ids to weights; the empty string, its default, means none. Default: ''.
        strength (float | Unset): Degree of transformation applied to the reference image (0 to 1). Default: 0.8.
        guidance_scale (float | Unset): Encourages model to generate images closely linked to the text prompt (higher
            values may reduce image quality). Bounded 0 to 20: classifier-free guidance below 0 is meaningless and above 20
            only saturates the image. Default: 7.5.
        image_guidance_scale (float | Unset): Degree to which the generated image is pushed towards the initial image.
            Bounded 0 to 20, like guidance_scale, for the same reason. Default: 1.5.
        negative_prompt (str | Unset): Text prompt(s) to guide what to exclude from image generation. Ignored if
            guidance_scale < 1. Default: ''.
        safety_check (bool | Unset): Perform a safety check to estimate if generated images could be offensive or
            harmful. Default: True.
        seed (int | Unset): Seed for random number generation. The i-th returned image has seed `seed + i`. Bounded to
            an unsigned 32-bit integer, the widest seed every runner's random generator accepts.
        num_inference_steps (int | Unset): Number of denoising steps. More steps usually lead to higher quality images
            but slower inference. Modulated by strength. Bounded 1 to 150: at least one step is needed, and past 150 quality
            no longer improves while the cost keeps growing. Default: 100.
        num_images_per_prompt (int | Unset): Number of images to generate per prompt. Bounded 1 to 4: a batch is
            generated at once on one GPU, and four default-size images is what a 24 GB card holds. Default: 1.
    """

    prompt: str
    image: File
    model_id: str | Unset = ""
    loras: str | Unset = ""
    strength: float | Unset = 0.8
    guidance_scale: float | Unset = 7.5
    image_guidance_scale: float | Unset = 1.5
    negative_prompt: str | Unset = ""
    safety_check: bool | Unset = True
    seed: int | Unset = UNSET
    num_inference_steps: int | Unset = 100
    num_images_per_prompt: int | Unset = 1
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This model as a JSON-ready dict; unset optional fields are left out."""
        prompt = self.prompt

        image = self.image.to_tuple()

        model_id = self.model_id

        loras = self.loras

        strength = self.strength

        guidance_scale = self.guidance_scale

        image_guidance_scale = self.image_guidance_scale

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
                "image": image,
            }
        )
        if model_id is not UNSET:
            field_dict["model_id"] = model_id
        if loras is not UNSET:
            field_dict["loras"] = loras
        if strength is not UNSET:
            field_dict["strength"] = strength
        if guidance_scale is not UNSET:
            field_dict["guidance_scale"] = guidance_scale
        if image_guidance_scale is not UNSET:
            field_dict["image_guidance_scale"] = image_guidance_scale
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

    def to_multipart(self) -> types.RequestFiles:
        """This model as multipart/form-data parts; unset optional fields are left out."""
        files: types.RequestFiles = []

        files.append(("prompt", (None, str(self.prompt).encode(), "text/plain")))

        files.append(("image", self.image.to_tuple()))

        if not isinstance(self.model_id, Unset):
            files.append(("model_id", (None, str(self.model_id).encode(), "text/plain")))

        if not isinstance(self.loras, Unset):
            files.append(("loras", (None, str(self.loras).encode(), "text/plain")))

        if not isinstance(self.strength, Unset):
            files.append(("strength", (None, str(self.strength).encode(), "text/plain")))

        if not isinstance(self.guidance_scale, Unset):
            files.append(
                ("guidance_scale", (None, str(self.guidance_scale).encode(), "text/plain"))
            )

        if not isinstance(self.image_guidance_scale, Unset):
            files.append(
                (
                    "image_guidance_scale",
                    (None, str(self.image_guidance_scale).encode(), "text/plain"),
                )
            )

        if not isinstance(self.negative_prompt, Unset):
            files.append(
                ("negative_prompt", (None, str(self.negative_prompt).encode(), "text/plain"))
            )

        if not isinstance(self.safety_check, Unset):
            files.append(
                ("safety_check", (None, b"true" if self.safety_check else b"false", "text/plain"))
            )

        if not isinstance(self.seed, Unset):
            files.append(("seed", (None, str(self.seed).encode(), "text/plain")))

        if not isinstance(self.num_inference_steps, Unset):
            files.append(
                (
                    "num_inference_steps",
                    (None, str(self.num_inference_steps).encode(), "text/plain"),
                )
            )

        if not isinstance(self.num_images_per_prompt, Unset):
            files.append(
                (
                    "num_images_per_prompt",
                    (None, str(self.num_images_per_prompt).encode(), "text/plain"),
                )
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Parse a decoded JSON object, raising KeyError or TypeError when it breaks the schema."""
        # `type(...) is dict` first: a decoded JSON object is one, and the ABC check costs more.
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise wrong_type("ImageToImageParams", "an object", src_dict)
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not (isinstance(prompt, str)):
            raise wrong_type("ImageToImageParams.prompt", "a string", prompt)

        image = File(payload=BytesIO(d.pop("image")))

        model_id = d.pop("model_id", UNSET)
        if not (isinstance(model_id, Unset) or (isinstance(model_id, str))):
            raise wrong_type("ImageToImageParams.model_id", "a string", model_id)

        loras = d.pop("loras", UNSET)
        if not (isinstance(loras, Unset) or (isinstance(loras, str))):
            raise wrong_type("ImageToImageParams.loras", "a string", loras)

        strength = d.pop("strength", UNSET)
        if not (
            isinstance(strength, Unset)
            or (isinstance(strength, int | float) and not isinstance(strength, bool))
        ):
            raise wrong_type("ImageToImageParams.strength", "a number", strength)

        guidance_scale = d.pop("guidance_scale", UNSET)
        if not (
            isinstance(guidance_scale, Unset)
            or (isinstance(guidance_scale, int | float) and not isinstance(guidance_scale, bool))
        ):
            raise wrong_type("ImageToImageParams.guidance_scale", "a number", guidance_scale)

        image_guidance_scale = d.pop("image_guidance_scale", UNSET)
        if not (
            isinstance(image_guidance_scale, Unset)
            or (
                isinstance(image_guidance_scale, int | float)
                and not isinstance(image_guidance_scale, bool)
            )
        ):
            raise wrong_type(
                "ImageToImageParams.image_guidance_scale", "a number", image_guidance_scale
            )

        negative_prompt = d.pop("negative_prompt", UNSET)
        if not (isinstance(negative_prompt, Unset) or (isinstance(negative_prompt, str))):
            raise wrong_type("ImageToImageParams.negative_prompt", "a string", negative_prompt)

        safety_check = d.pop("safety_check", UNSET)
        if not (isinstance(safety_check, Unset) or (isinstance(safety_check, bool))):
            raise wrong_type("ImageToImageParams.safety_check", "a boolean", safety_check)

        seed = d.pop("seed", UNSET)
        if not (isinstance(seed, Unset) or (isinstance(seed, int) and not isinstance(seed, bool))):
            raise wrong_type("ImageToImageParams.seed", "an integer", seed)

        num_inference_steps = d.pop("num_inference_steps", UNSET)
        if not (
            isinstance(num_inference_steps, Unset)
            or (isinstance(num_inference_steps, int) and not isinstance(num_inference_steps, bool))
        ):
            raise wrong_type(
                "ImageToImageParams.num_inference_steps", "an integer", num_inference_steps
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
                "ImageToImageParams.num_images_per_prompt", "an integer", num_images_per_prompt
            )

        image_to_image_params = cls(
            prompt=prompt,
            image=image,
            model_id=model_id,
            loras=loras,
            strength=strength,
            guidance_scale=guidance_scale,
            image_guidance_scale=image_guidance_scale,
            negative_prompt=negative_prompt,
            safety_check=safety_check,
            seed=seed,
            num_inference_steps=num_inference_steps,
            num_images_per_prompt=num_images_per_prompt,
        )

        image_to_image_params.additional_properties = d
        return image_to_image_params

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

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, Unset, wrong_type

T = TypeVar("T", bound="UpscaleParams")


@_attrs_define
class UpscaleParams:
    """
    Attributes:
        prompt (str): Text prompt(s) to guide upscaled image generation. A prompt that is empty or not a string is
            answered 400.
        image (File): Uploaded image to modify with the pipeline. The returned image is four times its width and height.
        model_id (str | Unset): Hugging Face model ID used for upscaled image generation. Optional: the gateway uses its
            default model when it is empty (see the decision in the document's description). Default: ''.
        safety_check (bool | Unset): Perform a safety check to estimate if generated images could be offensive or
            harmful. Default: True.
        seed (int | Unset): Seed for random number generation. The i-th returned image has seed `seed + i`. Bounded to
            an unsigned 32-bit integer, the widest seed every runner's random generator accepts.
        num_inference_steps (int | Unset): Number of denoising steps. More steps usually lead to higher quality images
            but slower inference. Modulated by strength. Bounded 1 to 150: at least one step is needed, and past 150 quality
            no longer improves while the cost keeps growing. Default: 75.
    """

    prompt: str
    image: File
    model_id: str | Unset = ""
    safety_check: bool | Unset = True
    seed: int | Unset = UNSET
    num_inference_steps: int | Unset = 75
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This model as a JSON-ready dict; unset optional fields are left out."""
        prompt = self.prompt

        image = self.image.to_tuple()

        model_id = self.model_id

        safety_check = self.safety_check

        seed = self.seed

        num_inference_steps = self.num_inference_steps

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
        if safety_check is not UNSET:
            field_dict["safety_check"] = safety_check
        if seed is not UNSET:
            field_dict["seed"] = seed
        if num_inference_steps is not UNSET:
            field_dict["num_inference_steps"] = num_inference_steps

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        """This model as multipart/form-data parts; unset optional fields are left out."""
        files: types.RequestFiles = []

        files.append(("prompt", (None, str(self.prompt).encode(), "text/plain")))

        files.append(("image", self.image.to_tuple()))

        if not isinstance(self.model_id, Unset):
            files.append(("model_id", (None, str(self.model_id).encode(), "text/plain")))

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

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Parse a decoded JSON object, raising KeyError or TypeError when it breaks the schema."""
        # `type(...) is dict` first: a decoded JSON object is one, and the ABC check costs more.
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise wrong_type("UpscaleParams", "an object", src_dict)
        d = dict(src_dict)
        prompt = d.pop("prompt")
        if not (isinstance(prompt, str)):
            raise wrong_type("UpscaleParams.prompt", "a string", prompt)

        image = File(payload=BytesIO(d.pop("image")))

        model_id = d.pop("model_id", UNSET)
        if not (isinstance(model_id, Unset) or (isinstance(model_id, str))):
            raise wrong_type("UpscaleParams.model_id", "a string", model_id)

        safety_check = d.pop("safety_check", UNSET)
        if not (isinstance(safety_check, Unset) or (isinstance(safety_check, bool))):
            raise wrong_type("UpscaleParams.safety_check", "a boolean", safety_check)

        seed = d.pop("seed", UNSET)
        if not (isinstance(seed, Unset) or (isinstance(seed, int) and not isinstance(seed, bool))):
            raise wrong_type("UpscaleParams.seed", "an integer", seed)

        num_inference_steps = d.pop("num_inference_steps", UNSET)
        if not (
            isinstance(num_inference_steps, Unset)
            or (isinstance(num_inference_steps, int) and not isinstance(num_inference_steps, bool))
        ):
            raise wrong_type("UpscaleParams.num_inference_steps", "an integer", num_inference_steps)

        upscale_params = cls(
            prompt=prompt,
            image=image,
            model_id=model_id,
            safety_check=safety_check,
            seed=seed,
            num_inference_steps=num_inference_steps,
        )

        upscale_params.additional_properties = d
        return upscale_params

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

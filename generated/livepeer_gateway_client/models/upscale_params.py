from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field
import json
from .. import types

from ..types import UNSET, Unset

from ..types import File, FileTypes
from ..types import UNSET, Unset
from io import BytesIO






T = TypeVar("T", bound="UpscaleParams")



@_attrs_define
class UpscaleParams:
    """ 
        Attributes:
            prompt (str): Text prompt(s) to guide image generation. Separate multiple prompts with '|' if supported by the
                model. Must not be empty: an empty prompt is answered 400.
            image (File): Uploaded image to upscale. The returned image is four times its width and height.
            model_id (str | Unset): Hugging Face model ID used for image generation. Optional: the gateway uses its default
                model when it is empty (see the decision in the document's description).
            safety_check (bool | Unset): Perform a safety check to estimate if generated images could be offensive or
                harmful.
            seed (int | Unset): Seed for random number generation. The i-th returned image has seed `seed + i`. Bounded to
                an unsigned 32-bit integer, the widest seed every runner's random generator accepts.
            num_inference_steps (int | Unset): Number of denoising steps. More steps usually lead to higher quality images
                but slower inference. Modulated by strength. Bounded 1 to 150: at least one step is needed, and past 150 quality
                no longer improves while the cost keeps growing. Default: 75.
     """

    prompt: str
    image: File
    model_id: str | Unset = UNSET
    safety_check: bool | Unset = UNSET
    seed: int | Unset = UNSET
    num_inference_steps: int | Unset = 75
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        image = self.image.to_tuple()


        model_id = self.model_id

        safety_check = self.safety_check

        seed = self.seed

        num_inference_steps = self.num_inference_steps


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "prompt": prompt,
            "image": image,
        })
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
        files: types.RequestFiles = []

        files.append(("prompt", (None, str(self.prompt).encode(), "text/plain")))



        files.append(("image", self.image.to_tuple()))



        if not isinstance(self.model_id, Unset):
            files.append(("model_id", (None, str(self.model_id).encode(), "text/plain")))



        if not isinstance(self.safety_check, Unset):
            files.append(("safety_check", (None, str(self.safety_check).encode(), "text/plain")))



        if not isinstance(self.seed, Unset):
            files.append(("seed", (None, str(self.seed).encode(), "text/plain")))



        if not isinstance(self.num_inference_steps, Unset):
            files.append(("num_inference_steps", (None, str(self.num_inference_steps).encode(), "text/plain")))




        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))



        return files


    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        image = File(
             payload = BytesIO(d.pop("image"))
        )




        model_id = d.pop("model_id", UNSET)

        safety_check = d.pop("safety_check", UNSET)

        seed = d.pop("seed", UNSET)

        num_inference_steps = d.pop("num_inference_steps", UNSET)

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
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

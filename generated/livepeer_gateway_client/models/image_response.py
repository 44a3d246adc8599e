from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset, wrong_type

if TYPE_CHECKING:
    from ..models.media import Media


T = TypeVar("T", bound="ImageResponse")


@_attrs_define
class ImageResponse:
    """Response model for image generation.

    Attributes:
        images (list[Media]): The generated images; a successful response carries at least one.
    """

    images: list[Media]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This model as a JSON-ready dict; unset optional fields are left out."""
        images = []
        for images_item_data in self.images:
            images_item = images_item_data.to_dict()
            images.append(images_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "images": images,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Parse a decoded JSON object, raising KeyError or TypeError when it breaks the schema."""
        from ..models.media import Media

        # `type(...) is dict` first: a decoded JSON object is one, and the ABC check costs more.
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise wrong_type("ImageResponse", "an object", src_dict)
        d = dict(src_dict)
        if not isinstance(d.get("images", UNSET), list | Unset):
            raise wrong_type("ImageResponse.images", "an array", d.get("images", UNSET))

        images = []
        _images = d.pop("images")
        for images_item_data in _images:
            images_item = Media.from_dict(images_item_data)

            images.append(images_item)

        image_response = cls(
            images=images,
        )

        image_response.additional_properties = d
        return image_response

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

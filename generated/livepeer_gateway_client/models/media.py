from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import wrong_type

T = TypeVar("T", bound="Media")


@_attrs_define
class Media:
    """A media file reference.

    Attributes:
        url (str): The URL where the media can be accessed: an http(s) URL (real gateways return object-store URLs) or a
            `data:` URL carrying the image itself.
        seed (int): The seed used to generate the media.
        nsfw (bool): Whether the media was flagged as NSFW by the safety check.
    """

    url: str
    seed: int
    nsfw: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This model as a JSON-ready dict; unset optional fields are left out."""
        url = self.url

        seed = self.seed

        nsfw = self.nsfw

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
                "seed": seed,
                "nsfw": nsfw,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Parse a decoded JSON object, raising KeyError or TypeError when it breaks the schema."""
        # `type(...) is dict` first: a decoded JSON object is one, and the ABC check costs more.
        if type(src_dict) is not dict and not isinstance(src_dict, Mapping):
            raise wrong_type("Media", "an object", src_dict)
        d = dict(src_dict)
        url = d.pop("url")
        if not (isinstance(url, str)):
            raise wrong_type("Media.url", "a string", url)

        seed = d.pop("seed")
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise wrong_type("Media.seed", "an integer", seed)

        nsfw = d.pop("nsfw")
        if not (isinstance(nsfw, bool)):
            raise wrong_type("Media.nsfw", "a boolean", nsfw)

        media = cls(
            url=url,
            seed=seed,
            nsfw=nsfw,
        )

        media.additional_properties = d
        return media

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

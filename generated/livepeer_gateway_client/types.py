"""Types shared by the models and the operations: UNSET, File uploads and Response."""

import mimetypes
import os
from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import IO, Generic, Literal, TypeVar

from attrs import define


class Unset:
    """The type of UNSET, the value of a field left out of a request."""

    def __bool__(self) -> Literal[False]:
        return False


UNSET: Unset = Unset()

# What httpx accepts in `files=`.
FileContent = IO[bytes] | bytes
FileTypes = (
    tuple[str | None, FileContent, str | None]
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]

# Leading bytes, media type and file extension of the image formats gateways decode.
_IMAGE_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (0, b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (8, b"WEBP", "image/webp", ".webp"),
)
_SNIFF_LENGTH = 12
_FALLBACK_MEDIA_TYPE = "application/octet-stream"
_FALLBACK_STEM = "upload"


@define
class File:
    """A file to upload: bytes, a binary file object, or a file opened from a path.

    It is always sent as a file part, with a file name and a content type. `file_name` defaults
    to the file object's own name (or `upload.<ext>`), `mime_type` to the type its leading bytes
    show (PNG, JPEG, WebP), then the one its name suggests, then application/octet-stream.
    """

    payload: IO[bytes] | bytes
    file_name: str | None = None
    mime_type: str | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], mime_type: str | None = None) -> "File":
        """A File holding the bytes of the file at `path`, named after it."""
        with open(path, "rb") as stream:
            payload = stream.read()
        return cls(payload=payload, file_name=os.path.basename(path), mime_type=mime_type)

    def to_tuple(self) -> FileTypes:
        """The (file name, content, content type) triple httpx sends as a file part."""
        sniffed = _sniff_image(_leading_bytes(self.payload))
        file_name = self.file_name or _own_name(self.payload)
        if file_name is None:
            file_name = _FALLBACK_STEM + (sniffed[1] if sniffed else "")
        mime_type = (
            self.mime_type
            or (sniffed[0] if sniffed else None)
            or mimetypes.guess_type(file_name)[0]
            or _FALLBACK_MEDIA_TYPE
        )
        return file_name, self.payload, mime_type


def _leading_bytes(payload: IO[bytes] | bytes) -> bytes:
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload[:_SNIFF_LENGTH])
    if not payload.seekable():
        return b""
    # Peek without consuming: the upload must still start where the caller left the stream.
    position = payload.tell()
    head = payload.read(_SNIFF_LENGTH)
    payload.seek(position)
    return head


def _sniff_image(head: bytes) -> tuple[str, str] | None:
    for offset, signature, media_type, extension in _IMAGE_SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return media_type, extension
    return None


def _own_name(payload: IO[bytes] | bytes) -> str | None:
    name = getattr(payload, "name", None)
    return os.path.basename(name) if isinstance(name, str) and name else None


def wrong_type(field: str, expected: str, value: object) -> TypeError:
    """The error a model raises when a response field does not have its declared JSON type."""
    return TypeError(f"{field} must be {expected}, got {type(value).__name__} {value!r:.60}")


_HTTP_STATUSES: dict[int, HTTPStatus] = {status.value: status for status in HTTPStatus}


def http_status(code: int) -> HTTPStatus | int:
    """`code` as an HTTPStatus, or as the bare int for a status the enum lacks (such as 522)."""
    return _HTTP_STATUSES.get(code, code)


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A response from an operation: status, raw body, headers and the parsed body."""

    status_code: HTTPStatus | int
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None


__all__ = ["UNSET", "File", "FileTypes", "RequestFiles", "Response", "Unset"]

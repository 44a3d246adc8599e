"""Reading an answer within limits, so that no gateway can make the suite hang or balloon."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from livepeer_conformance.errors import AnswerError

#: Largest answer the suite reads, compressed or not, unless `--max-response-bytes` says otherwise.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 2**20
#: Largest image a media URL may carry before the suite refuses to fetch the rest.
MAX_MEDIA_BYTES = 32 * 2**20
#: Most http(s) media URLs a run fetches: twice what a default run fetches from a gateway
#: answering with http URLs (100 to 115 against the reference gateway), more than the most its
#: plan may need (138), few enough that a run never becomes a download job.
DEFAULT_MAX_MEDIA_FETCHES = 300
#: Most bytes of media a run downloads in all.
DEFAULT_MAX_MEDIA_BYTES = 512 * 2**20
#: Most seconds a run spends fetching media in all.
DEFAULT_MAX_MEDIA_SECONDS = 300.0
#: Redirects followed for one media URL; each hop gets the transport settings of its own host.
MAX_MEDIA_REDIRECTS = 5
#: Deepest JSON nesting the suite judges; the spec's answers are three levels deep.
MAX_JSON_DEPTH = 64
#: The check under which an answer past these limits is reported.
ANSWER_WITHIN_LIMITS = "answer_within_limits"


class AnswerOutOfBounds(AnswerError):
    """An answer too large, too slow or too deep to judge; the message says which, in one line."""

    def __init__(self, message: str, *, late: bool = False) -> None:
        super().__init__(message)
        #: Whether the answer missed its deadline (a gateway that does so keeps the run waiting).
        self.late = late


@dataclass(frozen=True)
class AnswerLimits:
    """What the suite reads of one answer at most."""

    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    #: Seconds from sending the request to the answer's last byte.
    deadline: float = 10.0

    @property
    def max_decoded_bytes(self) -> int:
        """A compressed answer may not inflate beyond this."""
        return self.max_bytes


@dataclass(frozen=True)
class MediaLimits:
    """What the run fetches of media URLs at most."""

    fetches: int = DEFAULT_MAX_MEDIA_FETCHES
    total_bytes: int = DEFAULT_MAX_MEDIA_BYTES
    seconds: float = DEFAULT_MAX_MEDIA_SECONDS

    def to_dict(self) -> dict[str, float]:
        return {
            "max_fetches": self.fetches,
            "max_bytes": self.total_bytes,
            "max_seconds": self.seconds,
            "max_bytes_per_image": MAX_MEDIA_BYTES,
            "max_redirects": MAX_MEDIA_REDIRECTS,
        }


def read_bounded(response: httpx.Response, limits: AnswerLimits, started: float) -> bytes:
    """The body of a streamed httpx `response`, or `AnswerOutOfBounds` once a limit is passed."""
    return collect_bounded(
        response.headers,
        response.iter_bytes(),
        lambda: response.num_bytes_downloaded,
        limits,
        started,
    )


def collect_bounded(
    headers: Mapping[str, str],
    decoded_chunks: Iterable[bytes],
    bytes_on_the_wire: Callable[[], int],
    limits: AnswerLimits,
    started: float,
) -> bytes:
    """A streamed body, whatever client reads it, or `AnswerOutOfBounds` once a limit is passed.

    `decoded_chunks` are the body's chunks after any content decoding; `bytes_on_the_wire` says
    how many bytes have arrived so far, before decoding.
    """
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise AnswerOutOfBounds(
            f"response larger than {limits.max_bytes} bytes (Content-Length {declared})"
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in decoded_chunks:
        size += len(chunk)
        if bytes_on_the_wire() > limits.max_bytes:
            raise AnswerOutOfBounds(f"response larger than {limits.max_bytes} bytes")
        if size > limits.max_decoded_bytes:
            what = "decompresses to more" if headers.get("content-encoding") else "larger"
            raise AnswerOutOfBounds(f"response {what} than {limits.max_bytes} bytes")
        if time.monotonic() - started > limits.deadline:
            raise AnswerOutOfBounds(f"no complete answer within {limits.deadline:g} s", late=True)
        chunks.append(chunk)
    if time.monotonic() - started > limits.deadline:
        raise AnswerOutOfBounds(f"no complete answer within {limits.deadline:g} s", late=True)
    return b"".join(chunks)


def parse_json(content: bytes) -> Any:
    """`content` as JSON, None when it is not JSON; `AnswerOutOfBounds` when nested too deep."""
    try:
        value = json.loads(content)
    except RecursionError:
        raise AnswerOutOfBounds(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        return None
    if _depth(value) > MAX_JSON_DEPTH:
        raise AnswerOutOfBounds(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest

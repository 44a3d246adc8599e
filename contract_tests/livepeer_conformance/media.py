"""Fetching the images an answer points to: part of judging the answer, bounded on its own.

A media fetch never takes a request from the gateway's budget. The run's fetches are bounded
in count (`--max-media-fetches`), in bytes and time together (`--max-media-bytes`,
`--max-media-seconds`), and each one in size (`MAX_MEDIA_BYTES`), redirects
(`MAX_MEDIA_REDIRECTS`) and time to its last byte (`--timeout`). A URL that breaks a per-image
limit is the gateway's departure; once a run-wide bound is reached, no more URL is fetched and
the checks that needed one are listed as not covered, never passed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from livepeer_conformance.bounded import (
    MAX_MEDIA_BYTES,
    MAX_MEDIA_REDIRECTS,
    AnswerLimits,
    AnswerOutOfBounds,
    MediaLimits,
    read_bounded,
)
from livepeer_conformance.config import RunConfig, client_options
from livepeer_conformance.exchanges import MediaError, data_url_bytes


class MediaBoundReached(Exception):
    """The run's media bound is reached: the URL was not fetched, so it says nothing of the
    gateway; the checks that needed it are not covered."""


@dataclass
class MediaFetcher:
    """Fetches media URLs (data: or http(s):) within the run's media limits, and counts them."""

    config: RunConfig
    #: http(s) fetches made, by operation.
    fetched: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    seconds: float = 0.0
    #: Why no more URL is fetched, once a run-wide bound is reached.
    bound: str = ""
    #: Answers a check could not judge because the bound was reached, by (operation, check).
    unjudged: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def limits(self) -> MediaLimits:
        return self.config.media_limits

    def __call__(self, url: str, operation: str) -> bytes:
        """The bytes `url` carries; `MediaError` when it breaks a per-image limit or does not
        fetch, `MediaBoundReached` once the run's bound is reached."""
        if url.startswith("data:"):
            return data_url_bytes(url)
        if not url.startswith(("http://", "https://")):
            raise MediaError(f"not an http(s) or data: URL: {url[:60]!r}")
        limits = self._take(operation)
        started = time.monotonic()
        try:
            return self._get(url, limits, started)
        finally:
            with self._lock:
                self.seconds += time.monotonic() - started

    def record_unjudged(self, operation: str, check: str) -> None:
        with self._lock:
            self.unjudged[(operation, check)] += 1

    def _take(self, operation: str) -> AnswerLimits:
        """Count one fetch on `operation`; its own limits, or `MediaBoundReached`."""
        limits = self.limits
        with self._lock:
            if not self.bound:
                if sum(self.fetched.values()) >= limits.fetches:
                    self.bound = f"the media fetch bound ({limits.fetches}) was reached"
                elif self.bytes >= limits.total_bytes:
                    self.bound = f"the media byte bound ({limits.total_bytes}) was reached"
                elif self.seconds >= limits.seconds:
                    self.bound = f"the media time bound ({limits.seconds:g} s) was reached"
            if self.bound:
                raise MediaBoundReached(self.bound)
            self.fetched[operation] += 1
            left_seconds = limits.seconds - self.seconds
            left_bytes = limits.total_bytes - self.bytes
        return AnswerLimits(
            min(MAX_MEDIA_BYTES, left_bytes), min(self.config.request_timeout, left_seconds)
        )

    def _reach(self, late: bool) -> MediaBoundReached:
        """Note that the run-wide byte or time bound cut this fetch short."""
        with self._lock:
            if late:
                self.bound = f"the media time bound ({self.limits.seconds:g} s) was reached"
            else:
                self.bound = f"the media byte bound ({self.limits.total_bytes}) was reached"
            return MediaBoundReached(self.bound)

    def _get(self, url: str, limits: AnswerLimits, started: float) -> bytes:
        deadline = limits.deadline
        cut_short = deadline < self.config.request_timeout
        gateway = httpx.URL(self.config.base_url or "")
        try:
            for _ in range(MAX_MEDIA_REDIRECTS + 1):
                target = httpx.URL(url)
                # Headers meant for the gateway (`-H`) go to the gateway's own host only.
                same_host = (target.scheme, target.netloc) == (gateway.scheme, gateway.netloc)
                options = client_options(self.config, url, gateway_headers=same_host)
                options["timeout"] = httpx.Timeout(deadline)
                with httpx.stream("GET", url, **options) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = str(target.join(response.headers["location"]))
                        continue
                    if response.status_code != 200:
                        raise MediaError(f"GET {url[:80]} answered {response.status_code}")
                    try:
                        return read_bounded(response, limits, started)
                    finally:
                        with self._lock:
                            self.bytes += response.num_bytes_downloaded
            raise MediaError(f"GET {url[:80]}: more than {MAX_MEDIA_REDIRECTS} redirects")
        except AnswerOutOfBounds as exc:
            if cut_short if exc.late else limits.max_bytes < MAX_MEDIA_BYTES:
                raise self._reach(exc.late) from None
            raise MediaError(f"GET {url[:80]}: {exc}") from None
        except httpx.InvalidURL:
            raise MediaError(f"not a valid URL: {url[:60]!r}") from None
        except httpx.TimeoutException:
            if cut_short:
                raise self._reach(late=True) from None
            raise MediaError(f"GET {url[:80]}: no answer within {deadline:g} s") from None
        except httpx.HTTPError as exc:
            raise MediaError(f"GET {url[:80]} failed: {type(exc).__name__}") from None

    def to_dict(self, planned: dict[str, int]) -> dict[str, object]:
        """The media part of the JSON report: limits, fetches planned and made per operation."""
        return {
            "limits": self.limits.to_dict(),
            "planned": planned,
            "fetched": dict(sorted(self.fetched.items())),
            "fetches": sum(self.fetched.values()),
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "bound_reached": self.bound,
            "unjudged": [
                {"operation": op, "check": check, "answers": n}
                for (op, check), n in sorted(self.unjudged.items())
            ],
        }

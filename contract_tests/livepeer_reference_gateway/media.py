"""In-memory store behind `--media-urls http`: bounded in count, bytes and time."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class MediaStore:
    """PNG bytes kept under random ids, dropped when too old or when a bound is reached."""

    def __init__(
        self,
        ttl_seconds: float,
        max_items: int,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, png: bytes) -> str:
        """Keep `png` and return its id."""
        media_id = secrets.token_urlsafe(16)
        with self._lock:
            self._items[media_id] = (self._clock() + self._ttl, png)
            self._bytes += len(png)
            self._evict()
        return media_id

    def get(self, media_id: str) -> bytes | None:
        """The PNG kept under `media_id`, or None when unknown or expired."""
        with self._lock:
            self._evict()
            item = self._items.get(media_id)
            return item[1] if item is not None else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _evict(self) -> None:
        now = self._clock()
        while self._items:
            media_id, (expires, png) = next(iter(self._items.items()))
            over = len(self._items) > self._max_items or self._bytes > self._max_bytes
            if expires > now and not over:
                break
            del self._items[media_id]
            self._bytes -= len(png)

"""The request budget and rate limit every phase of a run draws from."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

#: Transport failures (timeouts, refused connections) after which a run stops: a gateway that
#: stopped answering would otherwise cost one timeout per remaining request.
MAX_TRANSPORT_FAILURES = 3


class RequestBudget:
    """Counts the requests a run sends, paces them, and tells every phase when to stop."""

    def __init__(self, limit: int, rate_limit: float | None = None) -> None:
        self.limit = limit
        self._interval = 1.0 / rate_limit if rate_limit else 0.0
        self._next_slot = 0.0
        self._spent = 0
        self._transport_failures = 0
        self._held_back = 0
        self._lock = threading.Lock()

    @property
    def spent(self) -> int:
        return self._spent

    @property
    def remaining(self) -> int:
        return max(self.limit - self._spent, 0)

    @property
    def share(self) -> int:
        """Requests the current phase may send in all (the limit less what is held back)."""
        return self.limit - self._held_back

    @property
    def gateway_stopped_answering(self) -> bool:
        return self._transport_failures >= MAX_TRANSPORT_FAILURES

    @property
    def exhausted(self) -> bool:
        """Whether no further request may be sent (in the current phase, when some is held back)."""
        return self._spent >= self.share or self.gateway_stopped_answering

    @contextlib.contextmanager
    def holding_back(self, requests: int) -> Iterator[None]:
        """Keep `requests` of the budget out of reach while the block runs, for later phases."""
        self._held_back = min(requests, self.limit)
        try:
            yield
        finally:
            self._held_back = 0

    def try_spend(self) -> bool:
        """Take one request from the budget, waiting for the rate limit; False when none is left."""
        with self._lock:
            if self.exhausted:
                return False
            self._spent += 1
            now = time.monotonic()
            wait = max(self._next_slot - now, 0.0)
            self._next_slot = max(now, self._next_slot) + self._interval
        if wait:
            time.sleep(wait)
        return True

    def record_transport_failure(self) -> None:
        """Count a request that got no answer (timeout, refused or reset connection)."""
        with self._lock:
            self._transport_failures += 1

    def record_answer(self) -> None:
        """Note that the gateway answered, which resets the run of transport failures."""
        with self._lock:
            self._transport_failures = 0

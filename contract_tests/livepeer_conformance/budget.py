"""The request budget and rate limit every phase of a run draws from, and the run's stop switch."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

#: Transport failures (timeouts, refused connections) after which a run stops: a gateway that
#: stopped answering would otherwise cost one timeout per remaining request.
MAX_TRANSPORT_FAILURES = 3
#: The stop reason of a run stopped by a signal (Ctrl-C, SIGTERM).
INTERRUPTED = "the run was interrupted"


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
        self._stop_reason: str | None = None
        self._on_stop: Callable[[], None] | None = None

    @property
    def spent(self) -> int:
        return self._spent

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

    @property
    def stopping(self) -> bool:
        """Whether the run was told to stop (an interrupt); no phase sends another request."""
        return self._stop_reason is not None

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    @property
    def interrupted(self) -> bool:
        """Whether the run was stopped by a signal (not by `--max-failures`)."""
        return self._stop_reason == INTERRUPTED

    def stop(self, reason: str) -> None:
        """Stop the run: every phase sends nothing more (safe to call from a signal handler)."""
        self._stop_reason = self._stop_reason or reason
        callback = self._on_stop
        if callback is not None:
            callback()

    def on_stop(self, callback: Callable[[], None] | None) -> None:
        """Have `callback` called when the run is stopped (the phase in progress winds down)."""
        self._on_stop = callback

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
            if self.exhausted or self.stopping:
                return False
            self._spent += 1
            wait = self._take_slot()
        if wait:
            time.sleep(wait)
        return True

    def record_spent(self) -> None:
        """Count a request a phase has already sent; hold the next one back for the rate limit."""
        with self._lock:
            self._spent += 1
            # The next request goes out as soon as this returns: it waits a whole interval.
            self._next_slot = time.monotonic() + self._interval
        if self._interval:
            time.sleep(self._interval)

    def _take_slot(self) -> float:
        now = time.monotonic()
        wait = max(self._next_slot - now, 0.0)
        self._next_slot = max(now, self._next_slot) + self._interval
        return wait

    def record_transport_failure(self) -> None:
        """Count a request that got no answer (timeout, refused or reset connection)."""
        with self._lock:
            self._transport_failures += 1

    def record_answer(self) -> None:
        """Note that the gateway answered, which resets the run of transport failures."""
        with self._lock:
            self._transport_failures = 0

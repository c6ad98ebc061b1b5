"""Client-side request pacing shared by every worker thread of one ShippyPro client.

Without throttling the pacer is a no-op. A 429 doubles the minimum spacing between request
starts (from 50 ms up to ``max_interval``) and holds every thread until the server's
``Retry-After`` has passed; each later success shrinks the spacing by 10 % until it vanishes, so a
rate-limited API is slowed down for everyone instead of being hammered by all workers at once.
Sleep and clock are injectable so tests never wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

INITIAL_INTERVAL = 0.05
DECAY = 0.9
NEGLIGIBLE = 0.001


class RequestPacer:
    """Shared pacing of request starts across threads."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, max_interval: float = 5.0) -> None:
        self._sleep = sleep
        self._clock = clock
        self._max_interval = max_interval
        self._lock = threading.Lock()
        self._interval = 0.0
        self._next_slot = 0.0

    @property
    def interval(self) -> float:
        """Current minimum spacing between request starts, in seconds."""
        return self._interval

    def wait_turn(self) -> None:
        """Block until this thread may start a request."""
        with self._lock:
            now = self._clock()
            if self._interval == 0.0 and self._next_slot <= now:
                return
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            delay = slot - now
        if delay > 0:
            self._sleep(delay)

    def throttled(self, retry_after: float) -> None:
        """A 429 arrived: widen the spacing and hold all threads for ``retry_after`` seconds."""
        with self._lock:
            self._interval = min(self._max_interval, max(self._interval * 2, INITIAL_INTERVAL))
            self._next_slot = max(self._next_slot, self._clock() + retry_after)

    def succeeded(self) -> None:
        """A call went through: relax the spacing a little."""
        if self._interval == 0.0:
            return
        with self._lock:
            self._interval *= DECAY
            if self._interval < NEGLIGIBLE:
                self._interval = 0.0

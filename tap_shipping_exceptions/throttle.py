"""Client-side request pacing shared by every call of one ShippyPro client (threads or loop).

Without throttling the pacer is a no-op. Pacing works per *throttling episode*: the first 429 for a
request started after the last widening widens the minimum spacing between request starts (it
doubles, but never to less than the spacing of the success rate measured since the previous
episode) and holds every thread until the server's ``Retry-After`` has passed. 429s for requests
that were already in flight when the spacing was widened belong to the same episode: they honour
their ``Retry-After`` but do not widen again, so a burst of N concurrent 429s widens once, not N
times. Each later success shrinks the spacing by 10 % down to the measured sustainable spacing
(the "floor"), which itself relaxes slowly (0.1 % per success) so a raised server limit is
found again.

The floor is measured only over time the server was actually serving: the measurement window
starts when the Retry-After hold *ends*, and it counts only with at least ``MIN_MEASURE_CALLS``
successes over ``MIN_MEASURE_SECONDS``. A short burst of 429s therefore never sets the floor to
"one call per Retry-After" (which once turned a 1.6 s sync into 286 s): the spacing doubles per
episode and then shrinks 10 % per success back to the rate measured before the burst, within
seconds (BENCHMARKS.md states the figure). Sleep and clock are injectable so tests never wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

INITIAL_INTERVAL = 0.05
DECAY = 0.9
FLOOR_DECAY = 0.999
NEGLIGIBLE = 0.001
MIN_MEASURE_SECONDS = 0.2
MIN_MEASURE_CALLS = 20


class RequestPacer:
    """Shared pacing of request starts across threads."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, max_interval: float = 5.0) -> None:
        self._sleep = sleep
        self._clock = clock
        self._max_interval = max_interval
        self._lock = threading.Lock()
        self._interval = 0.0
        self._floor = 0.0
        self._next_slot = 0.0
        self._generation = 0
        self._episodes = 0
        self._ok = 0
        self._mark_time: float | None = None  # start of the current measurement window
        self._mark_ok = 0

    @property
    def interval(self) -> float:
        """Current minimum spacing between request starts, in seconds."""
        return self._interval

    @property
    def episodes(self) -> int:
        """Throttling episodes so far (times the spacing was widened)."""
        return self._episodes

    def wait_turn(self) -> int:
        """Block until this thread may start a request; return its pacing generation.

        Pass the returned generation to ``throttled`` if the request gets a 429.
        """
        generation, delay = self.reserve()
        if delay > 0:
            self._sleep(delay)
        return generation

    def reserve(self) -> tuple[int, float]:
        """Take the next request slot: (pacing generation, seconds to wait before starting).
        ``wait_turn`` without the wait, for a caller that waits its own way (an event loop)."""
        with self._lock:
            now = self._clock()
            if self._mark_time is None:
                self._mark_time = now
            generation = self._generation
            if self._interval == 0.0 and self._next_slot <= now:
                return generation, 0.0
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            return generation, slot - now

    def throttled(self, retry_after: float, generation: int | None = None) -> None:
        """A 429 arrived for a request started in ``generation`` (None: treat as new).

        The first 429 of an episode widens the spacing; every 429 holds all threads until its
        ``retry_after`` has passed (a maximum, never added up).
        """
        with self._lock:
            now = self._clock()
            self._next_slot = max(self._next_slot, now + retry_after)
            if generation is not None and generation < self._generation:
                return  # in flight before the last widening: same episode, don't compound
            self._generation += 1
            self._episodes += 1
            measured = 0.0
            if self._mark_time is not None:
                elapsed = now - self._mark_time
                done = self._ok - self._mark_ok
                if elapsed >= MIN_MEASURE_SECONDS and done >= MIN_MEASURE_CALLS:
                    measured = elapsed / done  # spacing of the success rate the server allowed
            if measured:
                self._floor = measured
            widened = max(self._interval * 2, self._floor or INITIAL_INTERVAL)
            self._interval = min(self._max_interval, widened)
            self._floor = min(self._floor, self._interval)
            # the next window starts once the hold is over: waiting is not a measured rate
            self._mark_time = max(now, self._next_slot)
            self._mark_ok = self._ok

    def succeeded(self) -> None:
        """A call went through: relax the spacing toward the measured sustainable rate."""
        with self._lock:
            self._ok += 1
            if self._interval == 0.0:
                return
            self._floor *= FLOOR_DECAY
            if self._floor < NEGLIGIBLE:
                self._floor = 0.0
            self._interval = max(self._interval * DECAY, self._floor)
            if self._interval < NEGLIGIBLE:
                self._interval = 0.0

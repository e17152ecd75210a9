"""A tenant's request budget, so that a normal run provokes no 429 at all.

Graph limits `/security` to about N requests per minute per app per tenant, and
every item of a `$batch` counts as one. The budget is a sliding-window log: a
request of weight k (a batch of k items) waits until k slots are free in the
window, then takes them, before it is sent. Graph and the emulator count a
sliding 60 s window on arrival, so the client keeps a slightly longer window and
a couple of percent in hand: the difference absorbs varying latency between
sending and arrival. There is no shorter burst limit, which would only slow
small tenants that finish well inside one window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# The server's window, and the client's: 1/60 longer.
SERVER_WINDOW_S = 60.0
WINDOW_STRETCH = 61 / 60


@dataclass(frozen=True)
class QuotaShape:
    """How many request units the client allows itself per window."""

    limit: int
    window_ms: int = round(SERVER_WINDOW_S * 1000 * WINDOW_STRETCH)

    @classmethod
    def for_quota(
        cls, per_minute: int, *, window_s: float = SERVER_WINDOW_S
    ) -> QuotaShape:
        """The client's own limit under a quota of `per_minute` per `window_s`.

        The quota is per minute; only tests count it over a shorter window, as
        the emulator lets them.
        """
        if per_minute < 1:
            raise ValueError(f"quota_per_minute must be at least 1, not {per_minute}")
        margin = max(1, per_minute // 50) if per_minute > 1 else 0
        return cls(
            limit=per_minute - margin,
            window_ms=round(window_s * 1000 * WINDOW_STRETCH),
        )


class Quota:
    """A blocking, thread-safe budget of weighted requests for one tenant.

    The log is kept here rather than by a rate-limiting library: the one used
    before cost every run about 25 ms of start-up (it imports asyncio and
    multiprocessing) for these few lines. `clock` and `sleep` are for tests.
    """

    def __init__(
        self,
        shape: QuotaShape,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.shape = shape
        self._window_s = shape.window_ms / 1000
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # (when, weight) of every take still inside the window, oldest first.
        self._log: deque[tuple[float, int]] = deque()
        self._in_window = 0

    @property
    def largest_take(self) -> int:
        """The heaviest request the budget can ever admit."""
        return self.shape.limit

    def take(self, weight: int, *, wait: bool = True) -> bool:
        """Take `weight` slots, waiting for them unless `wait` is False.

        Returns whether they were taken; with `wait` it always is.
        """
        if weight > self.largest_take:
            raise ValueError(
                f"a request of weight {weight} can never fit a budget of "
                f"{self.shape.limit} per {self.shape.window_ms} ms"
            )
        while True:
            with self._lock:
                now = self._clock()
                self._forget_before(now - self._window_s)
                if self._in_window + weight <= self.shape.limit:
                    self._log.append((now, weight))
                    self._in_window += weight
                    return True
                if not wait:
                    return False
                delay = self._until_free(weight, now)
            # Another thread may take the slots first; then this waits again.
            self._sleep(delay)

    def _forget_before(self, horizon: float) -> None:
        log = self._log
        while log and log[0][0] <= horizon:
            self._in_window -= log.popleft()[1]

    def _until_free(self, weight: int, now: float) -> float:
        """Seconds until enough of the oldest takes leave the window for `weight`."""
        needed = self._in_window + weight - self.shape.limit
        freed = 0
        for when, taken in self._log:
            freed += taken
            if freed >= needed:
                return max(0.0, when + self._window_s - now)
        return self._window_s

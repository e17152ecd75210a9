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

from dataclasses import dataclass

from pyrate_limiter import (
    InMemoryBucket,
    Limiter,
    MonotonicClock,
    Rate,
    SingleBucketFactory,
)

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
    """A blocking, thread-safe budget of weighted requests for one tenant."""

    def __init__(self, shape: QuotaShape) -> None:
        self.shape = shape
        self._bucket = InMemoryBucket([Rate(shape.limit, shape.window_ms)])
        # The bucket's own clock, read here for leaking.
        self._clock = MonotonicClock()
        # Leaking is done here after each take rather than by pyrate-limiter's
        # background thread, which it would start once per tenant.
        self._limiter = Limiter(SingleBucketFactory(self._bucket, schedule_leak=False))

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
        taken = self._limiter.try_acquire("requests", weight=weight, blocking=wait)
        self._bucket.leak(self._clock.now())
        return bool(taken)

"""Run-time limits: the request quota, injected latency and faults.

Quota follows Graph's /security row (graph-api.md 4.1): a budget per app per
tenant over a sliding window, every $batch item counting one. A throttled
request does not take a slot, so Retry-After is exactly the wait until one
frees; a client that honours it is never throttled twice in a row.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["unavailable", "server_error", "dropped", "slow"]
FAULT_KINDS: tuple[FaultKind, ...] = ("unavailable", "server_error", "dropped", "slow")


@dataclass(frozen=True)
class Limits:
    """What the emulator does to every Graph request; identity stays reliable."""

    latency_ms: float = 0.0
    # Requests per app per tenant per window; 0 turns the quota off.
    quota_per_minute: int = 150
    # Tests shorten the window so that waiting out a 429 takes a moment.
    quota_window_s: float = 60.0
    fault_rate: float = 0.0
    fault_seed: int = 0
    # Longer than any sane client timeout: the client gives up, the write stands.
    slow_response_s: float = 30.0
    # A 503's Retry-After: short, so retrying clients are not slowed much.
    unavailable_retry_after_s: float = 0.2


class Quota:
    """Sliding-window request counts per (app, tenant)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], deque[float]] = {}

    def acquire(
        self, key: tuple[str, str], limit: int, window_s: float, now: float
    ) -> float | None:
        """Take a slot and return None, or return seconds until one frees."""
        if limit <= 0:
            return None
        window = self._windows.setdefault(key, deque())
        horizon = now - window_s
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= limit:
            return window[len(window) - limit] + window_s - now
        window.append(now)
        return None

    def clear(self) -> None:
        self._windows.clear()


def retry_after_header(seconds: float) -> str:
    """Seconds, rounded up to the millisecond ("12", "0.2", "59.873").

    Graph usually sends whole seconds but has sent fractions ("2.128",
    graph-api.md 4.1); exact values keep quota tests and benchmarks quick.
    """
    millis = max(1, math.ceil(seconds * 1000))
    whole, fraction = divmod(millis, 1000)
    return str(whole) if fraction == 0 else f"{whole}.{fraction:03d}".rstrip("0")


class FaultPlan:
    """Which Graph requests fail, decided by seed, tenant and request number.

    The same seed and the same request sequence give the same faults, whatever
    the other tenants do, so a failing run can be replayed.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def draw(self, tenant_id: str, rate: float, seed: int) -> FaultKind | None:
        number = self._counts.get(tenant_id, 0)
        self._counts[tenant_id] = number + 1
        if rate <= 0:
            return None
        digest = hashlib.blake2b(
            f"{seed}:{tenant_id}:{number}".encode(), digest_size=16
        ).digest()
        if int.from_bytes(digest[:8]) / 2**64 >= rate:
            return None
        return FAULT_KINDS[digest[8] % len(FAULT_KINDS)]

    def clear(self) -> None:
        self._counts.clear()

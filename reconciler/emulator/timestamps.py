"""DateTimeOffset values as Graph writes them, counted in 100 ns ticks.

Graph prints seven fractional digits ("2021-09-30T09:35:45.1133333Z"). Python's
datetime stops at microseconds, so comparisons use integer ticks: a watermark
filter must not confuse two updates a few hundred nanoseconds apart.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from functools import lru_cache

TICKS_PER_SECOND = 10_000_000

_PATTERN = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})$"
)


def now_ticks() -> int:
    return time.time_ns() // 100


@lru_cache(maxsize=65536)
def to_ticks(text: str) -> int | None:
    """Ticks since the epoch of an ISO 8601 DateTimeOffset, or None if malformed."""
    match = _PATTERN.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        whole = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    offset = 0
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    seconds = int(whole.timestamp()) - offset
    sub = int((fraction or "0")[:7].ljust(7, "0"))
    return seconds * TICKS_PER_SECOND + sub


def format_ticks(ticks: int) -> str:
    """Graph's form: seconds precision in UTC, seven fractional digits, 'Z'."""
    seconds, sub = divmod(ticks, TICKS_PER_SECOND)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{sub:07d}Z"

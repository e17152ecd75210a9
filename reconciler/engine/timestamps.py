"""Graph's DateTimeOffset values, compared exactly.

Graph prints up to seven fractional digits (100 ns ticks); Python's datetime
stops at microseconds. Watermarks are compared and advanced in ticks so that two
updates a few hundred nanoseconds apart are never confused.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

TICKS_PER_SECOND = 10_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MICROSECOND = timedelta(microseconds=1)

_PATTERN = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$"
)
# Graph's usual form, "2021-09-30T09:35:45.1133333Z": fixed width, so such
# values order as strings do.
_USUAL_LENGTH = 28


def to_ticks(text: str) -> int | None:
    """100 ns ticks since the epoch, or None when the text is not a timestamp."""
    match = _PATTERN.match(text)
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    seconds = (moment - _EPOCH) // _ONE_SECOND
    return seconds * TICKS_PER_SECOND + int((fraction or "0")[:7].ljust(7, "0"))


def datetime_ticks(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_MICROSECOND * 10


def format_ticks(ticks: int) -> str:
    """Graph's own form: UTC, seven fractional digits, 'Z'."""
    seconds, sub = divmod(ticks, TICKS_PER_SECOND)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{sub:07d}Z"


def newest(stamps: Collection[str]) -> str | None:
    """The latest of some timestamps, as sent; unparsable ones are ignored."""
    if not stamps:
        return None
    if all(
        len(stamp) == _USUAL_LENGTH and stamp[19] == "." and stamp[-1] == "Z"
        for stamp in stamps
    ):
        return max(stamps)
    best: str | None = None
    best_ticks = -1
    for stamp in stamps:
        ticks = to_ticks(stamp)
        if ticks is not None and ticks > best_ticks:
            best, best_ticks = stamp, ticks
    return best

"""Retries: Retry-After is obeyed, other failures back off, both within a budget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from live_support import SleepRecorder

from reconciler.live import ServiceError, ThrottledError
from reconciler.live.retrying import (
    RetryableFailure,
    RetryPolicy,
    parse_retry_after,
    retrying,
)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("10", 10.0),
        ("2.128", 2.128),
        ("0", 0.0),
        ("-3", 0.0),
        (None, None),
        ("soon", None),
    ],
)
def test_retry_after_is_read_as_seconds(
    value: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_may_be_a_date() -> None:
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("Tue, 01 Dec 2026 12:00:07 GMT", now=now) == 7.0


def test_the_server_s_retry_after_is_waited_before_retrying() -> None:
    sleep = SleepRecorder()
    answers = iter([RetryableFailure("429", throttled=True, retry_after=2.5)])

    def attempt() -> str:
        failure = next(answers, None)
        if failure is not None:
            raise failure
        return "done"

    result = retrying(RetryPolicy(sleep=sleep), "contoso: GET")(attempt)

    assert result == "done"
    assert sleep.waits == [2.5]


def test_failures_without_retry_after_back_off_exponentially_within_bounds() -> None:
    sleep = SleepRecorder()
    policy = RetryPolicy(
        attempts=5, backoff_initial_s=1.0, backoff_max_s=3.0, sleep=sleep
    )

    def attempt() -> None:
        raise RetryableFailure("HTTP 500")

    with pytest.raises(RetryableFailure):
        retrying(policy, "contoso: GET")(attempt)

    assert len(sleep.waits) == 4
    lower_bounds = [1.0, 2.0, 3.0, 3.0]
    for wait, lower in zip(sleep.waits, lower_bounds, strict=True):
        assert lower <= wait <= lower + 1.0


def test_a_retry_after_beyond_the_budget_ends_the_retries_at_once() -> None:
    sleep = SleepRecorder()
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise RetryableFailure("HTTP 429", throttled=True, retry_after=61.0)

    with pytest.raises(RetryableFailure):
        retrying(RetryPolicy(budget_s=60.0, sleep=sleep), "contoso: GET")(attempt)

    assert calls == [1]
    assert sleep.waits == []


def test_an_exhausted_throttling_says_what_was_throttled_and_what_to_do() -> None:
    error = RetryableFailure("HTTP 429 TooManyRequests", throttled=True).exhausted(
        "listing incidents in tenant contoso"
    )

    assert isinstance(error, ThrottledError)
    assert str(error) == (
        "listing incidents in tenant contoso was throttled beyond the retry budget "
        "(HTTP 429 TooManyRequests); try again later or lower quota_per_minute"
    )


def test_an_exhausted_outage_is_a_service_error() -> None:
    error = RetryableFailure("HTTP 502").exhausted(
        "listing incidents in tenant contoso"
    )

    assert isinstance(error, ServiceError)
    assert str(error) == (
        "listing incidents in tenant contoso kept failing (HTTP 502); try again later"
    )

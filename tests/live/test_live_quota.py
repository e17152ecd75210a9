"""The per-tenant budget: weighted, sliding, a little under the quota."""

from __future__ import annotations

import pytest

from reconciler.live.quota import Quota, QuotaShape


@pytest.mark.parametrize(
    ("per_minute", "limit"), [(150, 147), (1200, 1176), (20, 19), (1, 1)]
)
def test_the_client_keeps_a_margin_under_the_quota(per_minute: int, limit: int) -> None:
    shape = QuotaShape.for_quota(per_minute)

    assert shape == QuotaShape(limit=limit, window_ms=61_000)


def test_a_quota_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="quota_per_minute must be at least 1, not 0"):
        QuotaShape.for_quota(0)


def test_a_batch_of_k_items_takes_k_slots() -> None:
    quota = Quota(QuotaShape(limit=25))

    assert quota.take(20, wait=False)
    assert not quota.take(6, wait=False)
    assert quota.take(5, wait=False)
    assert not quota.take(1, wait=False)


def test_a_request_heavier_than_the_whole_budget_is_refused() -> None:
    quota = Quota(QuotaShape(limit=10))

    with pytest.raises(ValueError, match="weight 11 can never fit a budget of 10"):
        quota.take(11)


class _FakeTime:
    """A clock that only moves when the quota sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_slots_come_back_once_their_take_leaves_the_window() -> None:
    fake = _FakeTime()
    quota = Quota(QuotaShape(limit=10, window_ms=2_000), clock=fake.clock)

    assert quota.take(10, wait=False)
    fake.now += 1.999
    assert not quota.take(1, wait=False)
    fake.now += 0.001
    assert quota.take(10, wait=False)


def test_a_waiting_take_sleeps_until_the_oldest_takes_free_enough_slots() -> None:
    fake = _FakeTime()
    quota = Quota(
        QuotaShape(limit=10, window_ms=2_000), clock=fake.clock, sleep=fake.sleep
    )
    quota.take(4)
    fake.now += 0.5
    quota.take(6)

    assert quota.take(5)
    # The first take (4) is not enough for 5 more slots; the second frees them.
    assert fake.slept == [2.0]

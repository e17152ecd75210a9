"""Fixtures of the live-layer tests that run against the in-process fake cloud.

A test module provides `cloud` (a FakeCloud seeded as it needs); `contoso` is then
a TenantClient signed in to it, retrying without real sleeps.
"""

from __future__ import annotations

import pytest
from live_support import (
    SECRET,
    SECRET_ENV,
    FakeCloud,
    SleepRecorder,
    fast_policy,
    make_spec,
)

from reconciler.live import TenantClient


@pytest.fixture
def sleep() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def contoso(
    cloud: FakeCloud, sleep: SleepRecorder, monkeypatch: pytest.MonkeyPatch
) -> TenantClient:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return cloud.client(fast_policy(sleep)).tenant(make_spec())

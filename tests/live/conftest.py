"""Fixtures of the live-layer tests."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(autouse=True)
def reconciler_logs_reach_caplog(monkeypatch: pytest.MonkeyPatch) -> None:
    # The command line stops the package logger propagating to the root logger;
    # a CLI test run earlier in the same worker must not hide logs from caplog.
    monkeypatch.setattr(logging.getLogger("reconciler"), "propagate", True)

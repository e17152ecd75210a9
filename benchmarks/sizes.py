"""The scenarios `python -m benchmarks` runs, at full size and at a tiny one.

Each entry is a zero-argument callable returning the scenario's JSON line. The
tiny sizes only prove the harness works; their figures mean nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from benchmarks.workload import Workload

Scenario = Callable[[], dict[str, Any]]

NAMES = ("quota", "latency", "scale", "load", "emulator", "startup", "hostile")

TINY_QUOTA = Workload(
    tenants=2, live=120, declared=60, changed=25, quota_per_minute=6000
)
TINY_LATENCY = Workload(
    tenants=2, live=40, declared=40, changed=5, quota_per_minute=10_000
)
TINY_SCALE = Workload(
    tenants=2, live=40, declared=40, changed=4, quota_per_minute=150, alerts=10
)


def full() -> dict[str, Scenario]:
    return {
        "quota": lambda: _module("quota").run(),
        "latency": lambda: _module("latency").run(),
        "scale": lambda: _module("scale").run(),
        "load": lambda: _module("load_state").run(),
        "emulator": lambda: _module("emulator_rate").run(),
        "startup": lambda: _module("startup").run(),
        "hostile": lambda: _module("hostile").run(),
    }


def tiny() -> dict[str, Scenario]:
    return {
        "quota": lambda: _module("quota").run(TINY_QUOTA, latency_ms=0),
        "latency": lambda: _module("latency").run(TINY_LATENCY, latency_ms=0),
        "scale": lambda: _module("scale").run(TINY_SCALE, small_tenants=1, runs=1),
        "load": lambda: _module("load_state").run(tenants=2, items_per_tenant=50),
        "emulator": lambda: _module("emulator_rate").run(requests=50, threads=2),
        "startup": lambda: _module("startup").run(runs=1),
        "hostile": lambda: _module("hostile").run(limit=3),
    }


def _module(name: str) -> Any:
    # Imported when run, so one scenario's imports do not slow another's start.
    return importlib.import_module(f"benchmarks.{name}")

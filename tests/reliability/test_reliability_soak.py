"""Fault soak: plan and apply many changes while Graph fails one request in five.

The emulator fails 20% of Graph requests, mixing 503 with Retry-After, 500, a
connection dropped after the work was done, and a response slower than the
client's timeout (the write stands, the answer is lost). The client's timeout
is shortened to match, through the engine's own knob (`GraphClient(timeout=)`);
the command line has none. Then, after at most two applies: every planned item
is live as desired, nothing else was written, every write carried exactly the
desired values, a new plan has nothing to do, and every write used a token of
the tenant written to.

`pytest -s` prints the counts; the slow soak is 10 tenants of 300 changes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    CLIENT_SECRET,
    SECRET_ENV,
    Key,
    Workload,
    endpoints_of,
    live_fields,
    write_fields,
    write_key,
)

from reconciler.desired.loading import load_repository
from reconciler.desired.models import DesiredState, TenantSpec
from reconciler.emulator import EmulatorServer, start_emulator
from reconciler.engine.applying import ApplyOptions, apply_plan
from reconciler.engine.guards import check_plan
from reconciler.engine.planning import build_plan
from reconciler.engine.plans import Plan
from reconciler.engine.results import ApplyReport
from reconciler.live import GraphClient
from reconciler.live.retrying import RetryPolicy

FAULT_RATE = 0.2
# The emulator's slow answers outlast the client's timeout by a wide margin.
CLIENT_TIMEOUT_S = 1.0
SLOW_RESPONSE_S = 3.0
# Quota counted per 2 s instead of per minute, by emulator and client alike.
QUOTA_WINDOW_S = 2.0
RETRY = RetryPolicy(attempts=6, budget_s=60, backoff_initial_s=0.05, backoff_max_s=1)
FAULT_KINDS = {
    "HTTP 503": "503 + Retry-After",
    "HTTP 500": "500",
    "dropped": "dropped connection",
    "in time": "slow response",
    "HTTP 429": "429",
}


@dataclass
class SoakResult:
    plan: Plan
    reports: list[ApplyReport]
    replan: Plan
    writes: list[dict[str, Any]]
    stats: dict[str, Any]
    retries: Counter[str]
    seconds: float
    # Planned items whose live fields differ from the desired ones at the end.
    differing: dict[Key, dict[str, Any]]


class RetryReasons(logging.Handler):
    """Sorts the live layer's retry warnings by the failure that caused them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        reason = str(record.args[1]) if isinstance(record.args, tuple) else ""
        kind = next((k for marker, k in FAULT_KINDS.items() if marker in reason), None)
        self.kinds[kind or f"other: {reason[:60]}"] += 1


def test_a_small_soak_under_faults_converges_and_writes_only_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workload = Workload(tenants=3, changes=40)
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)

    result = soak(workload, tmp_path, fault_seed=7)

    check(result, workload)


@pytest.mark.slow
def test_a_soak_of_ten_tenants_under_faults_converges_and_writes_only_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workload = Workload(tenants=10, changes=300)
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)

    result = soak(workload, tmp_path, fault_seed=2026)

    check(result, workload)
    # At this size every kind of fault is certain to have been met.
    assert {"503 + Retry-After", "500", "dropped connection", "slow response"} <= set(
        result.retries
    )


def soak(workload: Workload, tmp_path: Path, *, fault_seed: int) -> SoakResult:
    started = time.monotonic()
    root = workload.write_repository(tmp_path / "repo")
    state = load_repository(root)
    specs = {slug: tenant.spec for slug, tenant in state.tenants.items()}
    reasons = RetryReasons()
    retry_log = logging.getLogger("reconciler.live.retrying")
    retry_log.addHandler(reasons)
    try:
        with start_emulator(
            seed=workload.seed(), state_dir=tmp_path / "emulator"
        ) as emulator:
            emulator.configure(
                quota_window_s=QUOTA_WINDOW_S,
                fault_rate=FAULT_RATE,
                fault_seed=fault_seed,
                slow_response_s=SLOW_RESPONSE_S,
            )
            plan = make_plan(emulator, state)
            reports = []
            for _ in range(2):
                reports.append(apply(emulator, plan, specs, root))
                if reports[-1].succeeded():
                    break
            replan = make_plan(emulator, state)
            writes, stats = emulator.writes(), emulator.stats()
            differing = _differing(emulator, workload)
    finally:
        retry_log.removeHandler(reasons)
    seconds = time.monotonic() - started
    result = SoakResult(
        plan, reports, replan, writes, stats, reasons.kinds, seconds, differing
    )
    _print_counts(workload, result)
    return result


def make_plan(emulator: EmulatorServer, state: DesiredState) -> Plan:
    endpoints = endpoints_of(emulator)
    with _client(emulator) as client:
        plan = build_plan(
            state,
            client.tenant,
            endpoints=endpoints,
            now=datetime.now(UTC).replace(microsecond=0),
        )
    check_plan(plan, specs={slug: t.spec for slug, t in state.tenants.items()})
    return plan


def apply(
    emulator: EmulatorServer, plan: Plan, specs: dict[str, TenantSpec], root: Path
) -> ApplyReport:
    with _client(emulator) as client:
        return apply_plan(plan, specs, client.tenant, ApplyOptions(root=root))


def check(result: SoakResult, workload: Workload) -> None:
    expected = workload.expected()
    assert result.plan.is_complete()
    assert _planned(result.plan, workload) == expected
    assert len(result.reports) <= 2
    assert result.reports[-1].succeeded(), result.reports[-1].counts()
    assert result.differing == {}
    # Nothing outside the plan was written; every planned item was.
    assert {write_key(write) for write in result.writes} == set(expected)
    wrong = [w for w in result.writes if write_fields(w) != expected[write_key(w)]]
    assert wrong == []
    assert result.replan.is_complete()
    assert not result.replan.has_changes()
    # Each write went with a token of the tenant written to; every request was
    # counted for a tenant whose own token it carried.
    assert all(w["token_tenant_id"] == w["tenant_id"] for w in result.writes)
    per_tenant = Counter(write["tenant_id"] for write in result.writes)
    tenants = result.stats["tenants"]
    assert {tid: counters["writes"] for tid, counters in tenants.items()} == {
        workload.tenant_id(index): per_tenant[workload.tenant_id(index)]
        for index in range(workload.tenants)
    }
    assert result.stats["totals"]["graph_requests"] == sum(
        counters["graph_requests"] for counters in tenants.values()
    )
    assert result.stats["totals"]["faults"] > 0


def _planned(plan: Plan, workload: Workload) -> dict[Key, dict[str, Any]]:
    ids = {workload.slug(index): workload.tenant_id(index) for index in range(99)}
    return {
        (ids[tenant.slug], item.kind, item.id): item.patch_body()
        for tenant in plan.tenants
        for item in tenant.changes
    }


def _differing(emulator: EmulatorServer, workload: Workload) -> dict[Key, Any]:
    """Planned items not live as desired, with their live values."""
    live = {
        key: live_fields(emulator, key, list(fields))
        for key, fields in workload.expected().items()
    }
    return {
        key: live[key]
        for key, fields in workload.expected().items()
        if live[key] != fields
    }


def _client(emulator: EmulatorServer) -> GraphClient:
    return GraphClient(
        endpoints_of(emulator),
        timeout=CLIENT_TIMEOUT_S,
        retry=RETRY,
        quota_window_s=QUOTA_WINDOW_S,
    )


def _print_counts(workload: Workload, result: SoakResult) -> None:
    totals = result.stats["totals"]
    applied = sum(report.counts()["applied"] for report in result.reports)
    print(
        f"\nsoak {workload.tenants}x{workload.changes}: "
        f"{len(result.reports)} apply run(s), {applied} items applied, "
        f"{len(result.writes)} writes for "
        f"{sum(len(t.changes) for t in result.plan.tenants)} planned items, "
        f"{sum(result.retries.values())} retries {dict(result.retries)}, "
        f"{totals['faults']} faults injected, {totals['throttled']} throttled, "
        f"{totals['graph_requests']} Graph requests, "
        f"{totals['token_requests']} token requests, {result.seconds:.1f} s"
    )

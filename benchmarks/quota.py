"""Quota: many changes per tenant under a per-tenant request quota.

Four tenants of 3,000 live incidents each declare 1,500 of them, 1,000 differing
from live. `reconciler plan --out FILE` and `reconciler apply FILE` run as
separate processes against the emulator with a quota of 6,000 requests per
minute per tenant (the client told the same through reconciler.yaml) and 10 ms of
latency. The floor per tenant is the fewest requests the job can take (read,
one staleness check, one write per change), and the time the quota allows for
them. Prints one JSON line:
{"scenario": "quota", "requests", "floor_requests", "wall_s", "quota_floor_s",
"throttled"}. Targets: requests <= 1.10 * floor_requests, wall_s <= 1.25 *
quota_floor_s, throttled == 0.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.commands import (
    compile_bytecode,
    emulator_env,
    graph_requests,
    plan_and_apply,
)
from benchmarks.workload import Workload, seed, write_repository
from reconciler.emulator import start_emulator

WORKLOAD = Workload(
    tenants=4, live=3000, declared=1500, changed=1000, quota_per_minute=6000
)
LATENCY_MS = 10


def run(
    workload: Workload = WORKLOAD, latency_ms: float = LATENCY_MS
) -> dict[str, Any]:
    compile_bytecode()
    with (
        tempfile.TemporaryDirectory(prefix="bench-quota-") as scratch,
        start_emulator(
            seed=seed(workload),
            latency_ms=latency_ms,
            quota_per_minute=workload.quota_per_minute,
        ) as server,
    ):
        root = Path(scratch)
        write_repository(workload, root)
        wall_s = plan_and_apply(root, emulator_env(server))
        counted = graph_requests(server)

    floors = workload.floor_requests()
    per_second = workload.quota_per_minute / 60
    return {
        "scenario": "quota",
        "requests": sum(tenant["requests"] for tenant in counted.values()),
        "floor_requests": sum(floors),
        "wall_s": round(wall_s, 3),
        "quota_floor_s": round(max(floor / per_second for floor in floors), 3),
        "throttled": sum(tenant["throttled"] for tenant in counted.values()),
    }


if __name__ == "__main__":
    print(json.dumps(run()), flush=True)

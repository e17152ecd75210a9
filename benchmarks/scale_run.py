"""One size of the scale benchmark, measured in this process alone.

    python -m benchmarks.scale_run ROOT WORKLOAD_JSON

ROOT holds the triage repository of the workload (benchmarks.workload); its live
state is built here as in-memory items, so no HTTP is involved. The CPU time
covers loading and validating the repository, reading and diffing every tenant,
building and sealing the plan, checking its guardrails and rendering it as JSON;
imports and building the live state come before the clock starts. Prints one
JSON line: {"items", "cpu_s", "peak_rss_mb", "changes", "plan_bytes",
"cache_hits"}.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.workload import LAST_UPDATE, LIVE_FIELDS, Workload
from reconciler.config import Endpoints
from reconciler.desired.loading import load_repository
from reconciler.desired.models import TenantSpec
from reconciler.engine.guards import check_plan
from reconciler.engine.memory import MemoryReader
from reconciler.engine.planning import build_plan
from reconciler.live.records import LiveItem
from reconciler.render import plan_json

ENDPOINTS = Endpoints(
    authority_host="https://login.microsoftonline.com",
    graph_url="https://graph.microsoft.com/v1.0",
)
LIVE_ALERT_FIELDS: dict[str, Any] = {
    "status": "new",
    "assignedTo": None,
    "classification": "unknown",
    "determination": "unknown",
}


def measure(root: Path, workload: Workload) -> dict[str, Any]:
    readers = live_state(workload)
    started = time.process_time()

    state = load_repository(root)
    plan = build_plan(
        state,
        lambda spec: readers[spec.tenant_id],
        endpoints=ENDPOINTS,
        now=datetime.now(UTC).replace(microsecond=0),
    )
    specs: dict[str, TenantSpec] = {
        slug: tenant.spec for slug, tenant in state.tenants.items()
    }
    check_plan(plan, specs=specs, command="reconciler")
    document = plan_json.render_plan(plan)

    cpu_s = time.process_time() - started
    return {
        "items": state.count("incident") + state.count("alert"),
        "cpu_s": round(cpu_s, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "changes": sum(len(tenant.changes) for tenant in plan.tenants),
        "plan_bytes": len(document.encode()),
    }


def live_state(workload: Workload) -> dict[str, MemoryReader]:
    """Each tenant's live incidents and alerts, by tenant id."""
    readers = {}
    tags: tuple[str, ...] = ()
    incident_fields = {**LIVE_FIELDS, "customTags": tags}
    for index in range(workload.tenants):
        incidents = (
            LiveItem(
                kind="incident",
                id=workload.incident_id(index, number),
                fields=dict(incident_fields),
                last_update=LAST_UPDATE,
            )
            for number in range(workload.live)
        )
        alerts = (
            LiveItem(
                kind="alert",
                id=workload.alert_id(index, number),
                fields=dict(LIVE_ALERT_FIELDS),
                last_update=LAST_UPDATE,
            )
            for number in range(workload.alerts)
        )
        reader = MemoryReader(incidents)
        for alert in alerts:
            reader.put(alert)
        readers[workload.tenant_id(index)] = reader
    return readers


def _peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    given = Workload(**json.loads(sys.argv[2]))
    print(json.dumps(measure(Path(sys.argv[1]), given)), flush=True)

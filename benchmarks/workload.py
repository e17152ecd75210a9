"""Generated workloads: an emulator seed, the triage repository declaring it, and
the same live state as in-memory items.

Live incidents start active, unassigned and unclassified. Every declared item
manages all its fields, as analysts write them; a chosen number of the declared
incidents differ from live in status, classification, determination and tags
(never the assignee, so one plan may span tenants). Alerts, when asked for, are
declared as they are live: they cost the loader and the diff, and plan nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLIENT_ID = "0b7c6d5e-4f3a-4b2c-9d1e-000000000b01"
CLIENT_SECRET = "bench-secret-not-for-production"
SECRET_ENV = "BENCH_CLIENT_SECRET"
ROLES = ["SecurityIncident.ReadWrite.All", "SecurityAlert.ReadWrite.All"]
LAST_UPDATE = "2026-11-30T08:00:00.0000000Z"
PAGE_SIZE = 50

# The fields of an incident as the seed holds it and as a changed one is declared.
LIVE_FIELDS: dict[str, Any] = {
    "status": "active",
    "assignedTo": None,
    "classification": "unknown",
    "determination": "unknown",
    "customTags": [],
}
CHANGED_LINES = (
    "    assignee: null",
    "    status: resolved",
    "    classification: truePositive",
    "    determination: malware",
    "    tags: [benchmark]",
)
UNCHANGED_LINES = (
    "    assignee: null",
    "    status: active",
    "    classification: unknown",
    "    determination: unknown",
    "    tags: []",
)
ALERT_LINES = (
    "    assignee: null",
    "    status: new",
    "    classification: unknown",
    "    determination: unknown",
)


@dataclass(frozen=True)
class Workload:
    tenants: int
    live: int
    declared: int
    changed: int
    quota_per_minute: int = 150
    # Alerts per tenant, all declared and none changed.
    alerts: int = 0

    def tenant_id(self, index: int) -> str:
        return f"00000000-0000-4000-8000-{index + 1:012d}"

    def slug(self, index: int) -> str:
        return f"tenant-{index + 1:03d}"

    def incident_id(self, index: int, number: int) -> str:
        return str(100_000 * (index + 1) + number)

    def alert_id(self, index: int, number: int) -> str:
        return f"da{index + 1:04d}{number:08d}_bench"

    @property
    def items(self) -> int:
        """Declared items in all tenants."""
        return self.tenants * (self.declared + self.alerts)

    def floor_requests(self) -> list[int]:
        """Per tenant: read, one staleness check, one write per change."""
        pages = math.ceil(self.live / PAGE_SIZE)
        return [min(pages, self.declared) + 1 + self.changed] * self.tenants


def seed(workload: Workload) -> dict[str, Any]:
    """The emulator seed: every tenant's live incidents and the app's consents."""
    tenants = []
    for index in range(workload.tenants):
        incidents = [
            {
                "id": workload.incident_id(index, number),
                "displayName": f"Suspicious activity {number}",
                "severity": "medium",
                "lastUpdateDateTime": LAST_UPDATE,
                **LIVE_FIELDS,
            }
            for number in range(workload.live)
        ]
        tenants.append(
            {
                "tenant_id": workload.tenant_id(index),
                "name": workload.slug(index),
                "incidents": incidents,
                "alerts": [],
            }
        )
    consents = {tenant["tenant_id"]: ROLES for tenant in tenants}
    app = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "consents": consents}
    return {"apps": [app], "tenants": tenants}


def write_repository(workload: Workload, root: Path) -> None:
    """The triage repository declaring `workload` under `root`."""
    (root / "reconciler.yaml").write_text(
        "defaults:\n"
        f"  client_id: {CLIENT_ID}\n"
        f"  quota_per_minute: {workload.quota_per_minute}\n"
    )
    for index in range(workload.tenants):
        tenant_dir = root / "state" / workload.slug(index)
        tenant_dir.mkdir(parents=True)
        (tenant_dir / "tenant.yaml").write_text(
            f"tenant_id: {workload.tenant_id(index)}\n"
            f"display_name: Tenant {index + 1}\n"
            f"credential:\n  secret_env: {SECRET_ENV}\n"
        )
        (tenant_dir / "incidents.yaml").write_text(_incidents_file(workload, index))
        if workload.alerts:
            (tenant_dir / "alerts.yaml").write_text(_alerts_file(workload, index))


def _incidents_file(workload: Workload, index: int) -> str:
    lines = ["incidents:"]
    for number in range(workload.declared):
        lines.append(f'  "{workload.incident_id(index, number)}":')
        lines += CHANGED_LINES if number < workload.changed else UNCHANGED_LINES
    return "\n".join(lines) + "\n"


def _alerts_file(workload: Workload, index: int) -> str:
    lines = ["alerts:"]
    for number in range(workload.alerts):
        lines.append(f"  {workload.alert_id(index, number)}:")
        lines += ALERT_LINES
    return "\n".join(lines) + "\n"

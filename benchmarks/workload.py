"""Generated workloads: an emulator seed and the triage repository declaring it.

Live incidents start active, unassigned and unclassified; a chosen number of the
declared ones differ from live in status, classification, determination and tags
(never the assignee, so one plan may span tenants).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLIENT_ID = "0b7c6d5e-4f3a-4b2c-9d1e-000000000b01"
CLIENT_SECRET = "bench-secret-not-for-production"
SECRET_ENV = "BENCH_CLIENT_SECRET"
ROLES = ["SecurityIncident.ReadWrite.All", "SecurityAlert.ReadWrite.All"]


@dataclass(frozen=True)
class Workload:
    tenants: int
    live: int
    declared: int
    changed: int
    quota_per_minute: int

    def tenant_id(self, index: int) -> str:
        return f"00000000-0000-4000-8000-{index + 1:012d}"

    def slug(self, index: int) -> str:
        return f"tenant-{index + 1:03d}"

    def incident_id(self, index: int, number: int) -> str:
        return str(100_000 * (index + 1) + number)

    def floor_requests(self) -> list[int]:
        """Per tenant: read, one staleness check, one write per change."""
        pages = -(-self.live // 50)
        return [min(pages, self.declared) + 1 + self.changed] * self.tenants


def seed(workload: Workload) -> dict[str, Any]:
    tenants = []
    for index in range(workload.tenants):
        incidents = [
            {
                "id": workload.incident_id(index, number),
                "displayName": f"Suspicious activity {number}",
                "status": "active",
                "assignedTo": None,
                "classification": "unknown",
                "determination": "unknown",
                "customTags": [],
                "severity": "medium",
                "lastUpdateDateTime": "2026-11-30T08:00:00.0000000Z",
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
        lines = ["incidents:"]
        for number in range(workload.declared):
            lines.append(f'  "{workload.incident_id(index, number)}":')
            if number < workload.changed:
                lines += [
                    "    status: resolved",
                    "    classification: truePositive",
                    "    determination: malware",
                    "    tags: [benchmark]",
                ]
            else:
                lines.append("    status: active")
        (tenant_dir / "incidents.yaml").write_text("\n".join(lines) + "\n")

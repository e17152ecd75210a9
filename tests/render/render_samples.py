"""Small, fixed plans and apply reports the rendering tests share."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.engine.plans import (
    ItemChange,
    Notice,
    Plan,
    PlanEndpoints,
    TenantPlan,
)
from reconciler.engine.results import ApplyReport, ItemOutcome, TenantResult

CREATED = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
CONTOSO_ID = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM_ID = "7a2b9c4d-0000-4000-8000-000000000002"
CLIENT_ID = "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"


def change(
    kind: str, identifier: str, source: str, *fields: tuple[str, object, object]
) -> ItemChange:
    return ItemChange.model_validate(
        {
            "kind": kind,
            "id": identifier,
            "changes": [
                {"field": name, "before": before, "after": after}
                for name, before, after in fields
            ],
            "fingerprint": f"fp-{identifier}",
            "last_update": "2026-12-03T17:55:00Z",
            "source": source,
        }
    )


def tenant(
    slug: str,
    tenant_id: str,
    display_name: str,
    changes: list[ItemChange],
    notices: list[Notice] | None = None,
    quota: int = 150,
) -> TenantPlan:
    return TenantPlan(
        slug=slug,
        tenant_id=tenant_id,
        display_name=display_name,
        client_id=CLIENT_ID,
        quota_per_minute=quota,
        watermarks={"incident": "2026-12-03T17:55:00Z", "alert": None},
        changes=changes,
        notices=notices or [],
        read_requests=2,
    )


def plan(*tenants: TenantPlan) -> Plan:
    return Plan(
        created_at=CREATED,
        expires_at=EXPIRES,
        endpoints=PlanEndpoints(
            authority_host="https://login.microsoftonline.com",
            graph_url="https://graph.microsoft.com/v1.0",
        ),
        commit="9f1e2d3c4b5a69788796a5b4c3d2e1f009182736",
        tenants=list(tenants),
    ).sealed()


def demo_plan() -> Plan:
    """Two tenants: assignments, tags, statuses, and each kind of notice."""
    contoso = tenant(
        "contoso",
        CONTOSO_ID,
        "Contoso",
        changes=[
            change(
                "alert",
                "da637551227677560813_-961444813",
                "state/contoso/alerts.yaml:4:3",
                ("status", "new", "inProgress"),
            ),
            change(
                "incident",
                "2972401",
                "state/contoso/incidents.yaml:11:3",
                ("status", "active", "resolved"),
                ("classification", "unknown", "truePositive"),
                ("determination", "unknown", "multiStagedAttack"),
            ),
            change(
                "incident",
                "2972395",
                "state/contoso/incidents.yaml:5:3",
                ("assignedTo", None, "kai@contoso.com"),
                ("customTags", ["demo"], ["escalated", "ransomware"]),
            ),
        ],
        notices=[
            Notice(
                kind="incident",
                id="2972420",
                reason="redirected",
                detail="merged into incident 2972433; declare that incident instead",
                source="state/contoso/incidents.yaml:24:3",
            ),
            Notice(
                kind="incident",
                id="2972415",
                reason="awaitingAction",
                detail="only Defender Experts may change it",
                source="state/contoso/incidents.yaml:19:3",
            ),
        ],
    )
    fabrikam = tenant(
        "fabrikam",
        FABRIKAM_ID,
        "Fabrikam",
        changes=[
            change(
                "incident",
                "421",
                "state/fabrikam/incidents.yaml:9:3",
                ("customTags", None, ["phishing"]),
            ),
        ],
        notices=[
            Notice(
                kind="alert",
                id="fa8e1d2c3b4a5f6e_1284307699",
                reason="unknown",
                detail="the read failed with HTTP 503 after 3 attempts",
                source="state/fabrikam/alerts.yaml:7:3",
            ),
        ],
        quota=60,
    )
    quiet = tenant("northwind", "1b2c3d4e-0000-4000-8000-000000000003", "Northwind", [])
    return plan(fabrikam, quiet, contoso)


def demo_report() -> ApplyReport:
    return ApplyReport(
        plan_hash="sha256:" + "ab" * 32,
        started_at=CREATED,
        finished_at=CREATED,
        tenants=[
            TenantResult(
                slug="fabrikam",
                error="credential FABRIKAM_CLIENT_SECRET is not set",
            ),
            TenantResult(
                slug="contoso",
                requests=6,
                outcomes=[
                    ItemOutcome(
                        kind="incident",
                        id="2972395",
                        status="applied",
                        fields=["assignedTo", "customTags"],
                    ),
                    ItemOutcome(
                        kind="incident",
                        id="2972401",
                        status="stale",
                        fields=["status", "classification", "determination"],
                        detail="status changed live from active to inProgress",
                    ),
                    ItemOutcome(
                        kind="alert",
                        id="da637551227677560813_-961444813",
                        status="failed",
                        fields=["status"],
                        detail="HTTP 400 BadRequest: invalid status transition",
                    ),
                    ItemOutcome(
                        kind="alert",
                        id="da637551227677560814_-116173492",
                        status="unchanged",
                        fields=["status"],
                    ),
                ],
            ),
        ],
    )

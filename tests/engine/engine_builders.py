"""Builders for engine tests: desired state and live items in memory, no network."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.config import Endpoints
from reconciler.desired.models import (
    AssigneePolicy,
    Credential,
    DesiredItem,
    DesiredState,
    FieldValue,
    Kind,
    RepositorySettings,
    SourceLocation,
    TenantSpec,
    TenantState,
)
from reconciler.engine.fingerprints import fingerprint
from reconciler.engine.memory import MemoryReader
from reconciler.engine.plans import (
    FieldChange,
    ItemChange,
    Plan,
    PlanEndpoints,
    TenantPlan,
)
from reconciler.live.records import LiveItem

ENDPOINTS = Endpoints(
    authority_host="https://login.example.test",
    graph_url="https://graph.example.test/v1.0",
)
PLANNED_AT = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
EARLIER = "2026-12-01T08:00:00.0000000Z"

TENANT_IDS = {
    "contoso": "5f1c2d3e-0000-4000-8000-000000000001",
    "fabrikam": "7a2b9c4d-0000-4000-8000-000000000002",
    "northwind": "9c3d4e5f-0000-4000-8000-000000000003",
}
CLIENT_ID = "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"


def spec(slug: str, *, domains: tuple[str, ...] = ()) -> TenantSpec:
    return TenantSpec(
        slug=slug,
        tenant_id=TENANT_IDS[slug],
        display_name=slug.title(),
        client_id=CLIENT_ID,
        credential=Credential(secret_env=f"{slug.upper()}_CLIENT_SECRET"),
        assignees=AssigneePolicy(domains=domains) if domains else None,
        quota_per_minute=150,
        location=SourceLocation(f"state/{slug}/tenant.yaml", 1, 1),
    )


def declared(
    slug: str, kind: Kind, item_id: str, line: int, **fields: FieldValue
) -> DesiredItem:
    wire = {"assignee": "assignedTo", "tags": "customTags"}
    file = "incidents.yaml" if kind == "incident" else "alerts.yaml"
    return DesiredItem(
        kind=kind,
        id=item_id,
        fields={wire.get(name, name): value for name, value in fields.items()},
        location=SourceLocation(f"state/{slug}/{file}", line, 3),
    )


def live(
    kind: Kind,
    item_id: str,
    *,
    last_update: str = EARLIER,
    redirect: str | None = None,
    **fields: FieldValue,
) -> LiveItem:
    values: dict[str, FieldValue] = {
        "assignedTo": None,
        "status": "active" if kind == "incident" else "new",
        "classification": "unknown",
        "determination": "unknown",
    }
    if kind == "incident":
        values["customTags"] = ()
    wire = {"assignee": "assignedTo", "tags": "customTags"}
    values.update({wire.get(name, name): value for name, value in fields.items()})
    return LiveItem(
        kind=kind,
        id=item_id,
        fields=values,
        last_update=last_update,
        redirect_incident_id=redirect,
    )


def tenant_state(tenant: TenantSpec, items: Iterable[DesiredItem]) -> TenantState:
    items = list(items)
    return TenantState(
        spec=tenant,
        incidents={item.id: item for item in items if item.kind == "incident"},
        alerts={item.id: item for item in items if item.kind == "alert"},
    )


def desired_state(*tenants: TenantState, root: Path = Path(".")) -> DesiredState:
    return DesiredState(
        root=root,
        settings=RepositorySettings(),
        tenants={tenant.spec.slug: tenant for tenant in tenants},
    )


def factory(
    readers: Mapping[str, MemoryReader],
) -> Callable[[TenantSpec], MemoryReader]:
    return lambda tenant: readers[tenant.slug]


def change(
    kind: Kind,
    item_id: str,
    *fields: tuple[str, object, object],
    last_update: str = EARLIER,
) -> ItemChange:
    """A planned change, as if read with `before` values and nothing else declared."""
    changes = [FieldChange(field=f, before=b, after=a) for f, b, a in fields]  # type: ignore[arg-type]
    return ItemChange(
        kind=kind,
        id=item_id,
        changes=changes,
        fingerprint=fingerprint({f: b for f, b, _ in fields}),  # type: ignore[misc]
        last_update=last_update,
        source=f"state/x/{kind}s.yaml:1:3",
    )


def tenant_plan(slug: str, *changes: ItemChange, **extra: object) -> TenantPlan:
    tenant = spec(slug)
    return TenantPlan(
        slug=slug,
        tenant_id=tenant.tenant_id,
        display_name=tenant.display_name,
        client_id=tenant.client_id,
        quota_per_minute=150,
        watermarks={"incident": EARLIER, "alert": EARLIER},
        changes=list(changes),
        **extra,  # type: ignore[arg-type]
    )


def make_plan(*tenants: TenantPlan, created_at: datetime = PLANNED_AT) -> Plan:
    return Plan(
        created_at=created_at,
        expires_at=created_at + timedelta(hours=1),
        endpoints=PlanEndpoints(
            authority_host=ENDPOINTS.authority_host, graph_url=ENDPOINTS.graph_url
        ),
        commit=None,
        tenants=list(tenants),
    ).sealed()

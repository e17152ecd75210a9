"""The emulated tenants' data, the registered apps, the write log and counters.

One lock guards everything: request handlers run on the server's event loop
thread while tests read and change the same data from theirs. No handler awaits
while holding it.

Item dicts are shared with the seed until written (`Tenant.writable` copies
one first), so a reset of a hundred thousand items costs a dict copy per tenant.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.emulator.timestamps import format_ticks, now_ticks, to_ticks

Kind = Literal["incident", "alert"]
Item = dict[str, Any]

# What the portal's "last modified by" shows for a change a person made by hand.
PORTAL_USER = "analyst@portal.emulator"


@dataclass(frozen=True)
class App:
    """A registered (multi-tenant) application and where it has been consented."""

    client_id: str
    display_name: str
    client_secret: str | None
    # base64url thumbprints without padding (SHA-1 and SHA-256) -> certificate PEM
    certificates: Mapping[str, bytes]
    consents: Mapping[str, tuple[str, ...]]


@dataclass
class Tenant:
    """One directory's incidents and alerts, in Graph's wire shape."""

    tenant_id: str
    name: str
    incidents: dict[str, Item]
    alerts: dict[str, Item]
    # Newest first by createdDateTime, which never changes: listing order.
    order: dict[Kind, list[str]] = field(default_factory=dict)
    alerts_of: dict[str, list[str]] = field(default_factory=dict)
    # The last lastUpdateDateTime handed out, so the next is strictly later.
    clock: int = 0

    def items(self, kind: Kind) -> dict[str, Item]:
        return self.incidents if kind == "incident" else self.alerts

    def writable(self, kind: Kind, item_id: str) -> Item:
        """The item, copied first: stored items are shared with the seed."""
        items = self.items(kind)
        item = _copy_item(items[item_id])
        items[item_id] = item
        return item

    def index(self) -> None:
        for kind in ("incident", "alert"):
            items = self.items(kind)
            self.order[kind] = sorted(
                items,
                key=lambda item_id: (
                    to_ticks(items[item_id].get("createdDateTime") or "") or 0,
                    item_id,
                ),
                reverse=True,
            )
        self.alerts_of = {}
        for alert_id in self.order["alert"]:
            incident_id = self.alerts[alert_id].get("incidentId")
            if incident_id is not None:
                self.alerts_of.setdefault(incident_id, []).append(alert_id)
        stamps = (
            to_ticks(item.get("lastUpdateDateTime") or "") or 0
            for item in (*self.incidents.values(), *self.alerts.values())
        )
        self.clock = max(stamps, default=0)

    def stamp(self) -> str:
        """A lastUpdateDateTime later than any this tenant has shown."""
        self.clock = max(now_ticks(), self.clock + 1)
        return format_ticks(self.clock)


@dataclass(frozen=True)
class SeedData:
    """A parsed seed: what the store returns to on every reset."""

    apps: tuple[App, ...]
    tenants: tuple[Tenant, ...]


@dataclass
class TenantCounters:
    requests: Counter[str] = field(default_factory=Counter)
    graph_requests: int = 0
    http_requests: int = 0
    token_requests: int = 0
    writes: int = 0
    throttled: int = 0
    faults: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(sorted(self.requests.items())),
            "graph_requests": self.graph_requests,
            "http_requests": self.http_requests,
            "token_requests": self.token_requests,
            "writes": self.writes,
            "throttled": self.throttled,
            "faults": self.faults,
        }

    def add(self, other: TenantCounters) -> None:
        self.requests.update(other.requests)
        self.graph_requests += other.graph_requests
        self.http_requests += other.http_requests
        self.token_requests += other.token_requests
        self.writes += other.writes
        self.throttled += other.throttled
        self.faults += other.faults


class Store:
    """Tenants, apps, counters and the write log behind one lock."""

    def __init__(self, seed: SeedData) -> None:
        self.lock = threading.RLock()
        self._seed = seed
        self.tenants: dict[str, Tenant] = {}
        self.apps: dict[str, App] = {}
        self._aliases: dict[str, str] = {}
        self.counters: dict[str, TenantCounters] = {}
        # Requests that named no tenant we could trust (no or forged token).
        self.unattributed = TenantCounters()
        self.write_log: list[dict[str, Any]] = []
        self.reset()

    def reset(self) -> None:
        """Data back to the seed; counters and the write log emptied."""
        with self.lock:
            self.apps = {app.client_id: app for app in self._seed.apps}
            self.tenants = {t.tenant_id: _copy_tenant(t) for t in self._seed.tenants}
            self._aliases = {}
            for tenant in self.tenants.values():
                self._aliases[tenant.tenant_id] = tenant.tenant_id
                self._aliases[f"{tenant.name}.onmicrosoft.com"] = tenant.tenant_id
            self.counters = {tid: TenantCounters() for tid in self.tenants}
            self.unattributed = TenantCounters()
            self.write_log = []

    def resolve(self, tenant: str) -> Tenant | None:
        """The tenant a URL names, by GUID or by its onmicrosoft.com domain."""
        tenant_id = self._aliases.get(tenant.lower())
        return None if tenant_id is None else self.tenants[tenant_id]

    def counters_for(self, tenant_id: str | None) -> TenantCounters:
        if tenant_id is None:
            return self.unattributed
        return self.counters.setdefault(tenant_id, TenantCounters())

    def stats(self) -> dict[str, Any]:
        with self.lock:
            totals = TenantCounters()
            for counters in (*self.counters.values(), self.unattributed):
                totals.add(counters)
            return {
                "tenants": {tid: c.as_dict() for tid, c in self.counters.items()},
                "totals": totals.as_dict(),
            }

    def writes(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(entry, fields=dict(entry["fields"])) for entry in self.write_log
            ]

    def item(self, tenant_id: str, kind: Kind, item_id: str) -> Item:
        """A copy of one live item; KeyError if there is no such item."""
        with self.lock:
            return _copy_item(self.tenants[tenant_id].items(kind)[item_id])

    def items(self, tenant_id: str, kind: Kind) -> list[Item]:
        """Copies of a tenant's items of one kind, in listing order."""
        with self.lock:
            tenant = self.tenants[tenant_id]
            items = tenant.items(kind)
            return [_copy_item(items[item_id]) for item_id in tenant.order[kind]]

    def set_fields(
        self,
        tenant_id: str,
        kind: Kind,
        item_id: str,
        fields: Mapping[str, Any],
        *,
        modified_by: str = PORTAL_USER,
    ) -> Item:
        """Change an item as an analyst in the portal would; bumps lastUpdateDateTime.

        Not a Graph write: it is not logged and not counted. Values are stored as
        given, so tests can also plant shapes the service would send.
        """
        with self.lock:
            item = self.tenants[tenant_id].writable(kind, item_id)
            item.update({key: _copy_value(value) for key, value in fields.items()})
            item["lastUpdateDateTime"] = self.tenants[tenant_id].stamp()
            item["lastModifiedBy"] = modified_by
            return _copy_item(item)

    def add_items(self, tenant_id: str, kind: Kind, items: Iterable[Item]) -> None:
        """Add (or replace) items as they are, then re-index the tenant."""
        with self.lock:
            tenant = self.tenants[tenant_id]
            store = tenant.items(kind)
            for item in items:
                store[str(item["id"])] = _copy_item(item)
            clock = tenant.clock
            tenant.index()
            tenant.clock = max(clock, tenant.clock)

    def record_write(
        self,
        tenant: Tenant,
        kind: Kind,
        item_id: str,
        fields: Mapping[str, Any],
        at: str,
        token_tenant_id: str,
    ) -> None:
        self.write_log.append(
            {
                "tenant_id": tenant.tenant_id,
                "kind": kind,
                "id": item_id,
                "fields": {key: _copy_value(value) for key, value in fields.items()},
                "at": at,
                "token_tenant_id": token_tenant_id,
            }
        )
        self.counters_for(tenant.tenant_id).writes += 1


def _copy_value(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _copy_item(item: Item) -> Item:
    # Nested dicts (comments, evidence) are never changed in place, only replaced
    # or appended to, so copying the lists is enough.
    return {key: _copy_value(value) for key, value in item.items()}


def _copy_tenant(tenant: Tenant) -> Tenant:
    # Indexes are replaced, never changed in place, so they can be shared too.
    copy = Tenant(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        incidents=dict(tenant.incidents),
        alerts=dict(tenant.alerts),
    )
    copy.order = dict(tenant.order)
    copy.alerts_of = tenant.alerts_of
    copy.clock = tenant.clock
    return copy

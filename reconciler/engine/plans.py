"""The plan: one batch of bulk updates, and its file format.

A plan file is versioned JSON bound to its endpoints and tenants, carrying a hash
over its own content so that an edited file is refused. The hash detects edits; it
is not a signature (anyone able to recompute it can forge it), which is why apply
re-checks every guardrail and re-reads what it is about to write.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

FORMAT_VERSION = 1
DEFAULT_LIFETIME = timedelta(hours=1)
# The longest a plan may live; a plan file claiming more is refused.
MAX_LIFETIME = timedelta(hours=24)

Kind = Literal["incident", "alert"]
# A managed field's value on the wire: an enum member or assignee (str), unassigned
# (None), or the sorted list of incident custom tags.
FieldValue = str | None | list[str]

NoticeReason = Literal["unknown", "redirected", "awaitingAction"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(_Frozen):
    """One managed field going from its live value to its desired value."""

    field: str
    before: FieldValue
    after: FieldValue


class ItemChange(_Frozen):
    """An incident or alert whose managed fields differ from the desired state."""

    kind: Kind
    id: str
    changes: list[FieldChange]
    # What was read: lastUpdateDateTime and a digest of the managed fields. Apply
    # writes the item only if what is live still has this fingerprint.
    fingerprint: str
    last_update: str
    source: str = Field(description="PATH:LINE:COL of the declaration")
    # Declared fields that were already at their desired value. With the changes'
    # before values they are everything the fingerprint covers.
    matching: dict[str, FieldValue] = Field(default_factory=dict)

    def patch_body(self) -> dict[str, FieldValue]:
        return {change.field: change.after for change in self.changes}

    def read_values(self) -> dict[str, FieldValue]:
        """Every managed field as it was read when planning."""
        values = dict(self.matching)
        values.update((change.field, change.before) for change in self.changes)
        return values

    def touches_assignee(self) -> bool:
        return any(change.field == "assignedTo" for change in self.changes)


class Notice(_Frozen):
    """A declared item that will not be written, and why."""

    kind: Kind
    id: str
    reason: NoticeReason
    detail: str
    source: str


class TenantPlan(_Frozen):
    slug: str
    tenant_id: str
    display_name: str
    client_id: str
    quota_per_minute: int
    # Per kind, the newest lastUpdateDateTime seen when planning; apply asks for
    # what changed since then instead of re-reading every item.
    watermarks: dict[Kind, str | None] = Field(default_factory=dict)
    changes: list[ItemChange] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    read_requests: int = 0
    # Set when the tenant could not be read at all (credentials, sign-in, outage);
    # then it has no changes and nothing of it is written.
    error: str | None = None

    def assigns(self) -> bool:
        return any(item.touches_assignee() for item in self.changes)

    def unknown_count(self) -> int:
        return sum(1 for notice in self.notices if notice.reason == "unknown")


class PlanEndpoints(_Frozen):
    authority_host: str
    graph_url: str


class Plan(_Frozen):
    format_version: Annotated[int, Field(ge=1)] = FORMAT_VERSION
    created_at: AwareDatetime
    expires_at: AwareDatetime
    endpoints: PlanEndpoints
    commit: str | None = None
    tenants: list[TenantPlan]
    content_hash: str = ""

    def has_changes(self) -> bool:
        return any(tenant.changes for tenant in self.tenants)

    def is_complete(self) -> bool:
        """False when a tenant or an item could not be read: the plan is partial."""
        return not any(
            tenant.error or tenant.unknown_count() for tenant in self.tenants
        )

    def assigning_tenants(self) -> list[str]:
        return [tenant.slug for tenant in self.tenants if tenant.assigns()]

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires_at

    def sealed(self) -> Plan:
        """This plan with its content hash filled in."""
        return self.model_copy(update={"content_hash": content_hash(self)})


def content_hash(plan: Plan) -> str:
    """sha256 over the canonical JSON of everything but the hash itself."""
    body = plan.model_dump(mode="json", exclude={"content_hash"})
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()

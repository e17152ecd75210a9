"""What an apply did, item by item: the report the command line renders."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.engine.plans import Kind

# applied: written and acknowledged; unchanged: already at the desired state (no
# write); stale: changed live since the plan, not written; failed: the write was
# refused or did not get through; unknown: could not be read, never written;
# skipped: not written because an earlier run's journal shows it done.
OutcomeStatus = Literal["applied", "unchanged", "stale", "failed", "unknown", "skipped"]


class ItemOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    id: str
    status: OutcomeStatus
    fields: list[str] = Field(default_factory=list)
    detail: str | None = None


class TenantResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    outcomes: list[ItemOutcome] = Field(default_factory=list)
    requests: int = 0
    # Set when the whole tenant could not be worked on (credentials, lock, outage).
    error: str | None = None


class ApplyReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_hash: str
    started_at: datetime
    finished_at: datetime
    tenants: list[TenantResult]

    def counts(self) -> Counter[OutcomeStatus]:
        return Counter(
            outcome.status for tenant in self.tenants for outcome in tenant.outcomes
        )

    def succeeded(self) -> bool:
        """True when every planned change is now live and no tenant failed."""
        if any(tenant.error for tenant in self.tenants):
            return False
        settled = {"applied", "unchanged", "skipped"}
        return all(
            outcome.status in settled
            for tenant in self.tenants
            for outcome in tenant.outcomes
        )

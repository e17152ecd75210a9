"""What a plan or an apply report adds up to, shared by every renderer.

Counts, the estimated cost of applying a plan, the order items are shown in, and
the English for counts. Nothing here formats for a particular medium.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.engine.plans import ItemChange, Kind, Notice, Plan, TenantPlan
from reconciler.engine.results import ApplyReport, ItemOutcome, OutcomeStatus

KIND_ORDER: dict[Kind, int] = {"incident": 0, "alert": 1}

# The order the apply line lists statuses in; skipped is shown only when present.
REPORTED_STATUSES: tuple[OutcomeStatus, ...] = (
    "applied",
    "unchanged",
    "stale",
    "failed",
    "unknown",
)
SETTLED_STATUSES: frozenset[OutcomeStatus] = frozenset(
    {"applied", "unchanged", "skipped"}
)


@dataclass(frozen=True, slots=True)
class TenantTotals:
    """One tenant's share of a plan and what applying it costs."""

    incidents: int
    alerts: int
    notices: int
    unreadable: bool
    # Graph requests the apply spends: one staleness check per kind with changes,
    # then one write per changed item (every $batch item counts against quota).
    requests: int
    seconds: float

    @property
    def changes(self) -> int:
        return self.incidents + self.alerts


@dataclass(frozen=True, slots=True)
class PlanTotals:
    """A whole plan's counts; tenants apply in parallel, each at its own quota."""

    tenants: dict[str, TenantTotals]
    uniform_quota: int | None

    @property
    def changes(self) -> int:
        return sum(totals.changes for totals in self.tenants.values())

    @property
    def incidents(self) -> int:
        return sum(totals.incidents for totals in self.tenants.values())

    @property
    def alerts(self) -> int:
        return sum(totals.alerts for totals in self.tenants.values())

    @property
    def notices(self) -> int:
        return sum(totals.notices for totals in self.tenants.values())

    @property
    def unreadable_tenants(self) -> int:
        return sum(1 for totals in self.tenants.values() if totals.unreadable)

    @property
    def requests(self) -> int:
        return sum(totals.requests for totals in self.tenants.values())

    @property
    def seconds(self) -> float:
        return max((totals.seconds for totals in self.tenants.values()), default=0.0)

    @property
    def changed_tenants(self) -> int:
        return sum(1 for totals in self.tenants.values() if totals.changes)


def tenant_totals(tenant: TenantPlan) -> TenantTotals:
    incidents = sum(1 for item in tenant.changes if item.kind == "incident")
    alerts = len(tenant.changes) - incidents
    kinds_with_changes = (incidents > 0) + (alerts > 0)
    requests = kinds_with_changes + len(tenant.changes)
    rate_per_second = tenant.quota_per_minute / 60
    return TenantTotals(
        incidents=incidents,
        alerts=alerts,
        notices=len(tenant.notices),
        unreadable=tenant.error is not None,
        requests=requests,
        seconds=requests / rate_per_second if rate_per_second > 0 else 0.0,
    )


def plan_totals(plan: Plan) -> PlanTotals:
    quotas = {tenant.quota_per_minute for tenant in plan.tenants}
    return PlanTotals(
        tenants={tenant.slug: tenant_totals(tenant) for tenant in plan.tenants},
        uniform_quota=quotas.pop() if len(quotas) == 1 else None,
    )


def plan_headline(totals: PlanTotals, tenant_count: int) -> str:
    """'7 changes in 2 tenants (5 incidents, 2 alerts); 3 notices', and any
    tenants that could not be read."""
    changed = totals.changed_tenants
    where = (
        count(changed, "tenant")
        if changed == tenant_count
        else f"{changed:,} of {count(tenant_count, 'tenant')}"
    )
    return (
        f"{count(totals.changes, 'change')} in {where} "
        f"({count(totals.incidents, 'incident')}, {count(totals.alerts, 'alert')}); "
        f"{count(totals.notices, 'notice')}{_unread(totals)}"
    )


def nothing_to_apply(totals: PlanTotals) -> str | None:
    """Why a plan without changes is not proof that live matches, if it is not."""
    gaps = []
    if totals.unreadable_tenants:
        gaps.append(f"{count(totals.unreadable_tenants, 'tenant')} could not be read")
    if totals.notices:
        gaps.append(
            f"{count(totals.notices, 'declared item')} "
            f"{'is' if totals.notices == 1 else 'are'} not planned"
        )
    return " and ".join(gaps) if gaps else None


def _unread(totals: PlanTotals) -> str:
    if not totals.unreadable_tenants:
        return ""
    return f"; {count(totals.unreadable_tenants, 'tenant')} could not be read"


def cost_sentence(totals: PlanTotals) -> str:
    """How many requests applying costs and roughly how long it takes."""
    pace = (
        f"at {totals.uniform_quota:,} requests/minute per tenant"
        if totals.uniform_quota is not None
        else "at each tenant's quota"
    )
    parallel = ", tenants in parallel" if totals.changed_tenants > 1 else ""
    return (
        f"{count(totals.requests, 'request')}, "
        f"{approximate_duration(totals.seconds)} {pace}{parallel}"
    )


def approximate_duration(seconds: float) -> str:
    whole = max(1, math.ceil(seconds - 1e-9))
    if whole < 60:
        return f"about {whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"about {minutes} min {rest} s" if rest else f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


def status_counts(outcomes: Iterable[ItemOutcome]) -> Counter[OutcomeStatus]:
    return Counter(outcome.status for outcome in outcomes)


def apply_line(counts: Counter[OutcomeStatus]) -> str:
    """'7 applied, 0 unchanged, 1 stale, 0 failed, 0 unknown' (+ skipped if any)."""
    parts = [f"{counts[status]:,} {status}" for status in REPORTED_STATUSES]
    if counts["skipped"]:
        parts.append(f"{counts['skipped']:,} skipped")
    return ", ".join(parts)


def ordered_changes(tenant: TenantPlan) -> list[ItemChange]:
    return sorted(tenant.changes, key=lambda item: item_key(item.kind, item.id))


def ordered_notices(tenant: TenantPlan) -> list[Notice]:
    return sorted(tenant.notices, key=lambda notice: item_key(notice.kind, notice.id))


def ordered_outcomes(outcomes: Iterable[ItemOutcome]) -> list[ItemOutcome]:
    return sorted(outcomes, key=lambda outcome: item_key(outcome.kind, outcome.id))


def item_key(kind: Kind, identifier: str) -> tuple[int, int, int, str]:
    """Incidents before alerts; numeric ids in numeric order, then the rest."""
    if identifier.isascii() and identifier.isdigit():
        return (KIND_ORDER[kind], 0, int(identifier), identifier)
    return (KIND_ORDER[kind], 1, 0, identifier)


def count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def apply_advice(report: ApplyReport) -> list[str]:
    """What to do about what was not done, one sentence each."""
    counts = report.counts()
    advice = []
    failed_tenants = [tenant.slug for tenant in report.tenants if tenant.error]
    if failed_tenants:
        advice.append(
            f"Not applied in {count(len(failed_tenants), 'tenant')}: "
            f"{', '.join(sorted(failed_tenants))}. Fix the cause in its error, then "
            "apply the same plan again; what is already done is skipped."
        )
    if counts["stale"]:
        advice.append(
            f"{count(counts['stale'], 'item')} changed live since the plan was made "
            f"and {_were(counts['stale'])} not written: run `reconciler plan` again, "
            "review the new plan and apply it."
        )
    if counts["unknown"]:
        advice.append(
            f"{count(counts['unknown'], 'item')} could not be read and "
            f"{_were(counts['unknown'])} not written: plan again once the tenant "
            "answers."
        )
    if counts["failed"]:
        advice.append(
            f"{count(counts['failed'], 'write')} failed: see the error of each."
        )
    return advice


def _were(number: int) -> str:
    return "was" if number == 1 else "were"

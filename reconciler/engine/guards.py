"""Guardrails no configuration turns off, checked before anything is written.

They run when a plan is made and again when any plan is applied, however the plan
file was made: its hash proves it unchanged, not that it is sound.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.desired.enums import (
    DECLARABLE_ALERT_STATUSES,
    DECLARABLE_CLASSIFICATIONS,
    DECLARABLE_DETERMINATIONS,
    DECLARABLE_INCIDENT_STATUSES,
)
from reconciler.desired.items import is_item_id
from reconciler.desired.models import ALERT_FIELDS, INCIDENT_FIELDS, TenantSpec
from reconciler.engine.plans import FieldValue, ItemChange, Plan
from reconciler.errors import RefusedError

_WRITABLE_FIELDS = {
    "incident": frozenset(INCIDENT_FIELDS.values()),
    "alert": frozenset(ALERT_FIELDS.values()),
}
_DECLARABLE: dict[str, dict[str, frozenset[str]]] = {
    "incident": {
        "status": frozenset(DECLARABLE_INCIDENT_STATUSES),
        "classification": frozenset(DECLARABLE_CLASSIFICATIONS),
        "determination": frozenset(DECLARABLE_DETERMINATIONS),
    },
    "alert": {
        "status": frozenset(DECLARABLE_ALERT_STATUSES),
        "classification": frozenset(DECLARABLE_CLASSIFICATIONS),
        "determination": frozenset(DECLARABLE_DETERMINATIONS),
    },
}


def check_plan(
    plan: Plan,
    *,
    specs: Mapping[str, TenantSpec] | None = None,
    command: str = "reconciler",
) -> None:
    """Raise `RefusedError` if the plan breaks a guardrail; nothing is written then.

    `command` is how the user runs the tool (with its --root), for the commands
    the refusal suggests. `specs` adds the check of each assignee against the
    tenant's assignee policy.
    """
    refuse_cross_tenant_assignment(plan, command=command)
    refuse_undeclarable_writes(plan)
    if specs is not None:
        refuse_foreign_assignees(plan, specs)


def refuse_cross_tenant_assignment(plan: Plan, *, command: str = "reconciler") -> None:
    """Assignees are tenant-local identities: one batch assigns in one tenant only."""
    assigning = plan.assigning_tenants()
    if len(assigning) <= 1:
        return
    commands = "\n".join(
        f"  {command} plan --tenant {slug} --out {slug}.plan.json" for slug in assigning
    )
    raise RefusedError(
        f"the plan changes assignees in {len(assigning)} tenants "
        f"({', '.join(assigning)}), and one batch may assign in one tenant only. "
        f"Plan each of them on its own:\n{commands}"
    )


def refuse_foreign_assignees(plan: Plan, specs: Mapping[str, TenantSpec]) -> None:
    """Every assignee written must be allowed by its tenant's assignee policy."""
    for tenant in plan.tenants:
        spec = specs.get(tenant.slug)
        if spec is None or spec.assignees is None:
            continue
        for item in tenant.changes:
            for change in item.changes:
                assignee = change.after
                if change.field != "assignedTo" or not isinstance(assignee, str):
                    continue
                if spec.assignees.allows(assignee):
                    continue
                raise RefusedError(
                    f"the plan assigns {item.kind} {item.id} in tenant "
                    f"{tenant.slug} to {assignee}, whom {spec.location.path} does "
                    "not allow (not on its roster, not in its domains). Correct "
                    "the assignee, or add them to the tenant's assignees, and "
                    "plan again"
                )


def refuse_undeclarable_writes(plan: Plan) -> None:
    """A plan writes only managed fields, and only values that could be declared."""
    for tenant in plan.tenants:
        for item in tenant.changes:
            if _unaddressable(item.id):
                raise RefusedError(
                    f"the plan would write {item.kind} {item.id!r} in tenant "
                    f"{tenant.slug}, which is not an id Graph gives. Make the plan "
                    "again with `reconciler plan`"
                )
            for change in item.changes:
                problem = _undeclarable(item, change.field, change.after)
                if problem is None:
                    continue
                raise RefusedError(
                    f"the plan would write {problem} on {item.kind} {item.id} in "
                    f"tenant {tenant.slug}, which no declaration can ask for. Make "
                    "the plan again with `reconciler plan`"
                )


def _unaddressable(item_id: str) -> bool:
    # The id becomes a segment of the request path; see is_item_id.
    return not is_item_id(item_id)


def _undeclarable(item: ItemChange, field: str, value: FieldValue) -> str | None:
    if field not in _WRITABLE_FIELDS[item.kind]:
        return f"{field}, which is not a managed field,"
    if field == "assignedTo":
        return None if value is None or isinstance(value, str) else f"{field} {value!r}"
    if field == "customTags":
        return None if isinstance(value, list) else f"{field} {value!r}"
    if isinstance(value, str) and value in _DECLARABLE[item.kind][field]:
        return None
    return f"{field} {value!r}"

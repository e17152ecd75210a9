"""Guardrails: refused before anything is written, however the plan was made."""

from __future__ import annotations

import pytest
from engine_builders import change, make_plan, spec, tenant_plan

from reconciler.engine.guards import check_plan
from reconciler.errors import RefusedError


def assign(item_id: str, to: str) -> object:
    return change("incident", item_id, ("assignedTo", None, to))


def test_assignee_changes_in_two_tenants_are_refused_with_the_split_commands() -> None:
    plan = make_plan(
        tenant_plan("contoso", assign("1", "kai@contoso.com")),
        tenant_plan("fabrikam", assign("418", "ana@fabrikam.com")),
        tenant_plan(
            "northwind", change("incident", "9", ("status", "active", "resolved"))
        ),
    )

    with pytest.raises(RefusedError) as refused:
        check_plan(plan, command="reconciler --root ../triage")

    assert refused.value.exit_code == 3
    assert str(refused.value) == (
        "the plan changes assignees in 2 tenants (contoso, fabrikam), and one "
        "batch may assign in one tenant only. Plan each of them on its own:\n"
        "  reconciler --root ../triage plan --tenant contoso --out contoso.plan.json\n"
        "  reconciler --root ../triage plan --tenant fabrikam --out fabrikam.plan.json"
    )


def test_assignee_changes_in_one_tenant_pass() -> None:
    plan = make_plan(
        tenant_plan(
            "contoso", assign("1", "kai@contoso.com"), assign("2", "x@contoso.com")
        ),
        tenant_plan(
            "fabrikam", change("incident", "418", ("status", "active", "resolved"))
        ),
    )

    check_plan(plan)


def test_other_changes_may_span_tenants() -> None:
    plan = make_plan(
        tenant_plan("contoso", change("incident", "1", ("customTags", [], ["a"]))),
        tenant_plan(
            "fabrikam",
            change("alert", "a", ("classification", "unknown", "falsePositive")),
        ),
    )

    check_plan(plan)


def test_an_assignee_outside_the_tenants_domains_is_refused() -> None:
    plan = make_plan(tenant_plan("contoso", assign("1", "kai@fabrikam.com")))
    specs = {"contoso": spec("contoso", domains=("contoso.com",))}

    with pytest.raises(RefusedError) as refused:
        check_plan(plan, specs=specs)

    assert str(refused.value) == (
        "the plan assigns incident 1 in tenant contoso to kai@fabrikam.com, whom "
        "state/contoso/tenant.yaml does not allow (not on its roster, not in its "
        "domains). Correct the assignee, or add them to the tenant's assignees, "
        "and plan again"
    )


def test_unassigning_needs_no_assignee_policy() -> None:
    plan = make_plan(
        tenant_plan(
            "contoso", change("incident", "1", ("assignedTo", "kai@x.com", None))
        )
    )

    check_plan(plan, specs={"contoso": spec("contoso", domains=("contoso.com",))})


@pytest.mark.parametrize(
    ("kind", "field", "value", "shown"),
    [
        ("incident", "status", "redirected", "status 'redirected'"),
        ("incident", "status", "awaitingAction", "status 'awaitingAction'"),
        ("alert", "status", "active", "status 'active'"),
        ("incident", "determination", "apt", "determination 'apt'"),
        ("incident", "severity", "low", "severity, which is not a managed field,"),
        ("alert", "customTags", ["x"], "customTags, which is not a managed field,"),
    ],
)
def test_values_no_declaration_can_ask_for_are_refused(
    kind: str, field: str, value: object, shown: str
) -> None:
    plan = make_plan(tenant_plan("contoso", change(kind, "7", (field, None, value))))  # type: ignore[arg-type]

    with pytest.raises(RefusedError) as refused:
        check_plan(plan)

    assert str(refused.value) == (
        f"the plan would write {shown} on {kind} 7 in tenant contoso, which no "
        "declaration can ask for. Make the plan again with `reconciler plan`"
    )

"""Planning: exactly the declared differences, notices for what must not be written."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from engine_builders import (
    ENDPOINTS,
    PLANNED_AT,
    declared,
    desired_state,
    factory,
    live,
    spec,
    tenant_state,
)

from reconciler.desired.models import TenantSpec
from reconciler.desired.problems import ValidationFailed
from reconciler.engine.fingerprints import fingerprint
from reconciler.engine.memory import MemoryReader
from reconciler.engine.planning import build_plan, git_commit
from reconciler.engine.plans import content_hash
from reconciler.live.errors import CredentialError


def contoso_plan():  # type: ignore[no-untyped-def]
    state = desired_state(
        tenant_state(
            spec("contoso"),
            [
                declared(
                    "contoso",
                    "incident",
                    "2972395",
                    2,
                    assignee="kai@contoso.com",
                    status="active",
                    tags=("escalated", "ransomware"),
                ),
                declared("contoso", "incident", "2972401", 7, status="resolved"),
                declared("contoso", "alert", "da1", 2, status="inProgress"),
            ],
        )
    )
    reader = MemoryReader(
        [
            live(
                "incident",
                "2972395",
                assignee="KAI@contoso.com",
                tags=("demo",),
                last_update="2026-12-01T08:00:00.0000000Z",
            ),
            live("incident", "2972401", status="resolved"),
            live("alert", "da1", last_update="2026-12-02T09:30:00.1234567Z"),
        ]
    )
    plan = build_plan(
        state,
        factory({"contoso": reader}),
        endpoints=ENDPOINTS,
        now=PLANNED_AT,
        commit="a" * 40,
    )
    return plan, reader


def test_the_plan_holds_exactly_the_declared_differences() -> None:
    plan, _ = contoso_plan()

    [tenant] = plan.tenants
    summary = [
        (item.kind, item.id, [(c.field, c.before, c.after) for c in item.changes])
        for item in tenant.changes
    ]
    assert summary == [
        (
            "incident",
            "2972395",
            [("customTags", ["demo"], ["escalated", "ransomware"])],
        ),
        ("alert", "da1", [("status", "new", "inProgress")]),
    ]
    assert tenant.notices == []


def test_each_change_records_what_was_read_and_where_it_was_declared() -> None:
    plan, _ = contoso_plan()

    incident = plan.tenants[0].changes[0]
    assert incident.source == "state/contoso/incidents.yaml:2:3"
    assert incident.last_update == "2026-12-01T08:00:00.0000000Z"
    assert incident.matching == {"assignedTo": "KAI@contoso.com", "status": "active"}
    assert incident.fingerprint == fingerprint(
        {"assignedTo": "KAI@contoso.com", "status": "active", "customTags": ["demo"]}
    )


def test_the_plan_binds_endpoints_tenant_commit_and_lifetime() -> None:
    plan, _ = contoso_plan()

    tenant = plan.tenants[0]
    assert (plan.endpoints.authority_host, plan.endpoints.graph_url) == (
        "https://login.example.test",
        "https://graph.example.test/v1.0",
    )
    assert (tenant.slug, tenant.tenant_id, tenant.client_id) == (
        "contoso",
        "5f1c2d3e-0000-4000-8000-000000000001",
        "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
    )
    assert plan.commit == "a" * 40
    assert plan.created_at == PLANNED_AT
    assert plan.expires_at == PLANNED_AT + timedelta(hours=1)
    assert plan.content_hash == content_hash(plan)


def test_watermarks_and_read_requests_are_recorded_per_kind() -> None:
    plan, reader = contoso_plan()

    tenant = plan.tenants[0]
    assert tenant.watermarks == {
        "incident": "2026-12-01T08:00:00.0000000Z",
        "alert": "2026-12-02T09:30:00.1234567Z",
    }
    # Two incidents and one alert, each read by id.
    assert tenant.read_requests == 3 == reader.requests_made


def test_redirected_and_awaiting_incidents_are_noticed_never_changed() -> None:
    state = desired_state(
        tenant_state(
            spec("contoso"),
            [
                declared("contoso", "incident", "12", 2, status="resolved"),
                declared("contoso", "incident", "13", 4, tags=("x",)),
            ],
        )
    )
    reader = MemoryReader(
        [
            live("incident", "12", status="redirected", redirect="40"),
            live("incident", "13", status="awaitingAction"),
        ]
    )

    plan = build_plan(
        state, factory({"contoso": reader}), endpoints=ENDPOINTS, now=PLANNED_AT
    )

    tenant = plan.tenants[0]
    assert tenant.changes == []
    assert [(n.id, n.reason, n.detail, n.source) for n in tenant.notices] == [
        (
            "12",
            "redirected",
            "merged into incident 40; declare incident 40 instead",
            "state/contoso/incidents.yaml:2:3",
        ),
        (
            "13",
            "awaitingAction",
            "Defender Experts are waiting on your response; only they can change "
            "this status, so the item is left alone",
            "state/contoso/incidents.yaml:4:3",
        ),
    ]


def test_declared_ids_that_do_not_exist_are_all_reported_with_their_place() -> None:
    state = desired_state(
        tenant_state(
            spec("contoso"),
            [
                declared("contoso", "incident", "123", 5, status="active"),
                declared("contoso", "alert", "da9", 8, status="new"),
            ],
        ),
        tenant_state(
            spec("fabrikam"),
            [declared("fabrikam", "incident", "77", 2, status="resolved")],
        ),
    )
    readers = {"contoso": MemoryReader(), "fabrikam": MemoryReader()}

    with pytest.raises(ValidationFailed) as raised:
        build_plan(state, factory(readers), endpoints=ENDPOINTS, now=PLANNED_AT)

    assert [str(problem) for problem in raised.value.problems] == [
        "state/contoso/incidents.yaml:5:3: error: incident 123 does not exist in "
        "tenant contoso; correct the id or remove the declaration",
        "state/contoso/alerts.yaml:8:3: error: alert da9 does not exist in tenant "
        "contoso; correct the id or remove the declaration",
        "state/fabrikam/incidents.yaml:2:3: error: incident 77 does not exist in "
        "tenant fabrikam; correct the id or remove the declaration",
    ]


def test_items_that_cannot_be_read_are_unknown_not_changes() -> None:
    class Throttled(MemoryReader):
        def get_many(self, kind, ids):  # type: ignore[no-untyped-def]
            from reconciler.live.errors import ThrottledError

            raise ThrottledError("Graph kept answering 429 for contoso")

    state = desired_state(
        tenant_state(
            spec("contoso"),
            [declared("contoso", "incident", "1", 2, status="resolved")],
        )
    )
    reader = Throttled([live("incident", "1")])

    plan = build_plan(
        state, factory({"contoso": reader}), endpoints=ENDPOINTS, now=PLANNED_AT
    )

    tenant = plan.tenants[0]
    assert tenant.changes == []
    assert [(n.id, n.reason, n.detail) for n in tenant.notices] == [
        ("1", "unknown", "could not be read: Graph kept answering 429 for contoso")
    ]
    assert not plan.is_complete()


def test_a_tenant_that_cannot_be_read_does_not_stop_the_others() -> None:
    readers = {"fabrikam": MemoryReader([live("incident", "418")])}

    def reader_for(tenant: TenantSpec) -> MemoryReader:
        if tenant.slug == "contoso":
            raise CredentialError(
                "tenant contoso: the environment variable CONTOSO_CLIENT_SECRET "
                "is not set; set it to the app's client secret"
            )
        return readers[tenant.slug]

    state = desired_state(
        tenant_state(
            spec("contoso"), [declared("contoso", "incident", "1", 2, status="active")]
        ),
        tenant_state(
            spec("fabrikam"),
            [declared("fabrikam", "incident", "418", 2, status="resolved")],
        ),
    )

    plan = build_plan(state, reader_for, endpoints=ENDPOINTS, now=PLANNED_AT)

    contoso, fabrikam = plan.tenants
    assert contoso.error == (
        "tenant contoso: the environment variable CONTOSO_CLIENT_SECRET is not "
        "set; set it to the app's client secret"
    )
    assert contoso.changes == []
    assert [item.id for item in fabrikam.changes] == ["418"]
    assert not plan.is_complete()


def test_a_plan_without_differences_has_no_changes() -> None:
    state = desired_state(
        tenant_state(
            spec("contoso"), [declared("contoso", "incident", "1", 2, status="active")]
        )
    )
    reader = MemoryReader([live("incident", "1")])

    plan = build_plan(
        state, factory({"contoso": reader}), endpoints=ENDPOINTS, now=PLANNED_AT
    )

    assert not plan.has_changes()
    assert plan.is_complete()


def test_the_commit_is_that_of_the_state_repository(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / "reconciler.yaml").write_text("defaults: {}\n")
    git("add", "reconciler.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-qm", "s")

    assert git_commit(tmp_path) == git("rev-parse", "HEAD")


def test_no_commit_is_claimed_outside_a_git_work_tree(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None

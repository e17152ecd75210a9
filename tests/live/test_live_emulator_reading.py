"""Reading and writing the emulator over real HTTPS, signed in by real MSAL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from live_support import (
    SeededAppLike,
    emulator_endpoints,
    emulator_spec,
    generated_incidents,
)

from reconciler.emulator import EmulatorServer
from reconciler.emulator.seeding import DEMO_CLIENT_SECRET
from reconciler.live import GraphClient, TenantClient, WriteOutcome

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM = "7a2b9c4d-0000-4000-8000-000000000002"


@pytest.fixture
def graph(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphClient]:
    monkeypatch.setenv("CONTOSO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    monkeypatch.setenv("FABRIKAM_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    with GraphClient(emulator_endpoints(emulator)) as client:
        yield client


@pytest.fixture
def contoso(graph: GraphClient) -> TenantClient:
    return graph.tenant(emulator_spec("contoso", CONTOSO))


def test_a_secret_signs_in_and_reads_every_incident(
    emulator: EmulatorServer, contoso: TenantClient
) -> None:
    result = contoso.list_all("incident")

    assert result.complete
    assert set(result.items) == {
        item["id"] for item in emulator.store.items(CONTOSO, "incident")
    }
    stats = emulator.stats()["tenants"][CONTOSO]
    assert stats["token_requests"] == 1
    assert stats["throttled"] == 0
    assert contoso.requests_made == stats["graph_requests"] == 1


def test_a_certificate_signs_in_with_its_pem_file(
    emulator: EmulatorServer,
    graph: GraphClient,
    emulator_apps: dict[str, SeededAppLike],
) -> None:
    app = emulator_apps["certificate"]
    spec = emulator_spec(
        "contoso",
        CONTOSO,
        client_id=app.client_id,
        certificate_file=app.certificate_file,
    )

    count = graph.tenant(spec).count("alert")

    assert count == len(emulator.store.items(CONTOSO, "alert"))
    assert emulator.stats()["tenants"][CONTOSO]["token_requests"] == 1


def test_an_incident_awaiting_defender_experts_reads_as_awaiting_action(
    contoso: TenantClient,
) -> None:
    result = contoso.list_all("incident")

    assert result.items["2972412"].fields["status"] == "awaitingAction"


def test_paging_reads_more_than_a_thousand_incidents_fifty_at_a_time(
    emulator: EmulatorServer, graph: GraphClient
) -> None:
    emulator.store.add_items(FABRIKAM, "incident", generated_incidents(1_100))
    expected = {item["id"] for item in emulator.store.items(FABRIKAM, "incident")}
    fabrikam = graph.tenant(emulator_spec("fabrikam", FABRIKAM, quota_per_minute=6000))
    emulator.configure(quota_per_minute=6000)

    result = fabrikam.list_all("incident")

    assert result.complete
    assert set(result.items) == expected
    pages = -(-len(expected) // 50)
    assert result.requests == pages
    assert emulator.stats()["tenants"][FABRIKAM]["requests"]["GET list"] == pages


def test_changes_since_a_watermark_include_an_analysts_edit(
    emulator: EmulatorServer, contoso: TenantClient
) -> None:
    before = contoso.list_all("incident")
    watermark = max(item.last_update for item in before.items.values())
    emulator.store.set_fields(CONTOSO, "incident", "2972420", {"status": "inProgress"})

    changed = contoso.list_changed_since("incident", watermark)

    assert changed.complete
    assert "2972420" in changed.items
    assert changed.items["2972420"].fields["status"] == "inProgress"
    assert all(item.last_update >= watermark for item in changed.items.values())


def test_reads_by_id_find_items_and_tell_missing_ones(contoso: TenantClient) -> None:
    result = contoso.get_many("alert", ["da637551227677560813_-961444813", "nope"])

    assert set(result.items) == {"da637551227677560813_-961444813"}
    assert result.missing == frozenset({"nope"})
    assert result.unknown == {}
    assert result.requests == 2


def test_writes_go_through_batch_and_match_the_emulators_write_log(
    emulator: EmulatorServer, contoso: TenantClient
) -> None:
    bodies = {
        "2972395": {
            "status": "resolved",
            "classification": "truePositive",
            "determination": "multiStagedAttack",
            "customTags": ("ransomware", "escalated"),
        },
        "2972401": {"assignedTo": None},
    }

    outcomes = contoso.patch_many("incident", bodies)

    assert {item_id: outcome.ok for item_id, outcome in outcomes.items()} == {
        "2972395": True,
        "2972401": True,
    }
    written = outcomes["2972395"].item
    assert written is not None
    assert written.fields == {
        "assignedTo": None,
        "status": "resolved",
        "classification": "truePositive",
        "determination": "multiStagedAttack",
        "customTags": ("escalated", "ransomware"),
    }
    assert [(entry["id"], entry["fields"]) for entry in emulator.writes()] == [
        (
            "2972395",
            {
                "status": "resolved",
                "classification": "truePositive",
                "determination": "multiStagedAttack",
                "customTags": ["escalated", "ransomware"],
            },
        ),
        ("2972401", {"assignedTo": None}),
    ]
    assert emulator.stats()["tenants"][CONTOSO]["requests"]["POST batch"] == 1


def test_a_write_graph_refuses_is_a_failed_outcome_and_nothing_is_written(
    emulator: EmulatorServer, contoso: TenantClient
) -> None:
    outcomes = contoso.patch_many(
        "incident",
        {"2972395": {"classification": "falsePositive", "determination": "malware"}},
    )

    outcome = outcomes["2972395"]
    assert outcome == WriteOutcome(
        id="2972395",
        ok=False,
        status=400,
        item=None,
        error=outcome.error,
    )
    assert outcome.error is not None
    assert outcome.error.startswith("Graph refused the change (HTTP 400 ")
    assert emulator.writes() == []


def test_tenants_read_from_different_threads_keep_their_own_tokens_and_counts(
    emulator: EmulatorServer, graph: GraphClient
) -> None:
    clients = [
        graph.tenant(emulator_spec("contoso", CONTOSO)),
        graph.tenant(emulator_spec("fabrikam", FABRIKAM)),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda client: client.list_all("incident"), clients))

    assert [result.complete for result in results] == [True, True]
    stats = emulator.stats()["tenants"]
    assert [stats[tenant]["token_requests"] for tenant in (CONTOSO, FABRIKAM)] == [1, 1]
    assert [client.requests_made for client in clients] == [1, 1]

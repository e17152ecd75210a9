"""Quota pacing and fault recovery against the emulator's limits.

The emulator counts a tenant's quota over a window that tests may shorten; the
client is told the same window, so that pacing shows in seconds, not minutes.
"""

from __future__ import annotations

import pytest
from live_support import emulator_endpoints, emulator_spec, generated_incidents

from reconciler.emulator import EmulatorServer
from reconciler.emulator.seeding import DEMO_CLIENT_SECRET
from reconciler.live import GraphClient, TenantClient
from reconciler.live.retrying import RetryPolicy

FABRIKAM = "7a2b9c4d-0000-4000-8000-000000000002"
QUOTA = 140
WINDOW_S = 2.5


@pytest.fixture
def seeded(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv("FABRIKAM_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    emulator.store.add_items(FABRIKAM, "incident", generated_incidents(1_100))
    return emulator


def fabrikam(graph: GraphClient, quota_per_minute: int) -> TenantClient:
    return graph.tenant(
        emulator_spec("fabrikam", FABRIKAM, quota_per_minute=quota_per_minute)
    )


def read_four_hundred_units(tenant: TenantClient) -> list[str]:
    """23 pages of 1,103 incidents, then 377 of them by id in 19 batches."""
    listing = tenant.list_all("incident")
    assert (listing.complete, listing.requests) == (True, 23)
    result = tenant.get_many("incident", sorted(listing.items)[:377])
    assert (result.missing, result.unknown) == (frozenset(), {})
    return sorted(result.items)


def test_a_paced_run_of_four_hundred_requests_is_never_throttled(
    seeded: EmulatorServer,
) -> None:
    seeded.configure(quota_per_minute=QUOTA, quota_window_s=WINDOW_S)

    with GraphClient(emulator_endpoints(seeded), quota_window_s=WINDOW_S) as graph:
        tenant = fabrikam(graph, QUOTA)
        read = read_four_hundred_units(tenant)

    stats = seeded.stats()["tenants"][FABRIKAM]
    assert len(read) == 377
    # More than twice the quota went through one window after another, and the
    # emulator never had to refuse a request.
    assert stats["graph_requests"] == tenant.requests_made == 400
    assert stats["throttled"] == 0


def test_without_pacing_the_same_run_is_throttled_and_still_completes(
    seeded: EmulatorServer,
) -> None:
    seeded.configure(quota_per_minute=QUOTA, quota_window_s=WINDOW_S)

    with GraphClient(emulator_endpoints(seeded), quota_window_s=WINDOW_S) as graph:
        tenant = fabrikam(graph, 100 * QUOTA)
        read = read_four_hundred_units(tenant)

    stats = seeded.stats()["tenants"][FABRIKAM]
    assert len(read) == 377
    assert stats["throttled"] > 0
    assert stats["graph_requests"] == tenant.requests_made == 400 + stats["throttled"]


def test_reads_and_writes_converge_through_injected_faults(
    seeded: EmulatorServer,
) -> None:
    seeded.configure(
        quota_per_minute=0, fault_rate=0.25, fault_seed=11, slow_response_s=0.6
    )
    policy = RetryPolicy(backoff_initial_s=0.05, backoff_max_s=0.2)
    bodies = {
        item_id: {"status": "resolved", "customTags": ("triaged",)}
        for item_id in sorted(
            item["id"] for item in seeded.store.items(FABRIKAM, "incident")
        )[:30]
    }

    with GraphClient(emulator_endpoints(seeded), timeout=0.3, retry=policy) as graph:
        tenant = fabrikam(graph, 6000)
        listing = tenant.list_all("incident")
        reads = tenant.get_many("incident", list(bodies))
        outcomes = tenant.patch_many("incident", bodies)

    stats = seeded.stats()["tenants"][FABRIKAM]
    assert stats["faults"] > 0
    assert listing.complete
    assert len(listing.items) == len(seeded.store.items(FABRIKAM, "incident"))
    assert (len(reads.items), reads.unknown) == (30, {})
    assert [outcome.ok for outcome in outcomes.values()] == [True] * 30
    for item_id in bodies:
        live = seeded.store.item(FABRIKAM, "incident", item_id)
        assert (live["status"], live["customTags"]) == ("resolved", ["triaged"])
    assert {entry["id"] for entry in seeded.writes()} == set(bodies)

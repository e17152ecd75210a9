"""Quota, faults and latency (graph-api.md 4.1; the emulator section of design.md)."""

from __future__ import annotations

import time

import httpx
import pytest
from emulator_support import CONTOSO, DEMO_APP, DEMO_SECRET, FABRIKAM

from reconciler.emulator.limits import FaultPlan

INCIDENT = "/security/incidents/2972395"


def seed_for(kind):
    """A fault seed whose first draw in contoso is `kind` (at fault rate 1)."""
    for seed in range(1000):
        if FaultPlan().draw(CONTOSO, 1.0, seed) == kind:
            return seed
    raise AssertionError(f"no seed gives {kind}")


def test_request_over_quota_gets_429_with_retry_after_and_graph_body(graph, emulator):
    """graph-api.md 4.1: 429, Retry-After in seconds, code TooManyRequests."""
    emulator.configure(quota_per_minute=3)
    statuses = [graph.get(INCIDENT).status_code for _ in range(4)]

    response = graph.get(INCIDENT)

    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert 59 < float(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["code"] == "TooManyRequests"
    counters = emulator.stats()["tenants"][CONTOSO]
    assert counters["throttled"] == 2
    assert counters["graph_requests"] == 5


def test_quota_is_per_app_per_tenant(graph_as, emulator, emulator_apps):
    """graph-api.md 4.1: limits apply per app per tenant."""
    emulator.configure(quota_per_minute=1)
    contoso_demo = graph_as(CONTOSO, DEMO_APP)
    assert contoso_demo.get(INCIDENT).status_code == 200
    assert contoso_demo.get(INCIDENT).status_code == 429

    fabrikam_demo = graph_as(FABRIKAM, DEMO_APP)
    contoso_reader = graph_as(CONTOSO, emulator_apps["read_only"].client_id)

    assert fabrikam_demo.get("/security/incidents/418").status_code == 200
    assert contoso_reader.get(INCIDENT).status_code == 200


def test_waiting_retry_after_frees_a_slot(graph, emulator):
    """Throttled requests take no slot, so one wait of Retry-After is enough."""
    emulator.configure(quota_per_minute=2, quota_window_s=0.3)
    graph.get(INCIDENT)
    graph.get(INCIDENT)
    throttled = graph.get(INCIDENT)
    assert throttled.status_code == 429

    time.sleep(float(throttled.headers["Retry-After"]))

    assert graph.get(INCIDENT).status_code == 200


def test_zero_quota_means_no_limit(graph, emulator):
    emulator.configure(quota_per_minute=0)

    assert {graph.get(INCIDENT).status_code for _ in range(20)} == {200}


def test_reset_restores_the_limits_the_server_started_with(emulator):
    emulator.configure(quota_per_minute=1, fault_rate=0.5, latency_ms=5)

    emulator.reset()

    assert emulator.limits.quota_per_minute == 150
    assert emulator.limits.fault_rate == 0.0
    assert emulator.limits.latency_ms == 0


def test_unavailable_fault_is_503_with_short_retry_after_and_no_write(graph, emulator):
    """graph-api.md 4.1: 503 may carry Retry-After; the request was not done."""
    emulator.configure(fault_rate=1.0, fault_seed=seed_for("unavailable"))

    response = graph.patch(INCIDENT, json={"status": "inProgress"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "0.2"
    assert response.json()["error"]["code"] == "ServiceUnavailable"
    assert emulator.writes() == []
    assert emulator.stats()["tenants"][CONTOSO]["faults"] == 1


def test_server_error_fault_is_500(graph, emulator):
    emulator.configure(fault_rate=1.0, fault_seed=seed_for("server_error"))

    response = graph.get(INCIDENT)

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "InternalServerError"


def test_dropped_response_still_wrote(graph, emulator):
    """A write whose response was cut has still happened."""
    emulator.configure(fault_rate=1.0, fault_seed=seed_for("dropped"))

    with pytest.raises(httpx.TransportError):
        graph.patch(INCIDENT, json={"status": "inProgress"})

    emulator.configure(fault_rate=0.0)
    assert graph.get(INCIDENT).json()["status"] == "inProgress"
    assert [w["fields"] for w in emulator.writes()] == [{"status": "inProgress"}]


def test_slow_response_outlasts_the_client_timeout_but_the_write_stands(
    graph, emulator
):
    emulator.configure(fault_rate=1.0, fault_seed=seed_for("slow"), slow_response_s=5.0)

    with pytest.raises(httpx.ReadTimeout):
        graph.patch(INCIDENT, json={"assignedTo": "late@contoso.com"}, timeout=0.3)

    assert emulator.store.item(CONTOSO, "incident", "2972395")["assignedTo"] == (
        "late@contoso.com"
    )


def test_faults_are_deterministic_for_a_seed(graph, emulator):
    def statuses():
        emulator.reset()
        emulator.configure(fault_rate=0.5, fault_seed=7, slow_response_s=0.3)
        outcomes = []
        for _ in range(12):
            try:
                outcomes.append(graph.get(INCIDENT, timeout=0.1).status_code)
            except httpx.TransportError as error:
                outcomes.append(type(error).__name__)
        return outcomes

    first = statuses()

    assert first == statuses()
    assert len(set(first)) > 1


def test_identity_is_never_faulted(https, emulator):
    emulator.configure(fault_rate=1.0, quota_per_minute=1)
    form = {
        "grant_type": "client_credentials",
        "client_id": DEMO_APP,
        "client_secret": DEMO_SECRET,
        "scope": "https://graph.microsoft.com/.default",
    }

    statuses = {
        https.post(f"/{CONTOSO}/oauth2/v2.0/token", data=form).status_code
        for _ in range(5)
    }

    assert statuses == {200}


def test_latency_delays_each_request(graph, emulator):
    """Lower bound only: asyncio.sleep never wakes early."""
    emulator.configure(latency_ms=200)

    started = time.monotonic()
    graph.get(INCIDENT)

    assert time.monotonic() - started >= 0.19

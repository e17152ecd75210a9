"""Writing through $batch against a fake Graph: bodies, outcomes, failures."""

from __future__ import annotations

import httpx
import pytest
from live_support import (
    FakeCloud,
    SleepRecorder,
)

from reconciler.live import AuthenticationError, LiveItem, TenantClient, WriteOutcome

INCIDENTS = "/v1.0/security/incidents"


@pytest.fixture
def cloud() -> FakeCloud:
    fake = FakeCloud()
    fake.add_incidents(3)
    return fake


def test_a_write_sends_tags_as_a_list_and_unassigned_as_null(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.items["incidents"]["1"]["assignedTo"] = "kai@contoso.com"

    outcomes = contoso.patch_many(
        "incident",
        {"1": {"customTags": ("ransomware", "escalated"), "assignedTo": None}},
    )

    (item,) = cloud.batch_items[0]
    assert item.method == "PATCH"
    assert item.url == "/security/incidents/1"
    assert item.headers == {
        "Prefer": "include-unknown-enum-members",
        "Content-Type": "application/json",
    }
    assert item.body == {"customTags": ["escalated", "ransomware"], "assignedTo": None}
    assert outcomes == {
        "1": WriteOutcome(
            id="1",
            ok=True,
            status=200,
            item=LiveItem(
                kind="incident",
                id="1",
                fields={
                    "assignedTo": None,
                    "status": "active",
                    "classification": "unknown",
                    "determination": "unknown",
                    "customTags": ("escalated", "ransomware"),
                },
                last_update="2026-12-01T00:00:00.0000000Z",
            ),
            error=None,
        )
    }


def test_writes_go_twenty_to_a_batch_and_each_item_counts_against_the_quota(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(41)
    bodies = {str(n): {"status": "resolved"} for n in range(1, 42)}

    outcomes = contoso.patch_many("incident", bodies)

    assert [len(batch) for batch in cloud.batch_items] == [20, 20, 1]
    assert list(outcomes) == list(bodies)
    assert all(outcome.ok for outcome in outcomes.values())
    assert contoso.requests_made == 41


def test_a_refused_write_is_a_failed_outcome_with_graphs_reason(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.fail(
        "PATCH",
        f"{INCIDENTS}/2",
        400,
        body={"error": {"code": "BadRequest", "message": "Invalid determination."}},
    )

    outcomes = contoso.patch_many(
        "incident", {"1": {"status": "resolved"}, "2": {"determination": "apt"}}
    )

    assert outcomes["1"].ok
    assert outcomes["2"] == WriteOutcome(
        id="2",
        ok=False,
        status=400,
        item=None,
        error="Graph refused the change (HTTP 400 BadRequest: Invalid determination.)",
    )


def test_writing_a_missing_item_says_it_does_not_exist(contoso: TenantClient) -> None:
    outcomes = contoso.patch_many("incident", {"99": {"status": "resolved"}})

    assert outcomes["99"] == WriteOutcome(
        id="99",
        ok=False,
        status=404,
        item=None,
        error="incident 99 does not exist in tenant contoso (HTTP 404 NotFound: "
        "not found)",
    )


def test_a_throttled_write_is_sent_again_after_retry_after(
    cloud: FakeCloud, contoso: TenantClient, sleep: SleepRecorder
) -> None:
    cloud.fail("PATCH", f"{INCIDENTS}/1", 429, headers={"retry-after": "4"})

    outcomes = contoso.patch_many("incident", {"1": {"status": "resolved"}})

    assert outcomes["1"].ok
    assert sleep.waits == [4.0]
    assert [body for _, body in cloud.patches] == [{"status": "resolved"}]


def test_a_write_throttled_beyond_the_budget_fails_with_the_reason(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.fail(
        "PATCH",
        f"{INCIDENTS}/1",
        429,
        times=6,
        headers={"Retry-After": "1"},
        body={"error": {"code": "TooManyRequests", "message": "Slow down."}},
    )

    outcomes = contoso.patch_many("incident", {"1": {"status": "resolved"}})

    assert outcomes["1"] == WriteOutcome(
        id="1",
        ok=False,
        status=429,
        item=None,
        error="Graph refused the change (throttled beyond the retry budget "
        "(HTTP 429 TooManyRequests: Slow down.))",
    )


def test_a_failure_before_anything_was_sent_is_raised(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.token_answer = (
        401,
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215],
        },
    )

    with pytest.raises(AuthenticationError):
        contoso.patch_many("incident", {"1": {"status": "resolved"}})

    assert cloud.patches == []


def test_a_connection_lost_after_some_writes_reports_the_rest_as_failed(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(25)
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    cloud.fail("POST", "/v1.0/$batch", times=6, after=1, error=refused)
    bodies = {str(n): {"status": "resolved"} for n in range(1, 26)}

    outcomes = contoso.patch_many("incident", bodies)

    assert list(outcomes) == list(bodies)
    assert all(outcomes[str(n)].ok for n in range(1, 21))
    assert outcomes["21"] == WriteOutcome(
        id="21",
        ok=False,
        status=0,
        item=None,
        error="nothing answers at https://graph.fake.test/v1.0 (connection refused); "
        "check RECONCILER_GRAPH_URL or cloud.graph_url and that the server is running",
    )
    assert {outcomes[str(n)].error for n in range(21, 26)} == {outcomes["21"].error}

"""Reading a tenant through a fake Graph: paging, filters, reads by id, failures."""

from __future__ import annotations

import logging

import pytest
from live_support import (
    CLIENT_ID,
    GRAPH_URL,
    TENANT_ID,
    FakeCloud,
    SleepRecorder,
    incident,
)

from reconciler.live import LiveError, PermissionDeniedError, TenantClient

INCIDENTS = "/v1.0/security/incidents"


@pytest.fixture
def cloud() -> FakeCloud:
    return FakeCloud()


def test_listing_follows_every_next_link_exactly_as_given(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(120)

    result = contoso.list_all("incident")

    assert result.complete
    assert result.error is None
    assert sorted(result.items, key=int) == [str(n) for n in range(1, 121)]
    assert result.requests == 3
    assert [str(request.url) for request in cloud.graph_requests()] == [
        f"{GRAPH_URL}/security/incidents?%24top=50",
        f"{GRAPH_URL}/security/incidents?$top=50&$skip=50",
        f"{GRAPH_URL}/security/incidents?$top=50&$skip=100",
    ]


def test_every_graph_request_asks_for_evolvable_enum_members_and_carries_a_token(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(60)

    contoso.list_all("incident")
    contoso.get_many("incident", ["1", "2"])

    requests = cloud.graph_requests()
    assert len(requests) == 3
    for request in requests:
        assert request.headers["Prefer"] == "include-unknown-enum-members"
        assert request.headers["Authorization"] == "Bearer fake-access-token"
    for item in cloud.batch_items[0]:
        assert item.headers == {"Prefer": "include-unknown-enum-members"}


def test_counting_asks_graph_for_the_count_and_the_first_page_in_one_request(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(75)

    assert contoso.count("incident") == 75
    assert [dict(r.url.params) for r in cloud.graph_requests()] == [
        {"$count": "true", "$top": "50"}
    ]


def test_a_listing_right_after_counting_starts_from_the_second_page(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(120)

    contoso.count("incident")
    result = contoso.list_all("incident")

    assert result.complete
    assert sorted(result.items, key=int) == [str(n) for n in range(1, 121)]
    assert result.requests == 2
    assert contoso.requests_made == 3
    assert [str(request.url) for request in cloud.graph_requests()] == [
        f"{GRAPH_URL}/security/incidents?%24count=true&%24top=50",
        f"{GRAPH_URL}/security/incidents?$top=50&$skip=50",
        f"{GRAPH_URL}/security/incidents?$top=50&$skip=100",
    ]


def test_a_listing_after_any_other_call_reads_the_first_page_again(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(60)

    contoso.count("incident")
    contoso.get_many("incident", ["1"])
    contoso.list_all("incident")
    contoso.count("alert")
    contoso.list_all("incident")

    assert [
        (request.method, dict(request.url.params)) for request in cloud.graph_requests()
    ] == [
        ("GET", {"$count": "true", "$top": "50"}),
        ("POST", {}),
        ("GET", {"$top": "50"}),
        ("GET", {"$top": "50", "$skip": "50"}),
        ("GET", {"$count": "true", "$top": "50"}),
        ("GET", {"$top": "50"}),
        ("GET", {"$top": "50", "$skip": "50"}),
    ]


def test_changes_are_listed_with_an_unquoted_last_update_filter(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    contoso.list_changed_since("alert", "2026-11-30T08:00:00.0000000Z")

    (request,) = cloud.graph_requests()
    assert request.url.path == "/v1.0/security/alerts_v2"
    assert dict(request.url.params) == {
        "$top": "50",
        "$filter": "lastUpdateDateTime ge 2026-11-30T08:00:00.0000000Z",
    }


def test_a_watermark_that_is_not_a_timestamp_is_refused_before_any_request(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    with pytest.raises(LiveError) as caught:
        contoso.list_changed_since("incident", "x' or 1 eq 1")

    assert str(caught.value) == (
        '"x\' or 1 eq 1" is not a timestamp Graph can filter on; expected one like '
        "2026-11-30T08:00:00.0000000Z, as Graph sends lastUpdateDateTime"
    )
    assert cloud.requests == []


def test_a_listing_that_fails_midway_keeps_what_it_read_and_is_incomplete(
    cloud: FakeCloud, contoso: TenantClient, sleep: SleepRecorder
) -> None:
    cloud.add_incidents(120)
    cloud.fail(
        "GET",
        INCIDENTS,
        503,
        times=6,
        params={"$skip": "50"},
        body={"error": {"code": "ServiceUnavailable", "message": "down"}},
    )

    result = contoso.list_all("incident")

    assert not result.complete
    assert sorted(result.items, key=int) == [str(n) for n in range(1, 51)]
    assert result.error == (
        "listing incidents in tenant contoso was throttled beyond the retry budget "
        "(HTTP 503 ServiceUnavailable: down); try again later or lower "
        "quota_per_minute"
    )
    assert result.requests == 7
    assert len(sleep.waits) == 5


def test_a_next_link_leading_to_another_host_is_not_followed(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.fail(
        "GET",
        INCIDENTS,
        200,
        body={
            "value": [incident(1)],
            "@odata.nextLink": "https://elsewhere.test/v1.0/security/incidents?$skip=1",
        },
    )

    result = contoso.list_all("incident")

    assert not result.complete
    assert list(result.items) == ["1"]
    assert result.error == (
        "Graph's next-page link for listing incidents in tenant contoso leads away "
        f"from {GRAPH_URL}; the listing stopped there rather than send the token "
        "elsewhere"
    )
    assert len(cloud.graph_requests()) == 1


def test_a_throttled_page_is_retried_after_the_servers_retry_after(
    cloud: FakeCloud, contoso: TenantClient, sleep: SleepRecorder
) -> None:
    cloud.add_incidents(3)
    cloud.fail(
        "GET",
        INCIDENTS,
        429,
        headers={"Retry-After": "2.5"},
        body={
            "error": {"code": "TooManyRequests", "message": "Please retry again later."}
        },
    )

    result = contoso.list_all("incident")

    assert result.complete
    assert len(result.items) == 3
    assert sleep.waits == [2.5]
    assert contoso.requests_made == 2


def test_reads_by_id_go_through_batches_of_twenty(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(44)
    wanted = [str(n) for n in range(1, 46)]

    result = contoso.get_many("incident", wanted)

    assert [len(batch) for batch in cloud.batch_items] == [20, 20, 5]
    assert cloud.batch_items[0][0].url == "/security/incidents/1"
    assert sorted(result.items, key=int) == wanted[:44]
    assert result.missing == frozenset({"45"})
    assert result.unknown == {}
    assert result.requests == 45
    assert contoso.requests_made == 45


def test_only_the_throttled_items_of_a_batch_are_sent_again(
    cloud: FakeCloud, contoso: TenantClient, sleep: SleepRecorder
) -> None:
    cloud.add_incidents(5)
    cloud.fail("GET", f"{INCIDENTS}/2", 429, headers={"Retry-After": "1"})
    cloud.fail("GET", f"{INCIDENTS}/4", 429, headers={"Retry-After": "3"})

    result = contoso.get_many("incident", ["1", "2", "3", "4", "5"])

    assert len(result.items) == 5
    assert [[item.url for item in batch] for batch in cloud.batch_items] == [
        [f"/security/incidents/{n}" for n in range(1, 6)],
        ["/security/incidents/2", "/security/incidents/4"],
    ]
    assert sleep.waits == [3.0]
    assert result.requests == 7


def test_a_batch_that_keeps_making_progress_is_not_cut_off_by_the_attempt_count(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(8)
    for number in range(1, 9):
        cloud.fail("GET", f"{INCIDENTS}/{number}", 429, times=number)

    result = contoso.get_many("incident", [str(n) for n in range(1, 9)])

    assert len(result.items) == 8
    assert len(cloud.batch_items) == 9


def test_an_item_that_stays_unreadable_is_unknown_never_missing(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(2)
    cloud.fail(
        "GET",
        f"{INCIDENTS}/2",
        503,
        times=10,
        body={"error": {"code": "ServiceUnavailable", "message": "Try later."}},
    )

    result = contoso.get_many("incident", ["1", "2"])

    assert list(result.items) == ["1"]
    assert result.missing == frozenset()
    assert result.unknown == {
        "2": "throttled beyond the retry budget "
        "(HTTP 503 ServiceUnavailable: Try later.)"
    }


def test_reading_without_the_role_names_the_permission_to_grant(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.fail(
        "GET",
        INCIDENTS,
        403,
        body={"error": {"code": "Forbidden", "message": "Missing role."}},
    )

    with pytest.raises(PermissionDeniedError) as caught:
        contoso.list_all("incident")

    assert str(caught.value) == (
        f"application {CLIENT_ID} may not use incidents in tenant contoso (HTTP 403 "
        "Forbidden: Missing role.); give it the application permission "
        "SecurityIncident.ReadWrite.All and have an administrator of the tenant "
        "consent at "
        f"https://login.fake.test/{TENANT_ID}/adminconsent?client_id={CLIENT_ID}"
    )


def test_a_refused_token_gets_one_fresh_token_and_one_more_try(
    cloud: FakeCloud, contoso: TenantClient
) -> None:
    cloud.add_incidents(1)
    cloud.fail(
        "GET", INCIDENTS, 401, body={"error": {"code": "InvalidAuthenticationToken"}}
    )

    result = contoso.list_all("incident")

    assert result.complete
    token_posts = [r for r in cloud.requests if r.url.path.endswith("/token")]
    assert len(token_posts) == 2


def test_each_operation_logs_one_outcome_line(
    cloud: FakeCloud, contoso: TenantClient, caplog: pytest.LogCaptureFixture
) -> None:
    cloud.add_incidents(3000)
    caplog.set_level(logging.INFO, logger="reconciler")

    contoso.list_all("incident")

    assert [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.INFO and record.name.startswith("reconciler")
    ] == ["contoso: read 3,000 incidents (60 requests)"]

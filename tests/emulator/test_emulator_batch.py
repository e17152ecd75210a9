"""JSON batching (graph-api.md 3): 20 items, per-item status, dependsOn, 429s."""

from __future__ import annotations

from emulator_support import CONTOSO

JSON = {"Content-Type": "application/json"}


def get_item(request_id, incident_id, **extra):
    return {
        "id": request_id,
        "method": "GET",
        "url": f"/security/incidents/{incident_id}",
        **extra,
    }


def patch_item(request_id, incident_id, body):
    return {
        "id": request_id,
        "method": "PATCH",
        "url": f"/security/incidents/{incident_id}",
        "headers": JSON,
        "body": body,
    }


def responses(response):
    return {item["id"]: item for item in response.json()["responses"]}


def test_batch_returns_each_item_with_its_own_status(graph):
    response = graph.post(
        "/$batch",
        json={
            "requests": [
                get_item("1", "2972395"),
                get_item("2", "404404"),
                patch_item("3", "2972420", {"assignedTo": "kai@contoso.com"}),
            ]
        },
    )

    items = responses(response)
    assert response.status_code == 200
    assert {k: v["status"] for k, v in items.items()} == {"1": 200, "2": 404, "3": 200}
    assert items["3"]["body"]["assignedTo"] == "kai@contoso.com"
    assert items["1"]["headers"]["Content-Type"] == "application/json"


def test_batch_of_21_items_is_refused_whole(graph, emulator):
    """graph-api.md 3: at most 20 requests per batch."""
    requests = [get_item(str(n), "2972395") for n in range(21)]

    response = graph.post("/$batch", json={"requests": requests})

    assert response.status_code == 400
    assert emulator.stats()["tenants"][CONTOSO]["graph_requests"] == 0


def test_duplicate_ids_differing_only_in_case_are_refused(graph):
    """graph-api.md 3: ids are unique case-insensitively; duplicates fail the batch."""
    response = graph.post(
        "/$batch",
        json={"requests": [get_item("a", "2972395"), get_item("A", "2972401")]},
    )

    assert response.status_code == 400


def test_body_without_content_type_header_is_refused(graph):
    item = patch_item("1", "2972395", {"status": "active"})
    del item["headers"]

    response = graph.post("/$batch", json={"requests": [item]})

    assert response.status_code == 400


def test_absolute_url_in_an_item_is_refused(graph, emulator):
    item = get_item("1", "2972395")
    item["url"] = f"{emulator.url}/v1.0/security/incidents/2972395"

    assert graph.post("/$batch", json={"requests": [item]}).status_code == 400


def test_dependent_of_a_failed_item_gets_424(graph, emulator):
    """graph-api.md 3: a failed prerequisite fails dependents with 424."""
    response = graph.post(
        "/$batch",
        json={
            "requests": [
                patch_item("1", "2972395", {"status": "closed"}),
                {
                    **patch_item("2", "2972401", {"status": "active"}),
                    "dependsOn": ["1"],
                },
            ]
        },
    )

    items = responses(response)
    assert items["1"]["status"] == 400
    assert items["2"]["status"] == 424
    assert emulator.writes() == []


def test_each_item_counts_against_quota_and_throttled_items_get_429(graph, emulator):
    """graph-api.md 3 and 4.1: items count one each; a 429 item carries Retry-After."""
    emulator.configure(quota_per_minute=3)
    requests = [get_item(str(n), "2972395") for n in range(5)]

    response = graph.post("/$batch", json={"requests": requests})

    items = responses(response)
    assert response.status_code == 200
    assert [items[str(n)]["status"] for n in range(5)] == [200, 200, 200, 429, 429]
    assert 59 < float(items["3"]["headers"]["Retry-After"]) <= 60
    assert items["3"]["body"]["error"]["code"] == "TooManyRequests"
    counters = emulator.stats()["tenants"][CONTOSO]
    assert counters["graph_requests"] == 5
    assert counters["throttled"] == 2
    assert counters["http_requests"] == 1
    assert counters["requests"] == {"GET item": 5, "POST batch": 1}


def test_prefer_header_applies_per_item(graph):
    """graph-api.md 3: Prefer must go in each item's headers."""
    response = graph.post(
        "/$batch",
        json={
            "requests": [
                get_item("plain", "2972412"),
                get_item(
                    "opted",
                    "2972412",
                    headers={"Prefer": "include-unknown-enum-members"},
                ),
            ]
        },
    )

    items = responses(response)
    assert items["plain"]["body"]["status"] == "unknownFutureValue"
    assert items["opted"]["body"]["status"] == "awaitingAction"


def test_item_runs_after_the_item_it_depends_on_and_answers_in_request_order(graph):
    response = graph.post(
        "/$batch",
        json={
            "requests": [
                {**get_item("read", "2972395"), "dependsOn": ["write"]},
                patch_item("write", "2972395", {"assignedTo": "kai@contoso.com"}),
            ]
        },
    )

    items = response.json()["responses"]
    assert [item["id"] for item in items] == ["read", "write"]
    assert items[0]["body"]["assignedTo"] == "kai@contoso.com"


def test_dependency_cycle_is_refused(graph):
    response = graph.post(
        "/$batch",
        json={
            "requests": [
                {**get_item("a", "2972395"), "dependsOn": ["b"]},
                {**get_item("b", "2972395"), "dependsOn": ["a"]},
            ]
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The dependsOn relations in the batch form a cycle."
    )

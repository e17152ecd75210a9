"""$filter on the documented filterable properties (graph-api.md section 2)."""

from __future__ import annotations

import pytest
from emulator_support import CONTOSO


def ids(graph, collection, expression):
    response = graph.get(f"/security/{collection}", params={"$filter": expression})
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["value"]]


def test_status_eq_and_severity_eq_combine_with_and(graph):
    """graph-api.md 2: `status eq 'active' and severity eq 'high'` (migration doc)."""
    assert ids(graph, "incidents", "status eq 'active' and severity eq 'high'") == [
        "2972395"
    ]


def test_or_and_parentheses(graph):
    expression = (
        "(severity eq 'low' or severity eq 'informational') and status eq 'active'"
    )

    assert ids(graph, "incidents", expression) == ["2972426", "2972420"]


def test_enum_literals_match_any_casing(graph):
    """graph-api.md 1.3: compare enum values case-insensitively."""
    assert ids(graph, "incidents", "status eq 'Resolved'") == ["2972388"]


def test_null_matches_unassigned(graph):
    assert ids(graph, "incidents", "assignedTo eq null and status eq 'active'") == [
        "2972426",
        "2972420",
        "2972395",
    ]


def test_ne_null_matches_assigned(graph):
    assert ids(graph, "incidents", "assignedTo ne null") == [
        "2972415",
        "2972401",
        "2972388",
    ]


def test_unquoted_datetime_compares_last_update(graph):
    """graph-api.md 2: unquoted DateTimeOffset literal, `ge`."""
    assert ids(graph, "incidents", "lastUpdateDateTime ge 2026-11-19T09:00:00Z") == [
        "2972426",
        "2972401",
        "2972395",
    ]


def test_seven_fractional_digits_are_compared_exactly(graph, emulator):
    """A watermark equal to an item's lastUpdateDateTime includes it with ge only."""
    stamp = graph.patch(
        "/security/incidents/2972420", json={"status": "active"}
    ).json()["lastUpdateDateTime"]

    assert ids(graph, "incidents", f"lastUpdateDateTime ge {stamp}") == ["2972420"]
    assert ids(graph, "incidents", f"lastUpdateDateTime gt {stamp}") == []


def test_watermark_filter_sees_every_later_write(graph):
    first = graph.patch("/security/incidents/2972395", json={"assignedTo": "a@b"})
    watermark = first.json()["lastUpdateDateTime"]
    graph.patch("/security/incidents/2972401", json={"assignedTo": "a@b"})

    assert ids(graph, "incidents", f"lastUpdateDateTime gt {watermark}") == ["2972401"]


def test_service_source_is_filterable_on_alerts_only(graph):
    expression = "serviceSource eq 'microsoftDefenderForOffice365'"

    assert ids(graph, "alerts_v2", expression) == ["da637551227677560816_-553201176"]
    response = graph.get("/security/incidents", params={"$filter": expression})
    assert response.status_code == 400


def test_filter_combines_with_count_and_paging(graph, emulator):
    response = graph.get(
        "/security/incidents",
        params={"$filter": "status eq 'active'", "$top": "2", "$count": "true"},
    )

    body = response.json()
    assert body["@odata.count"] == 4
    assert [item["id"] for item in body["value"]] == ["2972426", "2972420"]
    second = graph.get(body["@odata.nextLink"]).json()
    assert [item["id"] for item in second["value"]] == ["2972415", "2972395"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param(
            "displayName eq 'x'",
            "Invalid filter clause: Could not find a filterable property named "
            "'displayName' on type 'microsoft.graph.security.incident'.",
            id="not-filterable",
        ),
        pytest.param(
            "status eq 'closed'",
            "Invalid filter clause: The string 'closed' is not a valid enumeration "
            "type constant for property 'status'.",
            id="bad-enum",
        ),
        pytest.param(
            "lastUpdateDateTime ge '2026-11-19T09:00:00Z'",
            "Invalid filter clause: operator 'ge' cannot compare property "
            "'lastUpdateDateTime' with '2026-11-19T09:00:00Z'.",
            id="quoted-datetime",
        ),
        pytest.param(
            "status ge 'active'",
            "Invalid filter clause: operator 'ge' cannot compare property 'status' "
            "with 'active'.",
            id="ordering-an-enum",
        ),
        pytest.param(
            "status eq 'active' and",
            "Invalid filter clause: Syntax error at position 22 in "
            "'status eq 'active' and'.",
            id="dangling-and",
        ),
        pytest.param(
            "startswith(assignedTo, 'kai')",
            "Invalid filter clause: the function 'startswith' is not supported; "
            "compare properties with eq, ne, ge, gt, le or lt.",
            id="function",
        ),
    ],
)
def test_refused_filters_get_400_with_graph_error_body(graph, expression, message):
    response = graph.get("/security/incidents", params={"$filter": expression})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert response.json()["error"]["message"] == message


def test_refused_filter_still_counts_as_a_request(graph, emulator):
    graph.get("/security/incidents", params={"$filter": "nonsense"})

    assert emulator.stats()["tenants"][CONTOSO]["graph_requests"] == 1

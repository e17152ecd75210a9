"""Listing incidents and alerts_v2: paging, $top, $count, $expand (graph-api.md 2)."""

from __future__ import annotations

from emulator_support import CONTOSO, PREFER_UNKNOWN

CONTOSO_INCIDENTS = [
    "2972426",
    "2972420",
    "2972415",
    "2972412",
    "2972409",
    "2972401",
    "2972395",
    "2972388",
]


def ids(response):
    return [item["id"] for item in response.json()["value"]]


def test_incidents_are_listed_newest_first(graph):
    """graph-api.md 2: "The most recent incidents are displayed at the top"."""
    response = graph.get("/security/incidents")

    assert response.status_code == 200
    assert ids(response) == CONTOSO_INCIDENTS
    assert "@odata.nextLink" not in response.json()


def test_next_link_is_absolute_and_pages_to_the_end(graph, emulator):
    """graph-api.md 2: follow the whole @odata.nextLink URL as given."""
    seen = []
    url = "/security/incidents?$top=3"
    pages = 0
    while url:
        body = graph.get(url).json()
        seen.extend(item["id"] for item in body["value"])
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert url.startswith(f"{emulator.url}/v1.0/security/incidents?")

    assert seen == CONTOSO_INCIDENTS
    assert pages == 3


def test_top_over_50_on_incidents_is_refused_with_the_documented_message(graph):
    """graph-api.md 2: $top max 50 for incidents, 400 with this message."""
    response = graph.get("/security/incidents?$top=100")

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "BadRequest"
    assert error["message"] == (
        "The query specified in the URI is not valid. The limit of '50' for Top "
        "query has been exceeded. The value from the incoming request is '100'."
    )


def test_alerts_accept_top_100_but_not_101(graph):
    """alerts_v2's maximum is UNCONFIRMED; the emulator chose 100 (docs' example)."""
    assert graph.get("/security/alerts_v2?$top=100").status_code == 200
    assert graph.get("/security/alerts_v2?$top=101").status_code == 400


def test_count_true_adds_odata_count_of_all_matches(graph):
    response = graph.get("/security/incidents?$count=true&$top=1")

    assert response.json()["@odata.count"] == 8
    assert len(response.json()["value"]) == 1


def test_skip_starts_later_in_the_list(graph):
    assert ids(graph.get("/security/incidents?$skip=6")) == ["2972395", "2972388"]


def test_expand_alerts_nests_each_incident_alerts(graph):
    """graph-api.md 1.1: the alerts navigation supports $expand."""
    response = graph.get("/security/incidents?$expand=alerts&$top=50")

    by_id = {item["id"]: item for item in response.json()["value"]}
    assert [a["id"] for a in by_id["2972395"]["alerts"]] == [
        "da637551227677560814_-116173492",
        "da637551227677560813_-961444813",
    ]
    assert by_id["2972420"]["alerts"] == []


def test_expand_on_alerts_is_refused(graph):
    assert graph.get("/security/alerts_v2?$expand=evidence").status_code == 400


def test_unsupported_query_option_is_refused(graph):
    """$orderby is not documented for these collections (graph-api.md 2)."""
    response = graph.get("/security/incidents?$orderby=createdDateTime")

    assert response.status_code == 400


def test_listing_hides_awaiting_action_unless_asked(graph):
    plain = graph.get("/security/incidents").json()["value"]
    opted_in = graph.get("/security/incidents", headers=PREFER_UNKNOWN).json()["value"]

    assert {i["id"]: i["status"] for i in plain}["2972412"] == "unknownFutureValue"
    assert {i["id"]: i["status"] for i in opted_in}["2972412"] == "awaitingAction"


def test_alerts_of_one_incident_are_listed(graph):
    response = graph.get("/security/incidents/2972395/alerts")

    assert ids(response) == [
        "da637551227677560814_-116173492",
        "da637551227677560813_-961444813",
    ]


def test_each_list_page_counts_as_one_graph_request(graph, emulator):
    graph.get("/security/incidents?$top=3")
    graph.get("/security/alerts_v2")

    counters = emulator.stats()["tenants"][CONTOSO]
    assert counters["requests"] == {"GET list": 2}
    assert counters["graph_requests"] == 2
    assert counters["http_requests"] == 2

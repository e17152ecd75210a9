"""Graph items: GET and PATCH one incident or alert (graph-api.md 1.3-1.6, 4.2)."""

from __future__ import annotations

import re

from emulator_support import CONTOSO, FABRIKAM, PREFER_UNKNOWN

INCIDENT = "/security/incidents/2972395"
ALERT = "/security/alerts_v2/da637551227677560813_-961444813"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


def test_get_incident_returns_the_seeded_item_with_odata_type(graph):
    response = graph.get(INCIDENT)

    body = response.json()
    assert response.status_code == 200
    assert body["@odata.type"] == "#microsoft.graph.security.incident"
    assert body["id"] == "2972395"
    assert body["tenantId"] == CONTOSO
    assert body["assignedTo"] is None


def test_unknown_incident_is_404_with_graph_error_body(graph):
    response = graph.get("/security/incidents/999999")

    error = response.json()["error"]
    assert response.status_code == 404
    assert error["code"] == "NotFound"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_patch_returns_200_with_the_updated_incident(graph):
    """graph-api.md 1.5: PATCH answers 200 with the updated object, not 204."""
    response = graph.patch(
        INCIDENT,
        json={
            "assignedTo": "kai@contoso.com",
            "status": "resolved",
            "classification": "truePositive",
            "determination": "multiStagedAttack",
            "customTags": ["ransomware", "escalated"],
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert body["assignedTo"] == "kai@contoso.com"
    assert body["status"] == "resolved"
    assert body["customTags"] == ["ransomware", "escalated"]
    assert body["lastModifiedBy"] == "API-App:3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
    assert STAMP.match(body["lastUpdateDateTime"])


def test_patch_accepts_pascal_case_enums_and_stores_camel_case(graph):
    """graph-api.md 1.5: the documented update example sends "TruePositive"."""
    response = graph.patch(
        INCIDENT,
        json={"classification": "TruePositive", "determination": "MultiStagedAttack"},
    )

    assert response.json()["classification"] == "truePositive"
    assert response.json()["determination"] == "multiStagedAttack"


def test_each_write_gets_a_strictly_later_last_update(graph):
    """Watermark filters rely on lastUpdateDateTime increasing per tenant."""
    stamps = [
        graph.patch(INCIDENT, json={"assignedTo": f"a{n}@contoso.com"}).json()[
            "lastUpdateDateTime"
        ]
        for n in range(5)
    ]

    assert stamps == sorted(set(stamps))


def test_patch_is_recorded_in_the_write_log(graph, emulator):
    response = graph.patch(ALERT, json={"status": "inProgress", "assignedTo": None})

    assert emulator.writes() == [
        {
            "tenant_id": CONTOSO,
            "kind": "alert",
            "id": "da637551227677560813_-961444813",
            "fields": {"status": "inProgress", "assignedTo": None},
            "at": response.json()["lastUpdateDateTime"],
            "token_tenant_id": CONTOSO,
        }
    ]


def test_unknown_property_in_patch_is_400(graph, emulator):
    response = graph.patch(INCIDENT, json={"owner": "kai@contoso.com"})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "The property 'owner' does not exist on type "
        "'microsoft.graph.security.incident'."
    )
    assert emulator.writes() == []


def test_read_only_property_in_patch_is_400(graph):
    response = graph.patch(INCIDENT, json={"severity": "low"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "The property 'severity' of 'microsoft.graph.security.incident' is read-only."
    )


def test_custom_tags_cannot_be_patched_on_alerts(graph):
    """graph-api.md 1.2: alerts have no customTags."""
    response = graph.patch(ALERT, json={"customTags": ["x"]})

    assert response.status_code == 400


def test_bad_enum_value_in_patch_is_400(graph):
    response = graph.patch(INCIDENT, json={"status": "closed"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Cannot convert the literal 'closed' to the expected type "
        "'microsoft.graph.security.incidentStatus'."
    )


def test_classification_and_determination_must_fit_the_matrix(graph):
    """graph-api.md 1.6: falsePositive allows notMalicious, not malware."""
    response = graph.patch(
        INCIDENT, json={"classification": "falsePositive", "determination": "malware"}
    )

    assert response.status_code == 400
    assert (
        "not valid for the classification 'falsePositive'"
        in (response.json()["error"]["message"])
    )


def test_other_determination_fits_every_classification(graph):
    response = graph.patch(
        INCIDENT, json={"classification": "falsePositive", "determination": "other"}
    )

    assert response.status_code == 200


def test_deprecated_determination_is_refused(graph):
    """graph-api.md 1.6: apt and securityPersonnel are no longer settable."""
    response = graph.patch(
        INCIDENT, json={"classification": "truePositive", "determination": "apt"}
    )

    assert response.status_code == 400
    assert "deprecated" in response.json()["error"]["message"]


def test_status_of_a_redirected_incident_cannot_be_set(graph, emulator):
    response = graph.patch("/security/incidents/2972409", json={"status": "active"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Cannot update the status of incident 2972409: it was merged into "
        "incident 2972395 (status redirected)."
    )
    assert emulator.writes() == []


def test_awaiting_action_and_redirected_cannot_be_set(graph):
    """graph-api.md 1.3: only Defender Experts set awaitingAction."""
    for status in ("awaitingAction", "redirected"):
        response = graph.patch(INCIDENT, json={"status": status})
        assert response.status_code == 400, status


def test_awaiting_action_reads_as_unknown_future_value_without_prefer(graph):
    """graph-api.md 1.4: members after the sentinel are hidden by default."""
    plain = graph.get("/security/incidents/2972412").json()
    opted_in = graph.get("/security/incidents/2972412", headers=PREFER_UNKNOWN).json()

    assert plain["status"] == "unknownFutureValue"
    assert opted_in["status"] == "awaitingAction"


def test_post_sentinel_detection_source_is_hidden_without_prefer(graph):
    path = "/security/alerts_v2/da637551227677560817_-771203349"

    assert graph.get(path).json()["detectionSource"] == "unknownFutureValue"
    assert (
        graph.get(path, headers=PREFER_UNKNOWN).json()["detectionSource"]
        == "microsoftSentinel"
    )


def test_comment_is_appended_and_the_full_list_returned(graph):
    """graph-api.md 1.5: POST comments answers 200 with the full list."""
    body = {"@odata.type": "microsoft.graph.security.alertComment", "comment": "ok"}
    graph.post(f"{INCIDENT}/comments", json=body)
    response = graph.post(f"{INCIDENT}/comments", json={**body, "comment": "two"})

    assert response.status_code == 200
    assert [c["comment"] for c in response.json()["value"]] == ["ok", "two"]


def test_a_token_reads_only_its_own_tenant(graph_as):
    """design.md: a token for one tenant never reads another tenant's data."""
    fabrikam = graph_as(FABRIKAM)

    assert fabrikam.get(INCIDENT).status_code == 404
    assert fabrikam.get("/security/incidents/418").json()["tenantId"] == FABRIKAM


def test_store_change_by_an_analyst_bumps_last_update(graph, emulator):
    before = graph.get(INCIDENT).json()["lastUpdateDateTime"]

    emulator.store.set_fields(CONTOSO, "incident", "2972395", {"assignedTo": "x@y"})

    after = graph.get(INCIDENT).json()
    assert after["assignedTo"] == "x@y"
    assert after["lastUpdateDateTime"] > before
    assert emulator.writes() == []


def test_items_planted_through_the_store_are_listed_and_readable(graph, emulator):
    emulator.store.add_items(
        CONTOSO,
        "incident",
        [
            {
                **emulator.store.item(CONTOSO, "incident", "2972420"),
                "id": "3000001",
                "createdDateTime": "2026-11-30T00:00:00.0000000Z",
            }
        ],
    )

    assert graph.get("/security/incidents/3000001").status_code == 200
    assert graph.get("/security/incidents?$top=1").json()["value"][0]["id"] == "3000001"
    assert [i["id"] for i in emulator.store.items(CONTOSO, "incident")][:2] == [
        "3000001",
        "2972426",
    ]

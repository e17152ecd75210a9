"""Graph's incidents and alerts become LiveItems at the edge, normalized."""

from __future__ import annotations

import pytest

from reconciler.live import GraphError, LiveItem
from reconciler.live.records import parse_item


def test_enum_values_in_any_casing_become_camel_case() -> None:
    item = parse_item(
        "incident",
        {
            "id": "2972395",
            "status": "Active",
            "classification": "TruePositive",
            "determination": "MultiStagedAttack",
            "assignedTo": "KaiC@contoso.onmicrosoft.com",
            "customTags": ["Demo"],
            "lastUpdateDateTime": "2021-09-30T09:35:45.1133333Z",
            "redirectIncidentId": None,
        },
    )

    assert item == LiveItem(
        kind="incident",
        id="2972395",
        fields={
            "assignedTo": "KaiC@contoso.onmicrosoft.com",
            "status": "active",
            "classification": "truePositive",
            "determination": "multiStagedAttack",
            "customTags": ("Demo",),
        },
        last_update="2021-09-30T09:35:45.1133333Z",
        redirect_incident_id=None,
    )


def test_custom_tags_become_a_sorted_tuple_without_duplicates() -> None:
    item = parse_item("incident", {"id": "1", "customTags": ["b", "a", "b"]})

    assert item.fields["customTags"] == ("a", "b")


def test_an_empty_assignee_reads_as_unassigned() -> None:
    item = parse_item("alert", {"id": "a1", "assignedTo": ""})

    assert item.fields["assignedTo"] is None


def test_alerts_carry_no_custom_tags() -> None:
    item = parse_item("alert", {"id": "a1", "status": "new", "customTags": ["x"]})

    assert set(item.fields) == {
        "assignedTo",
        "status",
        "classification",
        "determination",
    }


def test_awaiting_action_is_kept_as_its_real_member() -> None:
    item = parse_item("incident", {"id": "7", "status": "awaitingAction"})

    assert item.fields["status"] == "awaitingAction"


def test_a_member_this_client_does_not_know_is_kept_as_sent() -> None:
    item = parse_item("incident", {"id": "7", "status": "someFutureStatus"})

    assert item.fields["status"] == "someFutureStatus"


def test_a_redirected_incident_keeps_where_it_was_merged() -> None:
    item = parse_item(
        "incident", {"id": "7", "status": "redirected", "redirectIncidentId": "9"}
    )

    assert item.redirect_incident_id == "9"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["not", "an", "object"], "Graph sent a incident that is not a JSON object"),
        ({"status": "active"}, "Graph sent a incident without an id"),
        ({"id": "7", "status": 3}, "Graph sent incident 7 with a non-text status"),
        (
            {"id": "7", "customTags": "x"},
            "Graph sent incident 7 with customTags not a list",
        ),
    ],
)
def test_malformed_items_are_refused_with_what_is_wrong(
    raw: object, message: str
) -> None:
    with pytest.raises(GraphError) as caught:
        parse_item("incident", raw)

    assert str(caught.value) == message

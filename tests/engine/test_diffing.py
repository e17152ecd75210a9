"""Only declared fields are compared; tags as sets, assignees without case."""

from __future__ import annotations

from reconciler.engine.diffing import diff_fields, same_value
from reconciler.engine.fingerprints import fingerprint
from reconciler.engine.plans import FieldChange

LIVE = {
    "assignedTo": "KaiC@contoso.com",
    "status": "active",
    "classification": "unknown",
    "determination": "unknown",
    "customTags": ("demo", "escalated"),
}


def changes_for(**desired: object) -> list[tuple[str, object, object]]:
    changes, _ = diff_fields(desired, LIVE)  # type: ignore[arg-type]
    return [(change.field, change.before, change.after) for change in changes]


def test_undeclared_fields_are_left_alone() -> None:
    assert changes_for() == []


def test_each_enum_field_is_compared() -> None:
    assert changes_for(
        status="resolved",
        classification="truePositive",
        determination="malware",
    ) == [
        ("status", "active", "resolved"),
        ("classification", "unknown", "truePositive"),
        ("determination", "unknown", "malware"),
    ]


def test_tags_compare_as_sets() -> None:
    assert changes_for(customTags=("escalated", "demo")) == []
    assert changes_for(customTags=("demo",)) == [
        ("customTags", ["demo", "escalated"], ["demo"])
    ]


def test_an_empty_tag_list_clears_the_tags() -> None:
    assert changes_for(customTags=()) == [("customTags", ["demo", "escalated"], [])]


def test_assignees_compare_without_case() -> None:
    assert changes_for(assignedTo="kaic@CONTOSO.com") == []


def test_a_null_assignee_means_unassigned() -> None:
    assert changes_for(assignedTo=None) == [("assignedTo", "KaiC@contoso.com", None)]
    assert same_value("assignedTo", None, None)
    assert not same_value("assignedTo", None, "")


def test_declared_fields_already_matching_are_kept_as_read() -> None:
    changes, matching = diff_fields(
        {
            "status": "active",
            "assignedTo": "kaic@contoso.com",
            "determination": "other",
        },
        LIVE,
    )

    assert changes == [
        FieldChange(field="determination", before="unknown", after="other")
    ]
    assert matching == {"status": "active", "assignedTo": "KaiC@contoso.com"}


def test_the_fingerprint_ignores_field_and_tag_order_only() -> None:
    one = fingerprint({"status": "active", "customTags": ("a", "b")})

    assert one == fingerprint({"customTags": ["b", "a"], "status": "active"})
    assert one != fingerprint({"status": "resolved", "customTags": ("a", "b")})
    assert one.startswith("sha256:")

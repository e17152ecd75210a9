"""Which items apply asks for, and how it judges them against the plan."""

from __future__ import annotations

from engine_builders import PLANNED_AT, change, live

from reconciler.engine.staleness import Judgement, changed_since, judge


def test_a_quiet_tenant_is_asked_only_for_updates_after_the_newest_read() -> None:
    assert (
        changed_since("2026-12-01T08:00:00.0000000Z", PLANNED_AT)
        == "2026-12-01T08:00:00.0000001Z"
    )


def test_a_busy_tenant_is_asked_for_updates_since_the_plan_less_clock_skew() -> None:
    # An update read at 11:58 may hide an earlier item changed after its read.
    assert (
        changed_since("2026-12-03T11:58:00.0000000Z", PLANNED_AT)
        == "2026-12-03T11:55:00.0000000Z"
    )
    assert changed_since(None, PLANNED_AT) == "2026-12-03T11:55:00.0000000Z"


PLANNED = change(
    "incident",
    "1",
    ("status", "active", "resolved"),
    ("customTags", ["a"], ["a", "b"]),
)


def test_an_item_not_updated_since_the_plan_is_written() -> None:
    assert judge(PLANNED, None) == Judgement("write")


def test_an_item_updated_outside_its_managed_fields_is_written() -> None:
    now = live("incident", "1", tags=("a",), last_update="2026-12-03T12:30:00Z")

    assert judge(PLANNED, now) == Judgement("write")


def test_an_item_already_at_the_desired_values_is_unchanged() -> None:
    now = live("incident", "1", status="resolved", tags=("b", "a"))

    assert judge(PLANNED, now) == Judgement("unchanged")


def test_an_item_changed_in_a_managed_field_is_stale() -> None:
    now = live("incident", "1", status="inProgress", tags=("a",))

    assert judge(PLANNED, now) == Judgement(
        "stale",
        "changed live since the plan: status is now inProgress (planned from "
        "active); not written; re-run plan",
    )


def test_an_item_half_way_to_the_desired_values_is_stale() -> None:
    now = live("incident", "1", status="resolved", tags=("a",))

    assert judge(PLANNED, now) == Judgement(
        "stale",
        "changed live since the plan: status is now resolved (planned from "
        "active); not written; re-run plan",
    )


def test_an_incident_merged_since_the_plan_is_stale() -> None:
    now = live("incident", "1", status="redirected", redirect="99", tags=("a",))

    assert judge(PLANNED, now) == Judgement(
        "stale",
        "was merged into incident 99 since the plan; not written; re-run plan to "
        "review it",
    )

"""Reading declared items with the fewest requests, and never guessing."""

from __future__ import annotations

import pytest
from engine_builders import live

from reconciler.engine.memory import MemoryReader
from reconciler.engine.reading import cheaper_strategy, read_declared
from reconciler.live.errors import PermissionDeniedError
from reconciler.live.records import ListResult, ReadResult


def incidents(count: int) -> MemoryReader:
    return MemoryReader(live("incident", str(number)) for number in range(count))


@pytest.mark.parametrize(
    ("declared", "live_count", "strategy"),
    [
        (3, 100, "pages"),  # 2 pages < 3 ids
        (2, 100, "ids"),  # 2 pages == 2 ids: by id, exact
        (40, 2000, "ids"),  # 40 pages == 40 ids
        (41, 2000, "pages"),
        (5, 0, "pages"),  # an empty tenant is one empty page
    ],
)
def test_the_cheaper_read_is_chosen_by_request_count(
    declared: int, live_count: int, strategy: str
) -> None:
    assert cheaper_strategy(declared, live_count) == strategy


def test_nothing_declared_costs_no_request() -> None:
    reader = incidents(10)

    read = read_declared(reader, "incident", [])

    assert (read.strategy, read.requests, reader.requests_made) == ("none", 0, 0)


def test_one_or_two_ids_are_read_by_id_without_counting_first() -> None:
    reader = incidents(1000)

    read = read_declared(reader, "incident", ["1", "2"])

    assert read.strategy == "ids"
    assert read.requests == 2
    assert sorted(read.items) == ["1", "2"]


def test_many_ids_in_a_small_tenant_are_read_by_listing_pages() -> None:
    reader = incidents(100)

    read = read_declared(reader, "incident", [str(n) for n in range(10)])

    # One count, then two pages of 50, instead of ten reads by id.
    assert read.strategy == "pages"
    assert read.requests == 3
    assert len(read.items) == 10


def test_few_ids_in_a_large_tenant_are_read_by_id_after_counting() -> None:
    reader = incidents(1000)

    read = read_declared(reader, "incident", [str(n) for n in range(10)])

    # One count, then ten reads by id, instead of twenty pages.
    assert read.strategy == "ids"
    assert read.requests == 11


def test_the_watermark_is_the_newest_update_read() -> None:
    reader = MemoryReader(
        [
            live("incident", "1", last_update="2026-12-01T08:00:00.1000000Z"),
            live("incident", "2", last_update="2026-12-01T08:00:00.2000000Z"),
            live("incident", "3", last_update="2026-11-30T23:59:59.9999999Z"),
        ]
    )

    read = read_declared(reader, "incident", ["1", "2", "3"])

    assert read.watermark == "2026-12-01T08:00:00.2000000Z"


def test_ids_absent_from_a_complete_listing_are_missing() -> None:
    reader = incidents(10)

    read = read_declared(reader, "incident", ["1", "2", "404"])

    assert read.strategy == "pages"
    assert read.missing == {"404"}
    assert read.unknown == {}


class StoppedListing(MemoryReader):
    """A listing that stopped after the first items, as on throttling."""

    def list_all(self, kind: str) -> ListResult:  # type: ignore[override]
        everything = super().list_all(kind)  # type: ignore[arg-type]
        first = dict(list(everything.items.items())[:2])
        return ListResult(first, False, "Graph kept answering 429", 1)


def test_ids_absent_from_a_stopped_listing_are_unknown_not_missing() -> None:
    reader = StoppedListing(live("incident", str(number)) for number in range(10))

    read = read_declared(reader, "incident", ["0", "1", "5", "404"])

    assert sorted(read.items) == ["0", "1"]
    assert read.missing == set()
    assert read.unknown == {
        "5": "the listing stopped early: Graph kept answering 429",
        "404": "the listing stopped early: Graph kept answering 429",
    }


class UnansweredReads(MemoryReader):
    def get_many(self, kind, ids):  # type: ignore[no-untyped-def]
        result = super().get_many(kind, ids)
        return ReadResult(
            items={k: v for k, v in result.items.items() if k != "2"},
            missing=result.missing,
            unknown={"2": "429 Too Many Requests"},
            requests=result.requests,
        )


def test_ids_graph_did_not_answer_for_are_unknown() -> None:
    reader = UnansweredReads(live("incident", str(number)) for number in range(500))

    read = read_declared(reader, "incident", ["1", "2"])

    assert sorted(read.items) == ["1"]
    assert read.unknown == {"2": "429 Too Many Requests"}


class NoAlertPermission(MemoryReader):
    def count(self, kind):  # type: ignore[no-untyped-def]
        if kind == "alert":
            raise PermissionDeniedError("no SecurityAlert.Read.All in contoso")
        return super().count(kind)

    def get_many(self, kind, ids):  # type: ignore[no-untyped-def]
        if kind == "alert":
            raise PermissionDeniedError("no SecurityAlert.Read.All in contoso")
        return super().get_many(kind, ids)


def test_a_kind_that_may_not_be_read_makes_its_items_unknown() -> None:
    reader = NoAlertPermission([live("alert", "a1"), live("incident", "1")])

    alerts = read_declared(reader, "alert", ["a1", "a2", "a3"])
    incident = read_declared(reader, "incident", ["1"])

    assert alerts.unknown == dict.fromkeys(
        ["a1", "a2", "a3"], "no SecurityAlert.Read.All in contoso"
    )
    assert alerts.items == {}
    assert sorted(incident.items) == ["1"]

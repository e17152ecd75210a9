"""Applying: each change written once, stale items left alone, runs resumable."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from engine_builders import (
    ENDPOINTS,
    declared,
    desired_state,
    factory,
    live,
    spec,
    tenant_state,
)

from reconciler.desired.models import DesiredItem, FieldValue, Kind
from reconciler.engine.applying import ApplyOptions, apply_plan
from reconciler.engine.locks import tenant_lock
from reconciler.engine.memory import MemoryReader
from reconciler.engine.planning import build_plan
from reconciler.engine.plans import Plan
from reconciler.engine.results import ApplyReport
from reconciler.errors import RefusedError
from reconciler.live.errors import ConnectionFailedError, PermissionDeniedError
from reconciler.live.records import ListResult, WriteOutcome

NOW = datetime.now(UTC)
AN_HOUR_AGO = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
SPECS = {"contoso": spec("contoso"), "fabrikam": spec("fabrikam")}


def resolve(slug: str, count: int) -> list[DesiredItem]:
    return [
        declared(slug, "incident", str(n), n + 2, status="resolved", tags=("done",))
        for n in range(count)
    ]


def live_incidents(count: int) -> list:  # type: ignore[type-arg]
    return [live("incident", str(n), last_update=AN_HOUR_AGO) for n in range(count)]


def plan_for(readers: Mapping[str, MemoryReader], items: Mapping[str, list]) -> Plan:  # type: ignore[type-arg]
    state = desired_state(
        *(
            tenant_state(SPECS[slug], declared_items)
            for slug, declared_items in items.items()
        )
    )
    return build_plan(state, factory(readers), endpoints=ENDPOINTS, now=NOW)


def run(
    plan: Plan, readers: Mapping[str, MemoryReader], root: Path, **options: object
) -> ApplyReport:
    return apply_plan(plan, SPECS, factory(readers), ApplyOptions(root=root, **options))  # type: ignore[arg-type]


def statuses(report: ApplyReport) -> dict[str, str]:
    return {
        f"{tenant.slug}/{outcome.id}": outcome.status
        for tenant in report.tenants
        for outcome in tenant.outcomes
    }


def written_ids(reader: MemoryReader) -> list[str]:
    return sorted(item_id for _, item_id, _ in reader.writes)


def test_apply_writes_exactly_the_planned_changes(tmp_path: Path) -> None:
    reader = MemoryReader(
        [*live_incidents(3), live("alert", "a1", last_update=AN_HOUR_AGO)]
    )
    readers = {"contoso": reader}
    plan = plan_for(
        readers,
        {
            "contoso": [
                *resolve("contoso", 2),
                declared("contoso", "alert", "a1", 9, status="new"),
            ]
        },
    )
    before = reader.requests_made

    report = run(plan, readers, tmp_path)

    assert reader.writes == [
        ("incident", "0", {"status": "resolved", "customTags": ("done",)}),
        ("incident", "1", {"status": "resolved", "customTags": ("done",)}),
    ]
    assert statuses(report) == {"contoso/0": "applied", "contoso/1": "applied"}
    assert report.succeeded()
    # One check for changes since the plan, then one write per change.
    assert report.tenants[0].requests == reader.requests_made - before == 3


def test_applying_the_same_plan_twice_writes_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    reader = MemoryReader(live_incidents(3))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 3)})
    run(plan, readers, tmp_path)
    writes, requests = len(reader.writes), reader.requests_made

    again = run(plan, readers, tmp_path)

    assert (len(reader.writes), reader.requests_made) == (writes, requests)
    assert set(statuses(again).values()) == {"skipped"}
    assert again.succeeded()


def test_a_new_plan_after_applying_has_no_changes(tmp_path: Path) -> None:
    reader = MemoryReader(live_incidents(3))
    readers = {"contoso": reader}
    run(plan_for(readers, {"contoso": resolve("contoso", 3)}), readers, tmp_path)

    assert not plan_for(readers, {"contoso": resolve("contoso", 3)}).has_changes()


def test_without_its_journal_a_done_plan_finds_everything_unchanged(
    tmp_path: Path,
) -> None:
    reader = MemoryReader(live_incidents(2))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 2)})
    run(plan, readers, tmp_path / "first")

    again = run(plan, readers, tmp_path / "elsewhere")

    assert statuses(again) == {"contoso/0": "unchanged", "contoso/1": "unchanged"}
    assert len(reader.writes) == 2


def test_an_item_changed_live_since_the_plan_is_not_written(tmp_path: Path) -> None:
    reader = MemoryReader(live_incidents(3))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 3)})
    reader.edit("incident", "1", status="inProgress")
    reader.edit("incident", "2", status="resolved", customTags=("done",))

    report = run(plan, readers, tmp_path)

    assert written_ids(reader) == ["0"]
    assert statuses(report) == {
        "contoso/0": "applied",
        "contoso/1": "stale",
        "contoso/2": "unchanged",
    }
    [stale] = [o for o in report.tenants[0].outcomes if o.status == "stale"]
    assert stale.detail == (
        "changed live since the plan: status is now inProgress (planned from "
        "active); not written; re-run plan"
    )
    assert not report.succeeded()


def test_a_change_to_a_declared_field_that_already_matched_makes_it_stale(
    tmp_path: Path,
) -> None:
    reader = MemoryReader(
        [live("incident", "7", assignee="kai@contoso.com", last_update=AN_HOUR_AGO)]
    )
    readers = {"contoso": reader}
    item = declared(
        "contoso", "incident", "7", 2, assignee="kai@contoso.com", status="resolved"
    )
    plan = plan_for(readers, {"contoso": [item]})
    reader.edit("incident", "7", assignedTo="ana@contoso.com")

    report = run(plan, readers, tmp_path)

    assert reader.writes == []
    assert statuses(report) == {"contoso/7": "stale"}


def test_an_edit_outside_the_managed_fields_does_not_block_the_write(
    tmp_path: Path,
) -> None:
    reader = MemoryReader(live_incidents(1))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 1)})
    reader.edit("incident", "0")  # a comment, say: only the update time moves

    report = run(plan, readers, tmp_path)

    assert statuses(report) == {"contoso/0": "applied"}


class FailingAfter(MemoryReader):
    """Writes the first batches, then loses the connection on the next."""

    def __init__(
        self, items, *, batches: int, written_before_failing: bool = False
    ) -> None:  # type: ignore[no-untyped-def]
        super().__init__(items)
        self.batches_left = batches
        self.written_before_failing = written_before_failing

    def patch_many(
        self, kind: Kind, bodies: Mapping[str, Mapping[str, FieldValue]]
    ) -> dict[str, WriteOutcome]:
        if self.batches_left == 0:
            if self.written_before_failing:
                super().patch_many(kind, bodies)
            raise ConnectionFailedError("the connection to Graph dropped")
        self.batches_left -= 1
        return super().patch_many(kind, bodies)


def test_an_interrupted_apply_resumes_without_writing_anything_twice(
    tmp_path: Path,
) -> None:
    reader = FailingAfter(live_incidents(50), batches=1)
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 50)})

    first = run(plan, readers, tmp_path)
    reader.batches_left = -1  # the connection is back
    second = run(plan, readers, tmp_path)

    assert Counter(statuses(first).values()) == {
        "applied": 20,
        "unknown": 20,
        "failed": 10,
    }
    assert first.tenants[0].error == "the connection to Graph dropped"
    assert Counter(statuses(second).values()) == {"skipped": 20, "applied": 30}
    assert second.succeeded()
    assert Counter(item_id for _, item_id, _ in reader.writes) == dict.fromkeys(
        (str(n) for n in range(50)), 1
    )


def test_a_write_that_landed_but_was_not_recorded_is_found_unchanged(
    tmp_path: Path,
) -> None:
    reader = FailingAfter(live_incidents(3), batches=0, written_before_failing=True)
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 3)})

    first = run(plan, readers, tmp_path)
    reader.batches_left = -1
    second = run(plan, readers, tmp_path)

    assert set(statuses(first).values()) == {"unknown"}
    assert set(statuses(second).values()) == {"unchanged"}
    assert len(reader.writes) == 3


def test_the_journal_records_every_outcome_and_no_secret(tmp_path: Path) -> None:
    reader = MemoryReader(live_incidents(2))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 2)})
    reader.edit("incident", "1", status="inProgress")

    run(plan, readers, tmp_path)

    path = tmp_path / ".reconciler" / "journal" / f"{plan.content_hash[7:]}.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["event"] == "apply-started"
    assert [
        (r["tenant"], r["kind"], r["id"], r["status"], r["fields"]) for r in records[1:]
    ] == [
        (
            "contoso",
            "incident",
            "1",
            "stale",
            {"status": "resolved", "customTags": ["done"]},
        ),
        (
            "contoso",
            "incident",
            "0",
            "applied",
            {"status": "resolved", "customTags": ["done"]},
        ),
    ]
    assert {frozenset(record) for record in records[1:]} == {
        frozenset({"at", "tenant", "kind", "id", "status", "fields", "detail"})
    }


def test_a_journal_line_torn_by_a_crash_is_ignored(tmp_path: Path) -> None:
    reader = MemoryReader(live_incidents(2))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 2)})
    path = tmp_path / ".reconciler" / "journal" / f"{plan.content_hash[7:]}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"tenant":"contoso","kind":"incident","id":"0","status":"app')

    report = run(plan, readers, tmp_path)

    assert statuses(report) == {"contoso/0": "applied", "contoso/1": "applied"}
    assert path.read_text().count("\n") == len(path.read_text().splitlines())


def test_tenants_are_applied_side_by_side_each_through_its_own_reader(
    tmp_path: Path,
) -> None:
    readers = {
        "contoso": MemoryReader(live_incidents(2)),
        "fabrikam": MemoryReader(live_incidents(1)),
    }
    plan = plan_for(
        readers, {"contoso": resolve("contoso", 2), "fabrikam": resolve("fabrikam", 1)}
    )

    report = run(plan, readers, tmp_path)

    assert statuses(report) == {
        "contoso/0": "applied",
        "contoso/1": "applied",
        "fabrikam/0": "applied",
    }
    assert (written_ids(readers["contoso"]), written_ids(readers["fabrikam"])) == (
        ["0", "1"],
        ["0"],
    )


def test_a_cross_tenant_assignment_plan_is_refused_at_apply(tmp_path: Path) -> None:
    readers = {
        "contoso": MemoryReader(live_incidents(1)),
        "fabrikam": MemoryReader(live_incidents(1)),
    }
    plan = plan_for(
        readers,
        {
            "contoso": [
                declared("contoso", "incident", "0", 2, assignee="kai@contoso.com")
            ],
            "fabrikam": [
                declared("fabrikam", "incident", "0", 2, assignee="ana@fabrikam.com")
            ],
        },
    )

    with pytest.raises(RefusedError):
        run(plan, readers, tmp_path)

    assert readers["contoso"].writes == readers["fabrikam"].writes == []
    assert readers["contoso"].requests_made == readers["fabrikam"].requests_made == 1


def test_items_unknown_when_planning_are_reported_unknown_and_not_written(
    tmp_path: Path,
) -> None:
    class Unanswered(MemoryReader):
        def get_many(self, kind, ids):  # type: ignore[no-untyped-def]
            result = super().get_many(kind, ids)
            return type(result)(
                items={k: v for k, v in result.items.items() if k != "1"},
                missing=result.missing,
                unknown={"1": "Graph answered 503"},
                requests=result.requests,
            )

    reader = Unanswered(live_incidents(2))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 2)})

    report = run(plan, readers, tmp_path)

    assert written_ids(reader) == ["0"]
    [unknown] = [o for o in report.tenants[0].outcomes if o.status == "unknown"]
    assert (unknown.id, unknown.detail) == (
        "1",
        "not planned: it could not be read: Graph answered 503; re-run plan once "
        "it can be read",
    )
    assert not report.succeeded()


def test_items_whose_changes_cannot_be_checked_are_unknown_and_not_written(
    tmp_path: Path,
) -> None:
    class StoppedCheck(MemoryReader):
        def list_changed_since(self, kind: Kind, watermark: str) -> ListResult:
            return ListResult({}, False, "Graph kept answering 429", 1)

    reader = StoppedCheck(live_incidents(1))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 1)})

    report = run(plan, readers, tmp_path)

    assert reader.writes == []
    assert [(o.status, o.detail) for o in report.tenants[0].outcomes] == [
        (
            "unknown",
            "could not check it for changes since the plan (Graph kept answering "
            "429); not written; run the same apply again",
        )
    ]


def test_a_kind_that_may_not_be_written_fails_alone(tmp_path: Path) -> None:
    class NoAlertWrites(MemoryReader):
        def patch_many(self, kind, bodies):  # type: ignore[no-untyped-def]
            if kind == "alert":
                raise PermissionDeniedError("no SecurityAlert.ReadWrite.All in contoso")
            return super().patch_many(kind, bodies)

    reader = NoAlertWrites(
        [*live_incidents(1), live("alert", "a1", last_update=AN_HOUR_AGO)]
    )
    readers = {"contoso": reader}
    plan = plan_for(
        readers,
        {
            "contoso": [
                *resolve("contoso", 1),
                declared("contoso", "alert", "a1", 2, status="resolved"),
            ]
        },
    )

    report = run(plan, readers, tmp_path)

    [tenant] = report.tenants
    assert tenant.error is None
    assert [(o.id, o.status, o.detail) for o in tenant.outcomes] == [
        ("0", "applied", None),
        (
            "a1",
            "unknown",
            "the write may or may not have happened (no SecurityAlert.ReadWrite.All "
            "in contoso); run the same apply again to check and finish",
        ),
    ]
    assert written_ids(reader) == ["0"]


def test_a_write_graph_refuses_is_failed(tmp_path: Path) -> None:
    class Refusing(MemoryReader):
        def patch_many(self, kind, bodies):  # type: ignore[no-untyped-def]
            self._spend(len(bodies))
            return {
                item_id: WriteOutcome(
                    item_id, False, 400, None, "BadRequest: invalid status"
                )
                for item_id in bodies
            }

    reader = Refusing(live_incidents(1))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 1)})

    report = run(plan, readers, tmp_path)

    assert [(o.status, o.detail) for o in report.tenants[0].outcomes] == [
        (
            "failed",
            "Graph answered 400: BadRequest: invalid status; run the same apply "
            "again to retry, or correct the declaration if it is refused again",
        )
    ]


def test_a_tenant_locked_by_another_apply_is_reported_and_the_others_go_on(
    tmp_path: Path,
) -> None:
    readers = {
        "contoso": MemoryReader(live_incidents(1)),
        "fabrikam": MemoryReader(live_incidents(1)),
    }
    plan = plan_for(
        readers, {"contoso": resolve("contoso", 1), "fabrikam": resolve("fabrikam", 1)}
    )

    with tenant_lock(tmp_path, "contoso", purpose="applying plan sha256:0123456789ab"):
        report = run(plan, readers, tmp_path, lock_timeout=0.2)

    contoso, fabrikam = report.tenants
    assert fabrikam.error is None
    assert contoso.error is not None
    assert contoso.error.startswith("tenant contoso is locked by another apply (pid ")
    assert contoso.error.endswith(
        ", applying plan sha256:0123456789ab); waited 0.2 s. Let it finish, or wait "
        "longer with --lock-timeout; the lock goes away when that process ends, "
        "even if it crashes"
    )
    assert readers["contoso"].writes == []
    assert statuses(report) == {"fabrikam/0": "applied"}


def test_a_second_apply_waits_for_the_lock_to_be_released(tmp_path: Path) -> None:
    reader = MemoryReader(live_incidents(1))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 1)})
    held = threading.Event()

    def hold_briefly() -> None:
        with tenant_lock(tmp_path, "contoso"):
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    held.wait()
    report = run(plan, readers, tmp_path, lock_timeout=10)
    holder.join()

    assert statuses(report) == {"contoso/0": "applied"}


def test_progress_counts_every_planned_change_once(tmp_path: Path) -> None:
    reader = MemoryReader(live_incidents(45))
    readers = {"contoso": reader}
    plan = plan_for(readers, {"contoso": resolve("contoso", 45)})
    reader.edit("incident", "3", status="inProgress")
    seen: list[tuple[str, int]] = []

    run(plan, readers, tmp_path, progress=lambda slug, n: seen.append((slug, n)))

    assert seen == [("contoso", 1), ("contoso", 20), ("contoso", 20), ("contoso", 4)]

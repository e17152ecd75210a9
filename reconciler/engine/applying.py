"""Applying a plan: every tenant at once, each under its lock, each item once.

Per tenant: take the tenant's lock; skip what the journal shows done; ask Graph
only for the items updated since the plan and judge those (stale ones are not
written, ones already at the desired values need no write); write the rest in
batches of 20; journal each batch's outcome before sending the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.desired.models import FieldValue as LiveValue
from reconciler.desired.models import TenantSpec
from reconciler.engine.guards import check_plan
from reconciler.engine.journal import Entry, Journal
from reconciler.engine.locks import DEFAULT_TIMEOUT, LockBusyError, tenant_lock
from reconciler.engine.plans import ItemChange, Kind, Plan, TenantPlan
from reconciler.engine.reading import KIND_ERRORS, KINDS, LiveReader, ReaderFactory
from reconciler.engine.results import (
    ApplyReport,
    ItemOutcome,
    OutcomeStatus,
    TenantResult,
)
from reconciler.engine.staleness import changed_since, judge
from reconciler.errors import ReconcilerError

log = logging.getLogger(__name__)

BATCH_SIZE = 20  # Graph's limit of requests in one $batch
MAX_WORKERS = 32

# Called from the tenants' threads with a tenant's slug and how many more of its
# planned changes are settled.
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    root: Path
    lock_timeout: float = DEFAULT_TIMEOUT
    progress: Progress | None = None
    command: str = "reconciler"


def apply_plan(
    plan: Plan,
    specs: Mapping[str, TenantSpec],
    readers: ReaderFactory,
    options: ApplyOptions,
) -> ApplyReport:
    """Apply `plan`; what could not be written is in the report, not raised.

    Raises `RefusedError` when the plan breaks a guardrail; nothing is written then.
    """
    check_plan(plan, specs=specs, command=options.command)
    started = datetime.now(UTC)
    journal = Journal(options.root, plan.content_hash)
    if plan.has_changes():
        journal.start(plan.content_hash, [t.slug for t in plan.tenants if t.changes])

    def run(tenant: TenantPlan) -> TenantResult:
        spec = specs.get(tenant.slug)
        return _TenantApply(plan, tenant, spec, readers, journal, options).run()

    results: list[TenantResult] = []
    if plan.tenants:
        workers = min(MAX_WORKERS, len(plan.tenants))
        with ThreadPoolExecutor(workers, thread_name_prefix="apply") as pool:
            results = list(pool.map(run, plan.tenants))

    return ApplyReport(
        plan_hash=plan.content_hash,
        started_at=started,
        finished_at=datetime.now(UTC),
        tenants=results,
    )


@dataclass(slots=True)
class _TenantApply:
    plan: Plan
    tenant: TenantPlan
    spec: TenantSpec | None
    readers: ReaderFactory
    journal: Journal
    options: ApplyOptions
    outcomes: dict[tuple[Kind, str], ItemOutcome] = field(default_factory=dict)
    requests: int = 0

    def run(self) -> TenantResult:
        tenant = self.tenant
        for notice in tenant.notices:
            if notice.reason == "unknown":
                self._settle_quietly(
                    notice.kind,
                    notice.id,
                    "unknown",
                    f"not planned: it {notice.detail}; re-run plan once it can be read",
                )
        if tenant.error is not None:
            return self._result(
                f"could not be read when planning ({tenant.error}); nothing was "
                "applied; fix that and make a new plan"
            )
        if not tenant.changes:
            return self._result()
        if self.spec is None:
            return self._result(f"tenant {tenant.slug} is not in this repository")

        try:
            with tenant_lock(
                self.options.root,
                tenant.slug,
                timeout=self.options.lock_timeout,
                purpose=f"applying plan {self.plan.content_hash[:19]}",
            ):
                error = self._apply_locked(self.spec)
        except LockBusyError as busy:
            error = str(busy)
        result = self._result(error)
        log.info(
            "tenant %s: %s in %d requests%s",
            tenant.slug,
            ", ".join(f"{n} {status}" for status, n in sorted(_tally(result).items())),
            result.requests,
            f"; {error}" if error else "",
        )
        return result

    def _apply_locked(self, spec: TenantSpec) -> str | None:
        """Work through the tenant's changes; the error that stopped it, if any."""
        done = self.journal.acknowledged(self.tenant.slug)
        pending: list[ItemChange] = []
        skipped: list[ItemChange] = []
        for change in self.tenant.changes:
            (skipped if (change.kind, change.id) in done else pending).append(change)
        for change in skipped:
            self._settle_quietly(
                change.kind,
                change.id,
                "skipped",
                "already done by an earlier run of this plan (see the journal)",
                fields=change.patch_body(),
            )
        self._advance(len(skipped))
        if not pending:
            return None

        reader: LiveReader | None = None
        start = 0
        in_flight: Sequence[ItemChange] = ()
        try:
            reader = self.readers(spec)
            start = reader.requests_made
            for kind in KINDS:
                of_kind = [change for change in pending if change.kind == kind]
                if not of_kind:
                    continue
                try:
                    for batch in self._writable(reader, kind, of_kind):
                        in_flight = batch
                        self._write(reader, kind, batch)
                        in_flight = ()
                except KIND_ERRORS as error:
                    log.warning("tenant %s: %ss: %s", self.tenant.slug, kind, error)
                    self._settle_unfinished(of_kind, in_flight, str(error))
                    in_flight = ()
        except ReconcilerError as error:
            self._settle_unfinished(pending, in_flight, str(error))
            return str(error)
        finally:
            if reader is not None:
                self.requests = reader.requests_made - start
        return None

    def _writable(
        self, reader: LiveReader, kind: Kind, changes: list[ItemChange]
    ) -> list[list[ItemChange]]:
        """Judge the planned items against what changed live; batches to write."""
        since = changed_since(self.tenant.watermarks.get(kind), self.plan.created_at)
        listing = reader.list_changed_since(kind, since)
        writable: list[ItemChange] = []
        judged: list[Entry] = []
        for change in changes:
            live = listing.items.get(change.id)
            if live is None and not listing.complete:
                judged.append(
                    self._settle(
                        change,
                        "unknown",
                        "could not check it for changes since the plan "
                        f"({listing.error}); not written; run the same apply again",
                    )
                )
                continue
            judgement = judge(change, live)
            if judgement.verdict == "write":
                writable.append(change)
            else:
                judged.append(self._settle(change, judgement.verdict, judgement.detail))
        self.journal.record(judged)
        self._advance(len(judged))
        return [
            writable[start : start + BATCH_SIZE]
            for start in range(0, len(writable), BATCH_SIZE)
        ]

    def _write(self, reader: LiveReader, kind: Kind, batch: list[ItemChange]) -> None:
        answers = reader.patch_many(
            kind, {change.id: _wire_body(change) for change in batch}
        )
        entries: list[Entry] = []
        for change in batch:
            answer = answers.get(change.id)
            if answer is None:
                entry = self._settle(
                    change,
                    "unknown",
                    "Graph gave no answer for it; run the same apply again to check",
                )
            elif answer.ok:
                entry = self._settle(change, "applied", None)
            else:
                entry = self._settle(
                    change,
                    "failed",
                    f"Graph answered {answer.status}: {answer.error}; run the same "
                    "apply again to retry, or correct the declaration if it is "
                    "refused again",
                )
            entries.append(entry)
        self.journal.record(entries)
        self._advance(len(batch))

    def _settle_unfinished(
        self, pending: list[ItemChange], in_flight: Sequence[ItemChange], error: str
    ) -> None:
        sent = {(change.kind, change.id) for change in in_flight}
        entries = []
        for change in pending:
            key = (change.kind, change.id)
            if key in self.outcomes:
                continue
            if key in sent:
                entries.append(
                    self._settle(
                        change,
                        "unknown",
                        f"the write may or may not have happened ({error}); run "
                        "the same apply again to check and finish",
                    )
                )
            else:
                entries.append(
                    self._settle(
                        change,
                        "failed",
                        f"not attempted ({error}); run the same apply again",
                    )
                )
        try:
            self.journal.record(entries)
        except ReconcilerError as journal_error:
            log.warning("tenant %s: %s", self.tenant.slug, journal_error)
        self._advance(len(entries))

    def _settle(
        self, change: ItemChange, status: OutcomeStatus, detail: str | None
    ) -> Entry:
        fields = change.patch_body()
        self._settle_quietly(change.kind, change.id, status, detail, fields=fields)
        return Entry(
            tenant=self.tenant.slug,
            kind=change.kind,
            id=change.id,
            status=status,
            fields=fields,
            detail=detail,
        )

    def _settle_quietly(
        self,
        kind: Kind,
        item_id: str,
        status: OutcomeStatus,
        detail: str | None,
        *,
        fields: Iterable[str] = (),
    ) -> None:
        self.outcomes[(kind, item_id)] = ItemOutcome(
            kind=kind, id=item_id, status=status, fields=sorted(fields), detail=detail
        )

    def _advance(self, settled: int) -> None:
        if settled and self.options.progress is not None:
            self.options.progress(self.tenant.slug, settled)

    def _result(self, error: str | None = None) -> TenantResult:
        return TenantResult(
            slug=self.tenant.slug,
            outcomes=list(self.outcomes.values()),
            requests=self.requests,
            error=error,
        )


def _wire_body(change: ItemChange) -> dict[str, LiveValue]:
    return {
        field: tuple(value) if isinstance(value, list) else value
        for field, value in change.patch_body().items()
    }


def _tally(result: TenantResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts

"""Building a plan: read every tenant at once, diff the declared fields, bind it all.

Tenants are read concurrently, each through its own reader, so the slowest tenant
sets the pace instead of the sum of them. What was read is compared in the
calling thread, tenant after tenant as their reads arrive: comparing is CPU
work, which threads would only fight over the GIL for. A tenant that cannot be
read at all is recorded as such and the others go on.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from reconciler.collector import collector_paused
from reconciler.config import Endpoints
from reconciler.desired.models import DesiredItem, DesiredState, Kind, TenantState
from reconciler.desired.problems import Problem, ValidationFailed
from reconciler.engine.diffing import diff_fields
from reconciler.engine.fingerprints import fingerprint
from reconciler.engine.plans import (
    DEFAULT_LIFETIME,
    ItemChange,
    Notice,
    NoticeReason,
    Plan,
    PlanEndpoints,
    TenantPlan,
)
from reconciler.engine.reading import KINDS, KindRead, ReaderFactory, read_declared
from reconciler.errors import ReconcilerError
from reconciler.live.records import LiveItem

log = logging.getLogger(__name__)

MAX_WORKERS = 32

# Statuses nobody but Microsoft may leave: a merged incident, and one that
# Defender Experts are waiting on.
_REDIRECTED = "redirected"
_AWAITING_ACTION = "awaitingAction"


@dataclass(slots=True)
class _Findings:
    """What comparing one tenant turned up."""

    changes: list[ItemChange] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _TenantOutcome:
    plan: TenantPlan
    problems: list[Problem]


def build_plan(
    desired: DesiredState,
    readers: ReaderFactory,
    *,
    endpoints: Endpoints,
    now: datetime,
    commit: str | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> Plan:
    """Read every tenant in `desired` and plan the changes that bring it there.

    Raises `ValidationFailed` naming every declared item that does not exist live.
    `now` must be taken before reading: apply looks for changes made after it.
    """
    with collector_paused():
        return _build_plan(desired, readers, endpoints, now, commit, lifetime)


def _build_plan(
    desired: DesiredState,
    readers: ReaderFactory,
    endpoints: Endpoints,
    now: datetime,
    commit: str | None,
    lifetime: timedelta,
) -> Plan:
    states = [desired.tenants[slug] for slug in sorted(desired.tenants)]
    outcomes: list[_TenantOutcome] = []
    if states:
        workers = min(MAX_WORKERS, len(states))
        with ThreadPoolExecutor(workers, thread_name_prefix="plan") as pool:
            reads = [pool.submit(read_tenant, state, readers) for state in states]
            outcomes = [
                plan_tenant(state, read.result())
                for state, read in zip(states, reads, strict=True)
            ]

    problems = [problem for outcome in outcomes for problem in outcome.problems]
    if problems:
        raise ValidationFailed(problems)

    plan = Plan(
        created_at=now,
        expires_at=now + lifetime,
        endpoints=PlanEndpoints(
            authority_host=endpoints.authority_host, graph_url=endpoints.graph_url
        ),
        commit=commit,
        tenants=[outcome.plan for outcome in outcomes],
    )
    return plan.sealed()


def read_tenant(
    state: TenantState, readers: ReaderFactory
) -> dict[Kind, KindRead] | ReconcilerError:
    """Read one tenant's declared items of each kind; the error if it cannot be."""
    spec = state.spec
    reads: dict[Kind, KindRead] = {}
    try:
        reader = readers(spec)
        for kind in KINDS:
            reads[kind] = read_declared(reader, kind, state.items(kind).keys())
    except ReconcilerError as error:
        log.warning("tenant %s could not be read: %s", spec.slug, error)
        return error
    return reads


def plan_tenant(
    state: TenantState, reads: dict[Kind, KindRead] | ReconcilerError
) -> _TenantOutcome:
    """Diff what was read of one tenant against its declaration."""
    if isinstance(reads, ReconcilerError):
        return _TenantOutcome(_tenant_plan(state, error=str(reads)), [])

    spec = state.spec
    findings = _Findings()
    for kind in KINDS:
        _compare_kind(findings, spec.slug, state.items(kind), reads[kind])
    plan = _tenant_plan(
        state,
        changes=findings.changes,
        notices=findings.notices,
        watermarks={kind: reads[kind].watermark for kind in KINDS},
        read_requests=sum(read.requests for read in reads.values()),
    )
    log.info(
        "tenant %s: read %d incidents and %d alerts in %d requests; "
        "%d changes, %d notices",
        spec.slug,
        len(state.incidents),
        len(state.alerts),
        plan.read_requests,
        len(plan.changes),
        len(plan.notices),
    )
    return _TenantOutcome(plan, findings.problems)


def _compare_kind(
    findings: _Findings,
    slug: str,
    declared: Mapping[str, DesiredItem],
    read: KindRead,
) -> None:
    changes = findings.changes
    notices = findings.notices
    for item_id, wanted in declared.items():
        live = read.items.get(item_id)
        if live is None:
            if item_id in read.missing:
                findings.problems.append(_missing(wanted, slug))
            else:
                reason = read.unknown.get(item_id, "it was not read")
                notices.append(
                    _notice(wanted, "unknown", f"could not be read: {reason}")
                )
            continue

        notice = _untouchable(wanted, live)
        if notice is not None:
            notices.append(notice)
            continue

        field_changes, matching = diff_fields(wanted.fields, live.fields)
        if not field_changes:
            continue
        read_values = dict(matching)
        read_values.update((change.field, change.before) for change in field_changes)
        changes.append(
            ItemChange.model_construct(
                kind=wanted.kind,
                id=item_id,
                changes=field_changes,
                fingerprint=fingerprint(read_values),
                last_update=live.last_update,
                source=str(wanted.location),
                matching=matching,
            )
        )


def _untouchable(wanted: DesiredItem, live: LiveItem) -> Notice | None:
    """A notice when the item is in a state this tool must never write over."""
    status = live.fields.get("status")
    if wanted.kind == "incident" and status == _REDIRECTED:
        target = live.redirect_incident_id or "another incident"
        return _notice(
            wanted,
            "redirected",
            f"merged into incident {target}; declare incident {target} instead",
        )
    if status == _AWAITING_ACTION:
        return _notice(
            wanted,
            "awaitingAction",
            "Defender Experts are waiting on your response; only they can change "
            "this status, so the item is left alone",
        )
    return None


def _notice(wanted: DesiredItem, reason: NoticeReason, detail: str) -> Notice:
    return Notice.model_construct(
        kind=wanted.kind,
        id=wanted.id,
        reason=reason,
        detail=detail,
        source=str(wanted.location),
    )


def _missing(wanted: DesiredItem, slug: str) -> Problem:
    return Problem(
        wanted.location,
        f"{wanted.kind} {wanted.id} does not exist in tenant {slug}; "
        "correct the id or remove the declaration",
    )


def _tenant_plan(
    state: TenantState,
    *,
    changes: list[ItemChange] | None = None,
    notices: list[Notice] | None = None,
    watermarks: dict[Kind, str | None] | None = None,
    read_requests: int = 0,
    error: str | None = None,
) -> TenantPlan:
    spec = state.spec
    return TenantPlan(
        slug=spec.slug,
        tenant_id=spec.tenant_id,
        display_name=spec.display_name,
        client_id=spec.client_id,
        quota_per_minute=spec.quota_per_minute,
        watermarks=watermarks or {},
        changes=changes or [],
        notices=notices or [],
        read_requests=read_requests,
        error=error,
    )


_COMMIT = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def git_commit(root: Path) -> str | None:
    """The commit checked out at `root`, or None when it is not a git work tree."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    if result.returncode != 0 or not _COMMIT.fullmatch(commit):
        return None
    return commit

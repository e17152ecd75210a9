"""Plans and apply reports as Markdown for a pull-request comment.

Every value from a tenant or a YAML file is shown as a code span, which keeps
HTML, Markdown, autolinks and @mentions inert; a pipe inside it is escaped so a
table cell cannot be split. The comment never exceeds its size limit: it stops
before the block that would not fit, closes what is open and says where the full
plan is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

from reconciler.engine.plans import FieldChange, FieldValue, Notice, Plan, TenantPlan
from reconciler.engine.results import ApplyReport, ItemOutcome, TenantResult
from reconciler.render.summaries import (
    REPORTED_STATUSES,
    SETTLED_STATUSES,
    PlanTotals,
    TenantTotals,
    apply_advice,
    apply_line,
    cost_sentence,
    count,
    nothing_to_apply,
    ordered_changes,
    ordered_notices,
    ordered_outcomes,
    plan_headline,
    plan_totals,
    status_counts,
)

# GitHub refuses comments longer than this many characters.
GITHUB_COMMENT_LIMIT = 65536
FULL_PLAN_COMMAND = "reconciler plan --format json"
FULL_REPORT_COMMAND = "reconciler apply"

_LINE_BREAKS = re.compile("[\r\n\u2028\u2029]+")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BACKTICK_RUNS = re.compile("`+")
_DETAILS_END = "\n</details>\n\n"
# Room kept free for the closing tag and the pointer to the full output.
_RESERVE = 600


def render_plan(plan: Plan, *, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """The plan as a pull-request comment of at most `max_chars` characters."""
    totals = plan_totals(plan)
    tenants = sorted(plan.tenants, key=lambda tenant: tenant.slug)
    comment = _Comment(max_chars)

    gaps = nothing_to_apply(totals)
    if totals.changes:
        title = f"Reconciler plan: {plan_headline(totals, len(plan.tenants))}"
    elif gaps:
        title = f"Reconciler plan: no changes; {gaps}"
    else:
        title = "Reconciler plan: no changes"
    comment.add(f"### {title}\n\n")
    comment.add(f"{_plan_outlook(totals)}\n\n")
    comment.add(_plan_provenance(plan))

    numbers = ("Incidents", "Alerts", "Notices", "Requests")
    errors = ("Error",) if totals.unreadable_tenants else ()
    overview = _table(("Tenant", "Name", "Tenant id", *numbers, *errors), numbers)
    rows = (
        _overview_row(tenant, totals.tenants[tenant.slug], with_error=bool(errors))
        for tenant in tenants
    )
    comment.add_table(overview, rows)

    for tenant in tenants:
        if not comment.truncated:
            comment.add_blocks(_tenant_details(tenant, totals.tenants[tenant.slug]))

    items = totals.changes + totals.notices
    return comment.finish(
        f"{comment.items_shown:,} of {count(items, 'planned item')} are shown",
        f"The full plan is in the JSON artifact (`{FULL_PLAN_COMMAND}`).",
    )


def render_apply(report: ApplyReport, *, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """The apply report as a pull-request comment: counts, then every item not done."""
    counts = report.counts()
    tenants = sorted(report.tenants, key=lambda tenant: tenant.slug)
    comment = _Comment(max_chars)

    comment.add(f"### Reconciler apply: {apply_line(counts)}\n\n")
    advice = "".join(f"{line}\n\n" for line in apply_advice(report))
    comment.add(f"Plan `{_inline(report.plan_hash)}`.\n\n{advice}")
    numbers = (*(status.capitalize() for status in REPORTED_STATUSES), "Skipped")
    overview = _table(("Tenant", *numbers, "Requests", "Error"), (*numbers, "Requests"))
    comment.add_table(overview, (_result_row(tenant) for tenant in tenants))

    for tenant in tenants:
        if not comment.truncated:
            comment.add_blocks(_result_details(tenant))

    unsettled = sum(
        1
        for tenant in report.tenants
        for outcome in tenant.outcomes
        if outcome.status not in SETTLED_STATUSES
    )
    return comment.finish(
        f"{comment.items_shown:,} of {count(unsettled, 'unfinished item')} are shown",
        f"The full report is in the output of `{FULL_REPORT_COMMAND}`.",
    )


class _Comment:
    """A comment built block by block that stops before it would grow too long."""

    def __init__(self, max_chars: int) -> None:
        if max_chars < 2 * _RESERVE:
            raise ValueError(
                f"max_chars must be at least {2 * _RESERVE}, got {max_chars}"
            )
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False
        self.items_shown = 0
        self.open_details = False

    def add(self, block: str) -> bool:
        if self.truncated or self.size + len(block) > self.max_chars - _RESERVE:
            self.truncated = True
            return False
        self.parts.append(block)
        self.size += len(block)
        return True

    def add_table(self, header: str, rows: Iterable[str]) -> None:
        """The header with the first row, then row by row while they fit."""
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None or not self.add(header + first):
            return
        for row in iterator:
            if not self.add(row):
                return
        self.add("\n")

    def add_blocks(self, blocks: Iterator[tuple[str, int]]) -> None:
        """Blocks of a <details> section, each with how many items it shows."""
        for block, items in blocks:
            if not self.add(block):
                return
            self.items_shown += items
            if block.startswith("<details>"):
                self.open_details = True
            if block == _DETAILS_END:
                self.open_details = False

    def finish(self, shown: str, where: str) -> str:
        if self.truncated and self.open_details:
            self.parts.append(_DETAILS_END)
        body = "".join(self.parts).rstrip("\n") + "\n"
        if not self.truncated:
            return body
        return (
            f"{body}\n> [!NOTE]\n"
            f"> Cut to fit the {self.max_chars:,}-character comment limit: "
            f"{shown}. {where}\n"
        )


def _plan_outlook(totals: PlanTotals) -> str:
    if totals.changes:
        return f"Apply cost: {cost_sentence(totals)}."
    gaps = nothing_to_apply(totals)
    if gaps:
        return f"Nothing to apply; {gaps} (see below)."
    return "Live state matches the declared state."


def _plan_provenance(plan: Plan) -> str:
    facts = [f"made {_when(plan.created_at.isoformat())}"]
    if plan.commit:
        facts.append(f"from commit `{_inline(plan.commit[:12])}`")
    facts.append(f"expires {_when(plan.expires_at.isoformat())}")
    identity = f"Plan `{_inline(plan.content_hash)}`" if plan.content_hash else "Plan"
    return f"<sub>{identity} {', '.join(facts)}.</sub>\n\n"


def _when(timestamp: str) -> str:
    return timestamp.replace("T", " ").replace("+00:00", " UTC")


def _overview_row(tenant: TenantPlan, share: TenantTotals, *, with_error: bool) -> str:
    cells = [
        tenant.slug,
        _code(tenant.display_name),
        _code(tenant.tenant_id),
        f"{share.incidents:,}",
        f"{share.alerts:,}",
        f"{share.notices:,}",
        f"{share.requests:,}",
    ]
    if with_error:
        cells.append(_code(tenant.error) if tenant.error else "")
    return _row(*cells)


def _tenant_details(
    tenant: TenantPlan, share: TenantTotals
) -> Iterator[tuple[str, int]]:
    if not tenant.changes and not tenant.notices:
        return
    counts = [count(share.changes, "change"), count(share.notices, "notice")]
    opening = (
        f"<details><summary>{html.escape(tenant.slug)}: "
        f"{html.escape(', '.join(counts))}</summary>\n\n"
    )
    changes = ordered_changes(tenant)
    notices = ordered_notices(tenant)

    change_header = _table(("Kind", "Id", "Field", "Before", "After"))
    notice_header = _table(("Kind", "Id", "Reason", "Detail", "Declared at"))
    if notices:
        notice_header = ("\n" if changes else "") + "**Notices**\n\n" + notice_header

    # The opening goes out with its first row so that no section is empty.
    rows = [(_change_rows(item.kind, item.id, item.changes), 1) for item in changes]
    rows += [(_notice_row(notice), 1) for notice in notices]
    headers = {0: change_header, len(changes): notice_header}
    for index, (row, items) in enumerate(rows):
        header = headers.get(index, "")
        yield (opening + header + row if index == 0 else header + row), items
    yield _DETAILS_END, 0


def _change_rows(kind: str, identifier: str, changes: list[FieldChange]) -> str:
    return "".join(
        _row(kind, _code(identifier), change.field, *_before_after(change))
        for change in changes
    )


def _before_after(change: FieldChange) -> tuple[str, str]:
    return _cell(change.field, change.before), _cell(change.field, change.after)


def _cell(field: str, value: FieldValue) -> str:
    if value is None:
        return "*(unassigned)*" if field == "assignedTo" else "*(none)*"
    if isinstance(value, list):
        return " ".join(_code(entry) for entry in value) if value else "*(none)*"
    return _code(value)


def _notice_row(notice: Notice) -> str:
    return _row(
        notice.kind,
        _code(notice.id),
        notice.reason,
        _code(notice.detail),
        _code(notice.source),
    )


def _result_row(tenant: TenantResult) -> str:
    counts = status_counts(tenant.outcomes)
    numbers = [f"{counts[status]:,}" for status in (*REPORTED_STATUSES, "skipped")]
    error = _code(tenant.error) if tenant.error else ""
    return _row(tenant.slug, *numbers, f"{tenant.requests:,}", error)


def _result_details(tenant: TenantResult) -> Iterator[tuple[str, int]]:
    unsettled = ordered_outcomes(
        outcome for outcome in tenant.outcomes if outcome.status not in SETTLED_STATUSES
    )
    if not unsettled:
        return
    opening = (
        f"<details><summary>{html.escape(tenant.slug)}: "
        f"{count(len(unsettled), 'item')} not done</summary>\n\n"
        + _table(("Kind", "Id", "Status", "Fields", "Detail"))
    )
    for index, outcome in enumerate(unsettled):
        row = _outcome_row(outcome)
        yield (opening + row if index == 0 else row), 1
    yield _DETAILS_END, 0


def _outcome_row(outcome: ItemOutcome) -> str:
    return _row(
        outcome.kind,
        _code(outcome.id),
        outcome.status,
        " ".join(_code(field) for field in outcome.fields),
        _code(outcome.detail) if outcome.detail else "",
    )


def _table(headers: Iterable[str], numeric: Iterable[str] = ()) -> str:
    """A table's header; the columns named in `numeric` are right-aligned."""
    names = list(headers)
    right = set(numeric)
    return _row(*names) + _row(*("--:" if name in right else "---" for name in names))


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |\n"


def _code(text: str) -> str:
    """User data as a code span that is safe inside a table cell."""
    flat = _flatten(text)
    if not flat:
        return "*(empty)*"
    runs = _BACKTICK_RUNS.findall(flat)
    fence = "`" * (max(map(len, runs), default=0) + 1)
    # A backtick next to the fence would merge with it, and CommonMark strips one
    # space from each end when both ends have one; padding keeps the value exact.
    edges = flat[0] + flat[-1]
    if "`" in edges or (edges == "  " and flat.strip(" ")):
        flat = f" {flat} "
    return fence + flat.replace("|", "\\|") + fence


def _inline(text: str) -> str:
    """Text for a code span outside a table, where backticks are the only hazard."""
    return _flatten(text).replace("`", "'")


def _flatten(text: str) -> str:
    """One line, without control characters that a renderer might act on."""
    single = _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    return _CONTROLS.sub("\ufffd", single)

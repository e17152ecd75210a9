"""Plans and apply reports as text for a terminal.

Colour is plain ANSI, added only when asked for. Every value that came from a
tenant or a YAML file is made printable first: a tag holding an escape sequence
must not be able to repaint the reviewer's terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from reconciler.engine.plans import FieldChange, FieldValue, ItemChange, Notice, Plan
from reconciler.engine.results import (
    ApplyReport,
    ItemOutcome,
    TenantResult,
)
from reconciler.render.summaries import (
    REPORTED_STATUSES,
    SETTLED_STATUSES,
    PlanTotals,
    TenantTotals,
    apply_advice,
    apply_line,
    approximate_duration,
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

Paint = Callable[[str, str], str]

_STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "bold red": "1;31",
}
# C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
NO_CHANGES = "No changes. Live state matches the declared state."


def render_plan(plan: Plan, *, color: bool) -> str:
    """The plan as a reviewer reads it: per tenant, per item, per field."""
    paint = _painter(color)
    totals = plan_totals(plan)
    lines: list[str] = []

    for tenant in sorted(plan.tenants, key=lambda tenant: tenant.slug):
        if not tenant.changes and not tenant.notices and not tenant.error:
            continue
        share = totals.tenants[tenant.slug]
        header = (
            f"Tenant {tenant.slug} ({printable(tenant.display_name)}, "
            f"{tenant.tenant_id}): "
        )
        if tenant.error:
            lines.append(paint(header + "could not be read", "bold"))
            lines.append(f"  {paint('!', 'magenta')} {printable(tenant.error)}")
            lines.append("")
            continue
        lines.append(paint(header + _tenant_counts(share), "bold"))
        # With one tenant changing, the summary's cost line says the same.
        if share.changes and totals.changed_tenants > 1:
            lines.append(
                paint(
                    f"  applying costs {count(share.requests, 'request')}, "
                    f"{approximate_duration(share.seconds)} at "
                    f"{tenant.quota_per_minute:,} requests/minute",
                    "dim",
                )
            )
        lines.append("")
        for item in ordered_changes(tenant):
            lines.extend(_change_lines(item, paint))
            lines.append("")
        for notice in ordered_notices(tenant):
            lines.extend(_notice_lines(notice, paint))
            lines.append("")

    lines.extend(_plan_summary(totals, len(plan.tenants), paint))
    return "\n".join(lines) + "\n"


def render_apply(report: ApplyReport, *, color: bool) -> str:
    """Per tenant, what was done; every item not written, with why and what next."""
    paint = _painter(color)
    lines: list[str] = []

    for tenant in sorted(report.tenants, key=lambda tenant: tenant.slug):
        lines.extend(_tenant_result_lines(tenant, paint))

    counts = report.counts()
    if lines:
        lines.append("")
    lines.append(paint(f"Apply complete: {apply_line(counts)}.", "bold"))
    lines.extend(apply_advice(report))
    return "\n".join(lines) + "\n"


def render_refusal(message: str, *, color: bool) -> str:
    """A guardrail's refusal: what was refused, and that nothing was written."""
    paint = _painter(color)
    return (
        paint("Refused:", "bold red")
        + f" {printable(message, keep_newlines=True)}\n"
        + "Nothing was written.\n"
    )


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """The text with control characters shown as escapes instead of obeyed."""
    if text.isprintable():
        return text
    if keep_newlines:
        return "\n".join(printable(line) for line in text.split("\n"))
    return _UNPRINTABLE.sub(_escape_character, text)


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _painter(color: bool) -> Paint:
    if not color:
        return lambda text, _style: text
    return lambda text, style: f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


def _tenant_counts(share: TenantTotals) -> str:
    parts = []
    if share.changes:
        parts.append(count(share.changes, "change"))
    if share.notices:
        parts.append(count(share.notices, "notice"))
    return ", ".join(parts)


def _change_lines(item: ItemChange, paint: Paint) -> list[str]:
    lines = [
        f"  {paint('~', 'yellow')} {item.kind} {printable(item.id)}  "
        f"{paint(printable(item.source), 'dim')}"
    ]
    lines.extend(f"      {_field_line(change, paint)}" for change in item.changes)
    return lines


def _field_line(change: FieldChange, paint: Paint) -> str:
    if change.field == "customTags":
        delta = _tag_delta(change.before, change.after, paint)
        if delta:
            return f"customTags: {delta}"
    before = _value(change.field, change.before)
    after = _value(change.field, change.after)
    return f"{change.field}: {before} -> {after}"


def _tag_delta(before: FieldValue, after: FieldValue, paint: Paint) -> str:
    old = set(before) if isinstance(before, list) else set()
    new = set(after) if isinstance(after, list) else set()
    added = [paint(f"+{_word(tag)}", "green") for tag in sorted(new - old)]
    removed = [paint(f"-{_word(tag)}", "red") for tag in sorted(old - new)]
    return " ".join(added + removed)


def _value(field: str, value: FieldValue) -> str:
    if value is None:
        return "(unassigned)" if field == "assignedTo" else "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(_word(entry) for entry in value) + "]" if value else "[]"
    return _word(value)


def _word(text: str) -> str:
    """A value as-is, quoted when it would otherwise be misread (spaces, empty)."""
    if text and text.strip() == text and " " not in text and '"' not in text:
        return printable(text)
    return printable(json.dumps(text, ensure_ascii=False))


def _notice_lines(notice: Notice, paint: Paint) -> list[str]:
    return [
        f"  {paint('!', 'magenta')} {notice.kind} {printable(notice.id)}  "
        f"{paint(printable(notice.source), 'dim')}",
        f"      {paint(notice.reason, 'yellow')}: {printable(notice.detail)}",
    ]


def _plan_summary(totals: PlanTotals, tenant_count: int, paint: Paint) -> list[str]:
    if not totals.changes:
        gaps = nothing_to_apply(totals)
        if gaps is None:
            return [paint(NO_CHANGES, "bold")]
        return [paint(f"No changes to apply. {gaps}: see above.", "bold")]
    return [
        paint(f"Plan: {plan_headline(totals, tenant_count)}.", "bold"),
        f"Apply cost: {cost_sentence(totals)}.",
    ]


def _tenant_result_lines(tenant: TenantResult, paint: Paint) -> list[str]:
    if tenant.error:
        return [
            paint(f"Tenant {tenant.slug}: not applied", "bold")
            + f": {printable(tenant.error)}"
        ]
    counts = status_counts(tenant.outcomes)
    summary = ", ".join(
        f"{counts[status]:,} {status}"
        for status in (*REPORTED_STATUSES, "skipped")
        if counts[status]
    )
    lines = [
        paint(f"Tenant {tenant.slug}: ", "bold")
        + (summary or "nothing to do")
        + f" ({count(tenant.requests, 'request')})"
    ]
    unsettled = [o for o in tenant.outcomes if o.status not in SETTLED_STATUSES]
    lines.extend(
        _outcome_line(outcome, paint) for outcome in ordered_outcomes(unsettled)
    )
    return lines


def _outcome_line(outcome: ItemOutcome, paint: Paint) -> str:
    colour = "red" if outcome.status == "failed" else "yellow"
    detail = f": {printable(outcome.detail)}" if outcome.detail else ""
    return (
        f"  {paint(outcome.status, colour)} {outcome.kind} "
        f"{printable(outcome.id)}{detail}"
    )

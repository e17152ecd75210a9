"""Is what the plan was made against still what is live?

Apply does not re-read every planned item. It asks each tenant only for the items
updated since the plan was made; any other item cannot have changed. Each
returned item is then judged: still as planned (write it), already at the
desired values (nothing to write), or changed in a managed field (stale: not
written, reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from reconciler.engine.diffing import AnyValue, same_value
from reconciler.engine.fingerprints import fingerprint
from reconciler.engine.plans import ItemChange
from reconciler.engine.timestamps import datetime_ticks, format_ticks, to_ticks
from reconciler.live.records import LiveItem

# How far the machine making the plan and Graph may disagree about the time. Five
# minutes is the tolerance Kerberos allows; NTP keeps real clocks far closer.
CLOCK_SKEW = timedelta(minutes=5)

_LOCKED_STATUSES = {
    "redirected": "was merged into incident {target} since the plan",
    "awaitingAction": "is now awaiting action by Defender Experts",
}

Verdict = Literal["write", "unchanged", "stale"]


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    detail: str | None = None


def changed_since(watermark: str | None, planned_at: datetime) -> str:
    """The lastUpdateDateTime from which changes since the plan must be looked for.

    The plan's time (taken before any read, less the clock skew) is the bound that
    is always safe: an item changed after it was read was changed after that. The
    newest update read, plus one tick, is also safe when nothing changed while the
    plan was being read, and then tighter; the earlier of the two is used.
    """
    bound = datetime_ticks(planned_at - CLOCK_SKEW)
    newest = to_ticks(watermark) if watermark else None
    if newest is not None:
        bound = min(bound, newest + 1)
    return format_ticks(bound)


def judge(change: ItemChange, live: LiveItem | None) -> Judgement:
    """What to do with one planned item, given how it is live now.

    `live` is None when the item was not among those updated since the plan.
    """
    if live is None:
        return Judgement("write")

    status = live.fields.get("status")
    if isinstance(status, str) and status in _LOCKED_STATUSES:
        target = live.redirect_incident_id or "another incident"
        reason = _LOCKED_STATUSES[status].format(target=target)
        return Judgement("stale", f"{reason}; not written; re-run plan to review it")

    planned = change.read_values()
    current = {field: live.fields.get(field) for field in planned}
    if fingerprint(current) == change.fingerprint:
        return Judgement("write")

    desired: dict[str, AnyValue] = dict(change.matching)
    desired.update(change.patch_body())
    if all(same_value(field, current[field], desired[field]) for field in desired):
        return Judgement("unchanged")

    moved = [
        field
        for field in sorted(planned)
        if not same_value(field, current[field], planned[field])
    ]
    if not moved:
        return Judgement("write")
    described = ", ".join(
        f"{field} is now {show(current[field])} (planned from {show(planned[field])})"
        for field in moved
    )
    return Judgement(
        "stale", f"changed live since the plan: {described}; not written; re-run plan"
    )


def show(value: AnyValue) -> str:
    """A field value as people read it in a message."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return "[" + ", ".join(sorted(value)) + "]"

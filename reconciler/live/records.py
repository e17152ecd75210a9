"""What was read from or written to a tenant, parsed at the edge.

Graph's JSON becomes a `LiveItem` holding only the managed fields, normalized so
that the engine can compare them with the desired state directly: enum values in
camelCase whatever casing Graph sent, custom tags as a sorted tuple, an empty
assignee as None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.desired.enums import (
    AlertStatus,
    Classification,
    Determination,
    IncidentStatus,
)
from reconciler.desired.models import FieldValue, Kind
from reconciler.live.errors import GraphError


@dataclass(frozen=True, slots=True)
class LiveItem:
    """One incident or alert as Graph holds it now."""

    kind: Kind
    id: str
    fields: dict[str, FieldValue]
    # Exactly as Graph sent it; the engine fingerprints and filters on it.
    last_update: str
    redirect_incident_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListResult:
    """Every item a listing returned; incomplete when it stopped early."""

    items: dict[str, LiveItem]
    complete: bool
    error: str | None
    requests: int


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Items read by id: found, known to be absent, or not readable (id -> reason)."""

    items: dict[str, LiveItem]
    missing: frozenset[str]
    unknown: dict[str, str]
    requests: int


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What Graph answered to one PATCH: the item as written, or why not."""

    id: str
    ok: bool
    status: int
    item: LiveItem | None
    error: str | None


def _by_lower_case(enum_cls: type[StrEnum]) -> dict[str, str]:
    return {member.value.lower(): member.value for member in enum_cls}


_STATUSES: dict[str, dict[str, str]] = {
    "incident": _by_lower_case(IncidentStatus),
    "alert": _by_lower_case(AlertStatus),
}
_CLASSIFICATIONS = _by_lower_case(Classification)
_DETERMINATIONS = _by_lower_case(Determination)


def parse_item(kind: Kind, raw: object) -> LiveItem:
    """Turn one incident or alert object from Graph into a `LiveItem`."""
    if not isinstance(raw, dict):
        raise GraphError(f"Graph sent a {kind} that is not a JSON object")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise GraphError(f"Graph sent a {kind} without an id")

    fields: dict[str, FieldValue] = {
        # Graph uses null for unassigned; an empty string means the same.
        "assignedTo": _text(raw, "assignedTo", kind, item_id) or None,
        "status": _member(raw, "status", _STATUSES[kind], kind, item_id),
        "classification": _member(
            raw, "classification", _CLASSIFICATIONS, kind, item_id
        ),
        "determination": _member(raw, "determination", _DETERMINATIONS, kind, item_id),
    }
    if kind == "incident":
        fields["customTags"] = _tags(raw, kind, item_id)

    return LiveItem(
        kind=kind,
        id=item_id,
        fields=fields,
        last_update=_text(raw, "lastUpdateDateTime", kind, item_id) or "",
        redirect_incident_id=_text(raw, "redirectIncidentId", kind, item_id) or None,
    )


def _text(raw: Mapping[str, Any], name: str, kind: Kind, item_id: str) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, str):
        return value
    raise GraphError(f"Graph sent {kind} {item_id} with a non-text {name}")


def _member(
    raw: Mapping[str, Any],
    name: str,
    members: Mapping[str, str],
    kind: Kind,
    item_id: str,
) -> str | None:
    value = _text(raw, name, kind, item_id)
    if value is None:
        return None
    # A member this client does not know yet is kept as sent, so it shows up as a
    # difference instead of being mistaken for a known value.
    return members.get(value.lower(), value)


def _tags(raw: Mapping[str, Any], kind: Kind, item_id: str) -> tuple[str, ...]:
    value = raw.get("customTags")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise GraphError(f"Graph sent {kind} {item_id} with customTags not a list")
    return tuple(sorted(set(value)))

"""Managed fields compared: what is declared against what is live.

Only declared fields are compared; anything else on the item belongs to the
analysts. This runs once per declared item, so it stays plain Python: no models,
no generic diff library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.engine.plans import FieldChange, FieldValue

# What either side may hold for one field: a string, None, or incident tags as a
# tuple (read from YAML or Graph) or a list (read back from a plan file).
AnyValue = str | None | Sequence[str]


def same_value(field: str, left: AnyValue, right: AnyValue) -> bool:
    """Whether two values of one managed field mean the same thing."""
    if left == right:
        return True
    if isinstance(left, str) and isinstance(right, str):
        # Sign-in names are case-insensitive; rewriting only the case would spend
        # quota and change nothing an analyst can see.
        return field == "assignedTo" and left.casefold() == right.casefold()
    if left is None or right is None or isinstance(left, str) or isinstance(right, str):
        return False
    # Custom tags are a set: order and repeats carry no meaning.
    return set(left) == set(right)


def plan_value(value: AnyValue) -> FieldValue:
    """A value as a plan stores it: tags as a sorted list."""
    if value is None or isinstance(value, str):
        return value
    return sorted(set(value))


def diff_fields(
    desired: Mapping[str, AnyValue], live: Mapping[str, AnyValue]
) -> tuple[list[FieldChange], dict[str, FieldValue]]:
    """The declared fields that differ, and those already at their desired value."""
    changes: list[FieldChange] = []
    matching: dict[str, FieldValue] = {}
    for field, wanted in desired.items():
        current = live.get(field)
        if same_value(field, wanted, current):
            matching[field] = plan_value(current)
            continue
        changes.append(
            FieldChange.model_construct(
                field=field, before=plan_value(current), after=plan_value(wanted)
            )
        )
    return changes, matching

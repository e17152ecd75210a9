"""Validating incidents.yaml and alerts.yaml: the declared items of one tenant.

This is the hot path (hundreds of thousands of items): each field is first
tried against a table of the values it may take, and messages are only built
when that fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto
from typing import Literal

from reconciler.desired import checks
from reconciler.desired.enums import (
    ALLOWED_DETERMINATIONS,
    DECLARABLE_ALERT_STATUSES,
    DECLARABLE_CLASSIFICATIONS,
    DECLARABLE_DETERMINATIONS,
    DECLARABLE_INCIDENT_STATUSES,
    DEPRECATED_DETERMINATIONS,
    AlertStatus,
    Classification,
    Determination,
    IncidentStatus,
)
from reconciler.desired.models import (
    ALERT_FIELDS,
    INCIDENT_FIELDS,
    AssigneePolicy,
    FieldValue,
    Kind,
)
from reconciler.desired.nodes import NULL_WORDS, Mapping, Node, Scalar, Sequence
from reconciler.desired.problems import FileProblems

# Ids go into request URLs; Graph's are digits (incidents) or letters, digits,
# '_' and '-' (alerts such as da637551227677560813_-961444813).
# An id becomes one segment of a Graph request path, so dots alone ("." or "..")
# are refused: they would address another resource.
ITEM_ID = re.compile(r"[A-Za-z0-9_.-]*[A-Za-z0-9_-][A-Za-z0-9_.-]*")
ITEM_ID_MAX_LENGTH = 128


def is_item_id(text: str) -> bool:
    return len(text) <= ITEM_ID_MAX_LENGTH and ITEM_ID.fullmatch(text) is not None


TOP_KEY: dict[Kind, str] = {"incident": "incidents", "alert": "alerts"}
FIELDS: dict[Kind, dict[str, str]] = {
    "incident": INCIDENT_FIELDS,
    "alert": ALERT_FIELDS,
}

# A valid item before it is bound to its file: id, line and column of its key,
# and its fields by wire name. A tuple because there can be hundreds of thousands.
ItemRecord = tuple[str, int, int, dict[str, FieldValue]]


@dataclass(frozen=True, slots=True)
class AssigneeRule:
    """The tenant's assignee policy, and where to point when it refuses someone."""

    policy: AssigneePolicy
    tenant: str
    source: str


def validate_items(
    root: Node | None, kind: Kind, rule: AssigneeRule | None, problems: FileProblems
) -> list[ItemRecord]:
    """The valid items declared in one file; a problem for everything wrong."""
    items = _items_mapping(root, kind, problems)
    if items is None:
        return []
    checker = _ItemChecker(kind, rule, problems)
    records = []
    for key, value in items.entries.values():
        record = checker.item(key, value)
        if record is not None:
            records.append(record)
    return records


def _items_mapping(
    root: Node | None, kind: Kind, problems: FileProblems
) -> Mapping | None:
    top = TOP_KEY[kind]
    # An empty file, or `incidents:` with nothing under it, declares nothing.
    if root is None or (isinstance(root, Scalar) and root.is_null()):
        return None
    document = checks.mapping(problems, root, f"{top}.yaml")
    if document is None:
        return None
    for name, (key, _) in document.entries.items():
        if name != top:
            problems.add(
                key.line,
                key.column,
                f"unknown key '{name}'{checks.did_you_mean(name, [top])} ({top}.yaml "
                f"holds one key, '{top}', mapping each {kind} id to its fields)",
            )
    entry = document.entries.get(top)
    if entry is None or entry[1] is None:
        return None
    value = entry[1]
    if isinstance(value, Scalar) and value.is_null():
        return None
    return checks.mapping(problems, value, f"'{top}' (each {kind} id to its fields)")


class _Invalid(Enum):
    """What a field check returns after recording a problem."""

    INVALID = auto()


INVALID = _Invalid.INVALID
Checked = FieldValue | Literal[_Invalid.INVALID]


class _ItemChecker:
    def __init__(
        self, kind: Kind, rule: AssigneeRule | None, problems: FileProblems
    ) -> None:
        self.kind = kind
        self.rule = rule
        self.problems = problems
        self.fields = FIELDS[kind]
        self.statuses = STATUS_VALUES[kind]
        self.handlers = {name: _HANDLERS[name] for name in self.fields}
        self.current = ""

    def item(self, key: Scalar, value: Node | None) -> ItemRecord | None:
        self.current = key.value
        if not is_item_id(key.value):
            self._bad_id(key)
            return None
        if value is None:
            return None
        if type(value) is not Mapping or not value.entries:
            self._empty(key, value)
            return None
        entries = value.entries
        handlers = self.handlers
        fields: dict[str, FieldValue] = {}
        clean = True
        for name, (field_key, field_value) in entries.items():
            handler = handlers.get(name)
            if handler is None:
                self._unknown_field(field_key)
                clean = False
            elif field_value is None:
                clean = False
            else:
                checked = handler(self, field_value)
                if checked is INVALID:
                    clean = False
                else:
                    fields[self.fields[name]] = checked
        if "determination" in fields and not self._paired(entries, fields):
            clean = False
        return (key.value, key.line, key.column, fields) if clean else None

    def _bad_id(self, key: Scalar) -> None:
        self.problems.add(
            key.line,
            key.column,
            f"'{key.value}' is not a valid {self.kind} id: use the id shown in the "
            "Defender portal (letters, digits, '_', '-' and '.', not dots alone, "
            "at most 128)",
        )

    def _empty(self, key: Scalar, value: Node) -> None:
        if isinstance(value, Mapping) or (
            isinstance(value, Scalar) and value.is_null()
        ):
            self.problems.add(
                key.line,
                key.column,
                f"{self.kind} '{key.value}' declares no fields: declare at least "
                f"one of {', '.join(self.fields)}, or remove it",
            )
            return
        checks.wrong_type(
            self.problems, value, f"{self.kind} '{key.value}'", "a mapping of fields"
        )

    def _unknown_field(self, key: Scalar) -> None:
        if self.kind == "alert" and key.value == "tags":
            self.problems.add(
                key.line,
                key.column,
                "alerts have no custom tags in Graph; "
                "declare tags on the alert's incident instead",
            )
            return
        where = f"{self.kind} '{self.current}'"
        checks.unknown_key(self.problems, key, where, self.fields)

    def assignee(self, node: Node) -> Checked:
        if type(node) is Scalar:
            value = node.value
            if node.plain and value in NULL_WORDS:
                return None
            rule = self.rule
            if (
                value
                and value == value.strip()
                and (rule is None or rule.policy.allows(value))
            ):
                return value
        return self._bad_assignee(node)

    def _bad_assignee(self, node: Node) -> Checked:
        scalar = checks.text(self.problems, node, "assignee")
        if scalar is None:
            return INVALID
        if scalar.value != scalar.value.strip():
            self.problems.add(
                scalar.line, scalar.column, "assignee has spaces around it; remove them"
            )
            return INVALID
        assert self.rule is not None
        policy = self.rule.policy
        allowed = []
        if policy.domains:
            allowed.append("an address at " + ", ".join(policy.domains))
        if policy.roster:
            allowed.append("one of " + ", ".join(policy.roster))
        hint = checks.did_you_mean(scalar.value, policy.roster)
        self.problems.add(
            scalar.line,
            scalar.column,
            f"assignee '{scalar.value}' is not allowed in tenant '{self.rule.tenant}'"
            f"{hint} (allowed: {' or '.join(allowed)}; use null to unassign, or "
            f"extend assignees in {self.rule.source})",
        )
        return INVALID

    def status(self, node: Node) -> Checked:
        if type(node) is Scalar:
            value = self.statuses.get(node.value)
            if value is not None:
                return value
        scalar = checks.text(self.problems, node, "status")
        if scalar is None:
            return INVALID
        declarable = self.statuses.keys()
        reason = _STATUS_REASONS.get((self.kind, scalar.value))
        if reason:
            message = (
                f"status '{scalar.value}' cannot be declared: {reason} "
                f"(declare one of: {', '.join(sorted(declarable))})"
            )
        else:
            message = f"'{scalar.value}' is not a status an {self.kind} can be given"
            message += checks.choices(scalar.value, declarable)
        self.problems.add(scalar.line, scalar.column, message)
        return INVALID

    def classification(self, node: Node) -> Checked:
        if type(node) is Scalar:
            value = CLASSIFICATION_VALUES.get(node.value)
            if value is not None:
                return value
        scalar = checks.text(self.problems, node, "classification")
        if scalar is None:
            return INVALID
        if scalar.value == Classification.UNKNOWN_FUTURE_VALUE:
            message = (
                f"classification '{scalar.value}' is {_SENTINEL} "
                f"(declare one of: {', '.join(sorted(CLASSIFICATION_VALUES))})"
            )
        else:
            message = f"'{scalar.value}' is not a classification"
            message += checks.choices(scalar.value, CLASSIFICATION_VALUES)
        self.problems.add(scalar.line, scalar.column, message)
        return INVALID

    def determination(self, node: Node) -> Checked:
        if type(node) is Scalar:
            value = DETERMINATION_VALUES.get(node.value)
            if value is not None:
                return value
        scalar = checks.text(self.problems, node, "determination")
        if scalar is None:
            return INVALID
        if scalar.value in _DEPRECATED:
            message = (
                f"determination '{scalar.value}' was retired by Microsoft in August "
                "2022 and Graph no longer accepts it; choose a current one such as "
                "'multiStagedAttack', 'compromisedAccount' or 'other'"
            )
        elif scalar.value == Determination.UNKNOWN_FUTURE_VALUE:
            message = f"determination '{scalar.value}' is {_SENTINEL}"
        else:
            message = f"'{scalar.value}' is not a determination"
            message += checks.choices(scalar.value, DETERMINATION_VALUES)
        self.problems.add(scalar.line, scalar.column, message)
        return INVALID

    def tags(self, node: Node) -> Checked:
        if type(node) is Sequence:
            values = [
                item.value
                for item in node.items
                if type(item) is Scalar
                and item.value.strip()
                and not (item.plain and item.value in NULL_WORDS)
            ]
            if len(values) == len(node.items) and len(set(values)) == len(values):
                return tuple(sorted(values))
        return self._bad_tags(node)

    def _bad_tags(self, node: Node) -> Checked:
        if not isinstance(node, Sequence):
            hint = ""
            if isinstance(node, Scalar) and node.is_null():
                hint = "; write [] to remove every tag"
            checks.wrong_type(self.problems, node, "tags", "a list" + hint)
            return INVALID
        entries = checks.text_list(self.problems, node, "tags")
        if entries is None:
            return INVALID
        seen: dict[str, Scalar] = {}
        for entry in entries:
            first = seen.setdefault(entry.value, entry)
            if first is not entry:
                self.problems.add(
                    entry.line,
                    entry.column,
                    f"tag '{entry.value}' is listed twice (first at line "
                    f"{first.line}, column {first.column}); keep one",
                )
        return INVALID

    def _paired(
        self,
        entries: dict[str, tuple[Scalar, Node | None]],
        fields: dict[str, FieldValue],
    ) -> bool:
        """A determination must come with a classification that it fits."""
        determination = fields["determination"]
        classification = fields.get("classification")
        if classification is not None:
            if determination in ALLOWED_PAIRS[classification]:  # type: ignore[index]
                return True
        elif "classification" in entries:
            # Declared but invalid: that problem is already recorded.
            return False
        node = entries["determination"][1]
        assert isinstance(node, Scalar)
        assert isinstance(determination, str)
        fits = ", ".join(_FITTING[determination])
        if classification is None:
            message = (
                f"determination '{determination}' needs a classification in the "
                f"same {self.kind}, because Graph pairs the two (it fits: {fits})"
            )
        else:
            allowed = ", ".join(sorted(ALLOWED_PAIRS[classification]))  # type: ignore[index]
            message = (
                f"determination '{determination}' does not fit classification "
                f"'{classification}' (it fits: {fits}; {classification} allows: "
                f"{allowed})"
            )
        self.problems.add(node.line, node.column, message)
        return False


_SENTINEL = "Graph's placeholder for values it cannot name, and cannot be declared"
STATUS_VALUES: dict[Kind, dict[str, str]] = {
    "incident": {member.value: member.value for member in DECLARABLE_INCIDENT_STATUSES},
    "alert": {member.value: member.value for member in DECLARABLE_ALERT_STATUSES},
}
_STATUS_REASONS: dict[tuple[Kind, str], str] = {
    ("incident", IncidentStatus.REDIRECTED.value): (
        "the service sets it when an incident is merged into another"
    ),
    ("incident", IncidentStatus.AWAITING_ACTION.value): (
        "only Microsoft Defender Experts set it, while they wait on the customer"
    ),
    ("incident", IncidentStatus.UNKNOWN_FUTURE_VALUE.value): _SENTINEL,
    ("alert", AlertStatus.UNKNOWN_FUTURE_VALUE.value): _SENTINEL,
    ("alert", AlertStatus.UNKNOWN.value): (
        "it is what Graph reports for an alert without a status"
    ),
}
CLASSIFICATION_VALUES = {
    member.value: member.value for member in DECLARABLE_CLASSIFICATIONS
}
DETERMINATION_VALUES = {
    member.value: member.value for member in DECLARABLE_DETERMINATIONS
}
_DEPRECATED = {member.value for member in DEPRECATED_DETERMINATIONS}
ALLOWED_PAIRS: dict[str, frozenset[str]] = {
    cls.value: frozenset(member.value for member in allowed)
    for cls, allowed in ALLOWED_DETERMINATIONS.items()
}
_FITTING: dict[str, list[str]] = {
    determination: sorted(
        cls for cls, allowed in ALLOWED_PAIRS.items() if determination in allowed
    )
    for determination in DETERMINATION_VALUES
}
_HANDLERS: dict[str, Callable[[_ItemChecker, Node], Checked]] = {
    "assignee": _ItemChecker.assignee,
    "status": _ItemChecker.status,
    "classification": _ItemChecker.classification,
    "determination": _ItemChecker.determination,
    "tags": _ItemChecker.tags,
}

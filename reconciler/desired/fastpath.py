"""The fast path for item files that are plain, canonical and valid.

Walking libyaml's events and checking nodes costs microseconds per scalar,
most of the time spent loading 200,000 items. Item files are nearly always
written the same simple way:

    incidents:
      "2972395":
        status: active
        tags: [ransomware, escalated]

For that shape one regular expression over the whole text reads every line at
once, and each value is checked with one table lookup. The path is optimistic:
it only accepts. Anything outside that shape (other indentation, block lists,
multi-line or escaped scalars, non-ASCII text, control characters) and anything
invalid (an unknown key, a bad value, a duplicate) makes it return None, and the
strict reader takes the file from the start and reports what is wrong. What
it accepts is exactly what the strict path would build (tests compare the two).
"""

from __future__ import annotations

import re

from reconciler.desired.items import (
    ALLOWED_PAIRS,
    CLASSIFICATION_VALUES,
    DETERMINATION_VALUES,
    FIELDS,
    INVALID,
    STATUS_VALUES,
    TOP_KEY,
    AssigneeRule,
    Checked,
    ItemRecord,
    is_item_id,
)
from reconciler.desired.models import FieldValue, Kind
from reconciler.desired.nodes import NULL_WORDS

# Scalars whose meaning cannot depend on YAML's finer rules: no indicators, no
# spaces, nothing that could start a comment, a flow collection or a mapping;
# quoted ones without escapes or line breaks.
_PLAIN_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.@+/-]*"
_PLAIN_VALUE = r"[A-Za-z0-9_~][A-Za-z0-9_.@+/~-]*"
_QUOTED = r"\"[^\"\\\n]*\"|'[^'\n]*'"
_ITEM = rf"{_PLAIN_VALUE}|{_QUOTED}"
# Every line is blank, a comment, or `KEY:` with an optional value and comment.
_LINE = re.compile(
    rf"""^(\ *)
    (?:
        ({_PLAIN_KEY}|{_QUOTED}):
        (?:\ +({_ITEM}|\[[^\]\n]*\]))?
        (?:\ +\#.*)?\ *
    |
        (?:\#.*)?
    )$""",
    re.MULTILINE | re.VERBOSE,
)
_FLOW = re.compile(rf"\[\ *(?:(?:{_ITEM})(?:\ *,\ *(?:{_ITEM}))*)?\ *\]", re.VERBOSE)
_FLOW_ITEM = re.compile(_ITEM)
_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")

# An item as written: key text, its line and column, and field -> value text.
_RawItem = tuple[str, int, int, dict[str, str]]


def read_items(
    text: str, kind: Kind, rule: AssigneeRule | None
) -> list[ItemRecord] | None:
    """The file's items if it is canonical and valid; None to use the strict path."""
    if not text.isascii() or _UNSAFE.search(text):
        return None
    rows: list[tuple[str, str, str]] = _LINE.findall(text)
    # A line outside the shape matches nothing, so the counts differ.
    if len(rows) != text.count("\n") + 1:
        return None
    raw = _collect(rows, TOP_KEY[kind])
    if raw is None:
        return None
    return _validate(raw, kind, rule)


def _collect(rows: list[tuple[str, str, str]], top: str) -> list[_RawItem] | None:
    """Group the lines into items by indentation: top key, item keys, fields.

    One loop with local variables: it runs once per line of every item file.
    """
    items: list[_RawItem] = []
    ids: set[str] = set()
    fields: dict[str, str] = {}
    item_indent = field_indent = -1
    seen_top = False
    for number, (indent_text, key, value) in enumerate(rows, start=1):
        if not key:
            continue
        indent = len(indent_text)
        if indent == field_indent:
            name = _unquote(key)
            if not value or name in fields:
                return None
            fields[name] = value
        elif indent == item_indent or (seen_top and item_indent < 0 and indent > 0):
            item_id = _unquote(key)
            if value or item_id in ids or (items and not fields):
                return None
            item_indent = indent
            ids.add(item_id)
            fields = {}
            items.append((item_id, number, indent + 1, fields))
        elif not seen_top:
            if indent or key != top or value:
                return None
            seen_top = True
        elif items and field_indent < 0 and indent > item_indent and value:
            field_indent = indent
            fields[_unquote(key)] = value
        else:
            return None
    if not items or not fields:
        return None
    return items


def _unquote(text: str) -> str:
    return text[1:-1] if text[0] == '"' or text[0] == "'" else text


def _validate(
    raw: list[_RawItem], kind: Kind, rule: AssigneeRule | None
) -> list[ItemRecord] | None:
    wire_names = FIELDS[kind]
    enums = _ENUM_TABLES[kind]
    records: list[ItemRecord] = []
    for item_id, line, column, written in raw:
        if not is_item_id(item_id):
            return None
        fields: dict[str, FieldValue] = {}
        for name, text in written.items():
            value: FieldValue
            table = enums.get(name)
            if table is not None:
                value = table.get(text)
                if value is None:
                    return None
            elif name == "assignee":
                assignee = _assignee(text, rule)
                if assignee is INVALID:
                    return None
                value = assignee
            elif name == "tags" and kind == "incident":
                tags = _tags(text)
                if tags is None:
                    return None
                value = tags
            else:
                return None
            fields[wire_names[name]] = value
        determination = fields.get("determination")
        if determination is not None:
            classification = fields.get("classification")
            if (
                not isinstance(classification, str)
                or determination not in ALLOWED_PAIRS[classification]
            ):
                return None
        records.append((item_id, line, column, fields))
    return records


def _assignee(text: str, rule: AssigneeRule | None) -> Checked:
    """The assignee, None for unassigned, or INVALID to use the strict path."""
    if text[0] == "[":
        return INVALID
    if text[0] == '"' or text[0] == "'":
        text = text[1:-1]
        if not text or text != text.strip():
            return INVALID
    elif text in NULL_WORDS:
        return None
    if rule is not None and not rule.policy.allows(text):
        return INVALID
    return text


def _tags(text: str) -> tuple[str, ...] | None:
    if text[0] != "[" or not _FLOW.fullmatch(text):
        return None
    tags = []
    for match in _FLOW_ITEM.finditer(text, 1):
        tag = match.group()
        if tag[0] == '"' or tag[0] == "'":
            tag = tag[1:-1]
            if not tag.strip():
                return None
        elif tag in NULL_WORDS:
            return None
        tags.append(tag)
    if len(set(tags)) != len(tags):
        return None
    return tuple(sorted(tags))


def _quoted_forms(values: dict[str, str]) -> dict[str, str]:
    """Each value as written plain, double-quoted or single-quoted."""
    forms = {}
    for value in values:
        for written in (value, f'"{value}"', f"'{value}'"):
            forms[written] = value
    return forms


_ENUM_TABLES: dict[Kind, dict[str, dict[str, str]]] = {
    kind: {
        "status": _quoted_forms(STATUS_VALUES[kind]),
        "classification": _quoted_forms(CLASSIFICATION_VALUES),
        "determination": _quoted_forms(DETERMINATION_VALUES),
    }
    for kind in TOP_KEY
}

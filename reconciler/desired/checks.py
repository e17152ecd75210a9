"""Checks shared by the file validators, each adding a problem with its fix."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable

from reconciler.desired.nodes import Mapping, Node, Scalar, Sequence, describe
from reconciler.desired.problems import FileProblems

GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")


def did_you_mean(raw: str, choices: Iterable[str]) -> str:
    """ ": did you mean 'x'?" when a choice is close to `raw` (any casing), else ""."""
    options = sorted(choices)
    folded = {option.casefold(): option for option in options}
    match = folded.get(raw.casefold())
    if match is None:
        close = difflib.get_close_matches(raw, options, n=1, cutoff=0.6)
        match = close[0] if close else None
    return f": did you mean '{match}'?" if match else ""


def choices(raw: str, allowed: Collection[str]) -> str:
    """The tail of a message about a bad choice: a suggestion, then what is allowed."""
    return f"{did_you_mean(raw, allowed)} (allowed: {', '.join(sorted(allowed))})"


def unknown_key(
    problems: FileProblems, key: Scalar, where: str, allowed: Collection[str]
) -> None:
    problems.add(
        key.line,
        key.column,
        f"unknown key '{key.value}' in {where}{choices(key.value, allowed)}",
    )


def wrong_type(problems: FileProblems, node: Node, what: str, expected: str) -> None:
    problems.add(
        node.line, node.column, f"{what} must be {expected}, not {describe(node)}"
    )


def text(problems: FileProblems, node: Node | None, what: str) -> Scalar | None:
    """The node if it is non-empty text; otherwise records why not."""
    if node is None:
        return None
    if not isinstance(node, Scalar) or node.is_null():
        wrong_type(problems, node, what, "text")
        return None
    if not node.value.strip():
        problems.add(node.line, node.column, f"{what} must not be empty")
        return None
    return node


def mapping(problems: FileProblems, node: Node | None, what: str) -> Mapping | None:
    if node is None:
        return None
    if not isinstance(node, Mapping):
        wrong_type(problems, node, what, "a mapping")
        return None
    return node


def text_list(
    problems: FileProblems, node: Node | None, what: str
) -> list[Scalar] | None:
    """The items of a list of non-empty text; None after recording any problem."""
    if node is None:
        return None
    if not isinstance(node, Sequence):
        wrong_type(problems, node, what, "a list")
        return None
    items: list[Scalar] = []
    clean = True
    for item in node.items:
        checked = text(problems, item, f"each entry of {what}")
        if checked is None:
            clean = False
        else:
            items.append(checked)
    return items if clean else None


def guid(problems: FileProblems, node: Node | None, what: str) -> str | None:
    """A GUID in lower case, as Entra writes tenant and client ids."""
    scalar = text(problems, node, what)
    if scalar is None:
        return None
    if not GUID.fullmatch(scalar.value):
        problems.add(
            scalar.line,
            scalar.column,
            f"{what} '{scalar.value}' is not a GUID; copy it from the Entra admin "
            "center, written as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        )
        return None
    return scalar.value.lower()


def whole_number(
    problems: FileProblems, node: Node | None, what: str, low: int, high: int
) -> int | None:
    scalar = text(problems, node, what)
    if scalar is None:
        return None
    if not (scalar.plain and scalar.value.isascii() and scalar.value.isdigit()):
        problems.add(
            scalar.line,
            scalar.column,
            f"{what} must be a whole number, not '{scalar.value}'",
        )
        return None
    number = int(scalar.value)
    if not low <= number <= high:
        problems.add(
            scalar.line,
            scalar.column,
            f"{what} must be between {low} and {high}, not {number}",
        )
        return None
    return number

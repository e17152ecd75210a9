"""A YAML document as read: strings as written, with positions, nothing resolved.

Both readers (the libyaml event walker and the fast line reader) produce these,
so the validators see one shape whichever read the file. A `None` where a node
would be marks something the reader already reported (an alias, a nested
collection used as a key); validators skip it without a second message.
"""

from __future__ import annotations

from dataclasses import dataclass

# Plain scalars YAML 1.1 reads as null; quoted ones are always text.
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(slots=True)
class Scalar:
    value: str
    plain: bool
    line: int
    column: int

    def is_null(self) -> bool:
        return self.plain and self.value in NULL_WORDS


@dataclass(slots=True)
class Sequence:
    items: list[Node | None]
    line: int
    column: int


@dataclass(slots=True)
class Mapping:
    # key text -> (key, value); the first of duplicate keys is kept.
    entries: dict[str, tuple[Scalar, Node | None]]
    line: int
    column: int


Node = Scalar | Sequence | Mapping


def describe(node: Node) -> str:
    """What a node is, for messages: 'a list', 'a mapping', 'text' or 'null'."""
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    return "null" if node.is_null() else "text"

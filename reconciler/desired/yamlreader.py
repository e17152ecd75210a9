"""The strict YAML reader: walks parser events into nodes, refusing what hides meaning.

Building the tree from events ourselves (instead of PyYAML's constructor) keeps
every scalar as the string it was written as (`no` stays "no", `0x1A` stays
"0x1A"), keeps positions, and lets us refuse duplicate keys at every level,
anchors and aliases (so no "billion laughs" expansion), tags, nested collections
as keys, several documents in one file, and nesting deeper than any state file
needs. libyaml's parser is used when PyYAML was built with it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml import events

from reconciler.desired.nodes import Mapping, Node, Scalar, Sequence
from reconciler.desired.problems import FileProblems

# The deepest state file needs 4 levels (incidents > id > tags > tag).
MAX_DEPTH = 8

# What YAML 1.1 calls printable; anything else makes the parser stop.
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

_CParser: Any
try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None


class _PythonParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def parse(text: str, problems: FileProblems) -> Node | None:
    """The document's root node; None if it is empty or could not be read.

    Problems found on the way are added to `problems`; after a syntax error the
    nodes read so far are dropped, as positions after it are not trustworthy.
    """
    parser: Any = _CParser(text) if _CParser is not None else _PythonParser(text)
    walker = _Walker(problems)
    try:
        while (event := parser.get_event()) is not None:
            if walker.feed(event):
                break
    except yaml.MarkedYAMLError as error:
        _report_syntax_error(error, problems)
        return None
    except yaml.reader.ReaderError:
        _report_unprintable(text, problems)
        return None
    except yaml.YAMLError as error:
        problems.add(1, 1, f"YAML syntax error: {error}")
        return None
    finally:
        if _CParser is not None:
            parser.dispose()
    return walker.root


def _report_syntax_error(error: yaml.MarkedYAMLError, problems: FileProblems) -> None:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = error.problem or "invalid YAML"
    context = error.context_mark
    if error.context and context is not None:
        start = (context.line + 1, context.column + 1)
        if start == (line, column):
            what += f" ({error.context})"
        else:
            what += f" ({error.context} started at line {start[0]}, column {start[1]})"
    problems.add(
        line, column, f"YAML syntax error: {what}; check quoting and indentation here"
    )


def _report_unprintable(text: str, problems: FileProblems) -> None:
    found = _UNPRINTABLE.search(text)
    if found is None:
        problems.add(1, 1, "the file holds characters YAML does not allow; remove them")
        return
    offset = found.start()
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    problems.add(
        line,
        column,
        f"control character U+{ord(found.group()):04X} is not allowed in YAML; "
        "remove it",
    )


class _Walker:
    """Builds nodes from a stream of events."""

    def __init__(self, problems: FileProblems) -> None:
        self.problems = problems
        self.root: Node | None = None
        self.stack: list[_Frame] = []
        self.documents = 0
        # Collections opened below MAX_DEPTH, counted but not built.
        self.skipping = 0

    def feed(self, event: events.Event) -> bool:
        """Take one event; True when the rest of the stream must be ignored."""
        if isinstance(event, events.ScalarEvent):
            if not self.skipping:
                self.add(self.scalar(event))
        elif isinstance(event, events.CollectionStartEvent):
            self.open(event)
        elif isinstance(event, events.CollectionEndEvent):
            self.close()
        elif isinstance(event, events.AliasEvent):
            self.reject(
                event,
                f"aliases (*{event.anchor}) are not allowed; "
                "write the value out in full",
            )
        elif isinstance(event, events.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.reject(
                    event,
                    "only one YAML document per file is allowed; "
                    "remove the '---' and what follows",
                )
                return True
        return False

    def scalar(self, event: events.ScalarEvent) -> Scalar | None:
        if not self.accepted(event):
            return None
        line, column = _position(event)
        return Scalar(event.value, not event.style, line, column)

    def open(self, event: events.CollectionStartEvent) -> None:
        if self.skipping:
            self.skipping += 1
            return
        if len(self.stack) >= MAX_DEPTH:
            self.reject(
                event,
                f"nesting deeper than {MAX_DEPTH} levels; "
                "no state file needs this much",
            )
            self.skipping = 1
            return
        line, column = _position(event)
        node: Mapping | Sequence
        if isinstance(event, events.MappingStartEvent):
            node = Mapping({}, line, column)
        else:
            node = Sequence([], line, column)
        self.stack.append(_Frame(node if self.accepted(event) else None, node))

    def close(self) -> None:
        if self.skipping:
            self.skipping -= 1
            if not self.skipping:
                self.add(None)
            return
        frame = self.stack.pop()
        self.add(frame.result)

    def add(self, node: Node | None) -> None:
        if not self.stack:
            self.root = node
            return
        self.stack[-1].add(node, self.problems)

    def accepted(self, event: events.NodeEvent) -> bool:
        """Anchors and tags are refused: they change what a value means."""
        if event.anchor is not None:
            self.reject(
                event,
                f"anchors (&{event.anchor}) are not allowed; "
                "write each value out in full",
            )
            return False
        tag = getattr(event, "tag", None)
        if tag is not None:
            self.reject(
                event,
                f"tags ({tag}) are not allowed; remove it and write the plain value",
            )
            return False
        return True

    def reject(self, event: events.Event, message: str) -> None:
        self.problems.add(*_position(event), message)
        if isinstance(event, events.AliasEvent) and not self.skipping:
            self.add(None)


def _position(event: events.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


class _Frame:
    """A collection being filled; `result` is None when it was refused."""

    __slots__ = ("node", "pending_key", "result", "skip_value")

    def __init__(
        self, result: Mapping | Sequence | None, node: Mapping | Sequence
    ) -> None:
        self.result = result
        self.node = node
        self.pending_key: Scalar | None = None
        self.skip_value = False

    def add(self, node: Node | None, problems: FileProblems) -> None:
        if isinstance(self.node, Sequence):
            self.node.items.append(node)
            return
        if self.skip_value:
            self.skip_value = False
            return
        if self.pending_key is None:
            self.take_key(node, problems)
            return
        key, self.pending_key = self.pending_key, None
        self.node.entries[key.value] = (key, node)

    def take_key(self, node: Node | None, problems: FileProblems) -> None:
        self.skip_value = True
        if node is None:
            return
        if not isinstance(node, Scalar):
            problems.add(
                node.line,
                node.column,
                "a key must be plain text, not a list or mapping",
            )
            return
        earlier = (
            self.node.entries.get(node.value)
            if isinstance(self.node, Mapping)
            else None
        )
        if earlier is not None:
            first = earlier[0]
            problems.add(
                node.line,
                node.column,
                f"duplicate key '{node.value}' (first at line {first.line}, "
                f"column {first.column}); keep only one",
            )
            return
        self.skip_value = False
        self.pending_key = node

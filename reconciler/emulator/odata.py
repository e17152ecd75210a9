"""OData query options for the two collections: $filter, $top, $skip, $count, $expand.

Only what graph-api.md section 2 documents is accepted; anything else is a 400, so
a client cannot come to depend on something the service may not do.
- $filter: the documented filterable properties; eq and ne on strings and enums,
  eq/ne/ge/gt/le/lt on DateTimeOffset; `and`, `or`, parentheses; quoted strings
  ('' escapes a quote), `null`, unquoted DateTimeOffset literals. Enum literals
  match members case-insensitively; string comparison is exact, as in OData.
- $top is a page size: incidents allow at most 50 (the documented error); alerts_v2
  allow at most 100 (UNCONFIRMED: the docs' own example uses $top=100).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import parse_qsl, quote

from reconciler.emulator import enums
from reconciler.emulator.store import Kind
from reconciler.emulator.timestamps import to_ticks

DEFAULT_PAGE_SIZE = 50
MAX_TOP: dict[Kind, int] = {"incident": 50, "alert": 100}
ENTITY_TYPE: dict[Kind, str] = {
    "incident": "microsoft.graph.security.incident",
    "alert": "microsoft.graph.security.alert",
}

_DATETIME = frozenset({"createdDateTime", "lastUpdateDateTime"})
_FILTERABLE: dict[Kind, dict[str, tuple[str, ...] | None]] = {
    "incident": {
        "assignedTo": None,
        "classification": enums.CLASSIFICATION,
        "createdDateTime": None,
        "determination": enums.DETERMINATION,
        "lastUpdateDateTime": None,
        "severity": enums.SEVERITY,
        "status": enums.INCIDENT_STATUS,
    },
    "alert": {
        "assignedTo": None,
        "classification": enums.CLASSIFICATION,
        "determination": enums.DETERMINATION,
        "createdDateTime": None,
        "lastUpdateDateTime": None,
        "severity": enums.SEVERITY,
        "serviceSource": enums.SERVICE_SOURCE,
        "status": enums.ALERT_STATUS,
    },
}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "ge": lambda a, b: a is not None and a >= b,
    "gt": lambda a, b: a is not None and a > b,
    "le": lambda a, b: a is not None and a <= b,
    "lt": lambda a, b: a is not None and a < b,
}
_TOKEN = re.compile(r"\s*(?:(\()|(\))|('(?:[^']|'')*')|([^\s()']+))")

Predicate = Callable[[Mapping[str, Any]], bool]


class ODataError(Exception):
    """A query the service refuses with 400; the message is Graph's."""


@dataclass(frozen=True)
class Query:
    filter: Predicate | None
    top: int | None
    skip: int
    count: bool
    expand_alerts: bool
    # The options as the client sent them, carried into @odata.nextLink.
    options: tuple[tuple[str, str], ...]

    def page_size(self) -> int:
        return self.top if self.top is not None else DEFAULT_PAGE_SIZE

    def next_query(self) -> str:
        """The query string of the page after this one."""
        options = [(k, v) for k, v in self.options if k != "$skip"]
        options.append(("$skip", str(self.skip + self.page_size())))
        return "&".join(f"{k}={quote(v, safe=_SAFE)}" for k, v in options)


_SAFE = "'():,$-."


def parse_query(query_string: str, kind: Kind, *, listing: bool) -> Query:
    """Read the options of a list (or single-item) request; ODataError if refused."""
    options = tuple(parse_qsl(query_string, keep_blank_values=True))
    values: dict[str, str] = {}
    for name, value in options:
        if not name.startswith("$"):
            continue
        if name in values:
            raise ODataError(
                f"Query option '{name}' was specified more than once, "
                "but it must be specified at most once."
            )
        values[name] = value
    allowed = {"$expand"} if not listing else _allowed(kind)
    for name in values:
        if name not in allowed:
            raise ODataError(f"Query option '{name}' is not allowed.")

    expand = values.get("$expand")
    if expand is not None and (kind != "incident" or expand != "alerts"):
        raise ODataError(
            f"Could not find a property named '{expand}' on type '{ENTITY_TYPE[kind]}'."
        )
    return Query(
        filter=parse_filter(values["$filter"], kind) if "$filter" in values else None,
        top=_top(values.get("$top"), kind),
        skip=_non_negative("$skip", values.get("$skip")) or 0,
        count=_count(values.get("$count")),
        expand_alerts=expand is not None,
        options=options,
    )


def parse_filter(text: str, kind: Kind) -> Predicate:
    parser = _FilterParser(text, kind)
    predicate = parser.expression()
    parser.expect_end()
    return predicate


def _allowed(kind: Kind) -> set[str]:
    allowed = {"$filter", "$top", "$skip", "$count"}
    if kind == "incident":
        allowed.add("$expand")
    return allowed


def _non_negative(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ODataError(
            f"Invalid value '{raw}' for {name} query option found. The {name} "
            "query option requires a non-negative integer value."
        )
    return int(raw)


def _top(raw: str | None, kind: Kind) -> int | None:
    top = _non_negative("$top", raw)
    if top is not None and top > MAX_TOP[kind]:
        raise ODataError(
            "The query specified in the URI is not valid. The limit of "
            f"'{MAX_TOP[kind]}' for Top query has been exceeded. The value from "
            f"the incoming request is '{top}'."
        )
    if top == 0:
        return None
    return top


def _count(raw: str | None) -> bool:
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise ODataError(
        f"Invalid value '{raw}' for $count query option found. Valid values are "
        "'true', 'false'."
    )


class _FilterParser:
    """Recursive descent: or-expression of and-expressions of comparisons."""

    def __init__(self, text: str, kind: Kind) -> None:
        self._text = text
        self._kind = kind
        self._tokens: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip():
                    self._fail(position)
                break
            group = match.lastindex or 0
            token_kind = ("", "(", ")", "string", "word")[group]
            self._tokens.append((token_kind, match.group(group), match.start(group)))
            position = match.end()
        self._index = 0

    def expression(self) -> Predicate:
        terms = [self._conjunction()]
        while self._accept_word("or"):
            terms.append(self._conjunction())
        if len(terms) == 1:
            return terms[0]
        return lambda item: any(term(item) for term in terms)

    def expect_end(self) -> None:
        if self._index < len(self._tokens):
            self._fail(self._tokens[self._index][2])

    def _conjunction(self) -> Predicate:
        factors = [self._factor()]
        while self._accept_word("and"):
            factors.append(self._factor())
        if len(factors) == 1:
            return factors[0]
        return lambda item: all(factor(item) for factor in factors)

    def _factor(self) -> Predicate:
        kind, _, position = self._next()
        if kind == "(":
            inner = self.expression()
            if self._next()[0] != ")":
                self._fail(position)
            return inner
        self._index -= 1
        return self._comparison()

    def _comparison(self) -> Predicate:
        kind, name, position = self._next()
        if kind != "word":
            self._fail(position)
        if self._index < len(self._tokens) and self._tokens[self._index][0] == "(":
            raise ODataError(
                f"Invalid filter clause: the function '{name}' is not supported; "
                "compare properties with eq, ne, ge, gt, le or lt."
            )
        properties = _FILTERABLE[self._kind]
        if name not in properties:
            raise ODataError(
                f"Invalid filter clause: Could not find a filterable property "
                f"named '{name}' on type '{ENTITY_TYPE[self._kind]}'."
            )
        op_kind, operator, op_position = self._next()
        if op_kind != "word" or operator not in _OPERATORS:
            self._fail(op_position)
        literal = self._next()
        value = self._literal(name, properties[name], operator, literal)
        compare = _OPERATORS[operator]
        if name in _DATETIME:
            return lambda item: compare(to_ticks(item.get(name) or ""), value)
        return lambda item: compare(item.get(name), value)

    def _literal(
        self,
        name: str,
        members: tuple[str, ...] | None,
        operator: str,
        token: tuple[str, str, int],
    ) -> Any:
        kind, text, position = token
        if kind == "word" and text == "null":
            if operator not in ("eq", "ne"):
                self._incompatible(name, operator, "null")
            return None
        if name in _DATETIME:
            ticks = to_ticks(text) if kind == "word" else None
            if ticks is None:
                self._incompatible(name, operator, text)
            return ticks
        if kind != "string":
            self._fail(position)
        if operator not in ("eq", "ne"):
            self._incompatible(name, operator, text)
        value = text[1:-1].replace("''", "'")
        if members is None:
            return value
        member = enums.canonical(members, value)
        if member is None:
            raise ODataError(
                f"Invalid filter clause: The string '{value}' is not a valid "
                f"enumeration type constant for property '{name}'."
            )
        return member

    def _next(self) -> tuple[str, str, int]:
        if self._index >= len(self._tokens):
            self._fail(len(self._text))
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _accept_word(self, word: str) -> bool:
        if self._index < len(self._tokens) and self._tokens[self._index][1] == word:
            self._index += 1
            return True
        return False

    def _incompatible(self, name: str, operator: str, literal: str) -> NoReturn:
        raise ODataError(
            f"Invalid filter clause: operator '{operator}' cannot compare property "
            f"'{name}' with {literal}."
        )

    def _fail(self, position: int) -> NoReturn:
        raise ODataError(
            f"Invalid filter clause: Syntax error at position {position} in "
            f"'{self._text}'."
        )

"""The fast path accepts only what the strict path builds, exactly as it builds it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.fastpath import read_items
from reconciler.desired.items import AssigneeRule, validate_items
from reconciler.desired.models import AssigneePolicy, Kind
from reconciler.desired.problems import FileProblems
from reconciler.desired.yamlreader import parse

RULE = AssigneeRule(AssigneePolicy(domains=("contoso.com",)), "contoso", "t.yaml")


def strict(text: str, kind: Kind, rule: AssigneeRule | None) -> tuple[object, list]:  # type: ignore[type-arg]
    problems = FileProblems("f.yaml")
    records = validate_items(parse(text, problems), kind, rule, problems)
    return records, problems.report()


CANONICAL = """\
# yaml-language-server: $schema=../../schemas/incidents.schema.json
incidents:
  "2972395":
    assignee: kai@contoso.com   # on call this week
    status: active
    classification: truePositive
    determination: multiStagedAttack
    tags: [ransomware, "needs review", 'escalated']

  2972401:
    assignee: ~
    status: 'resolved'
    classification: "falsePositive"
    determination: other
    tags: []
  '2972415':
    assignee: null
"""


def test_a_canonical_file_takes_the_fast_path_and_matches_the_strict_one() -> None:
    fast = read_items(CANONICAL, "incident", RULE)

    assert fast is not None
    assert (fast, []) == strict(CANONICAL, "incident", RULE)
    assert fast[0] == (
        "2972395",
        3,
        3,
        {
            "assignedTo": "kai@contoso.com",
            "status": "active",
            "classification": "truePositive",
            "determination": "multiStagedAttack",
            "customTags": ("escalated", "needs review", "ransomware"),
        },
    )


def test_anything_unusual_or_wrong_is_left_to_the_strict_path() -> None:
    unusual = [
        CANONICAL.replace("status: active", "status: actve"),
        CANONICAL.replace("kai@contoso.com", "kai@fabrikam.com"),
        CANONICAL.replace("    status: active", "    status: active\n    status: new"),
        CANONICAL.replace("tags: []", "tags:\n      - a"),
        CANONICAL.replace("# on call", "# auf Bereitschaft, Woche 3 – ok"),
        CANONICAL.replace("    status: 'resolved'", "      status: 'resolved'"),
        CANONICAL.replace('"2972395"', '"29 72395"'),
        CANONICAL + "---\n",
        CANONICAL.replace("incidents:", "incidents: &all"),
    ]

    for text in unusual:
        assert read_items(text, "incident", RULE) is None


GOOD_VALUES = {
    "assignee": ["kai@contoso.com", "'kai@contoso.com'", "~", "null", "Null"],
    "status": ["active", "inProgress", "resolved", "new", '"resolved"'],
    "classification": ["truePositive", "falsePositive", "unknown", "'truePositive'"],
    "determination": ["malware", "other", "notMalicious", "unknown"],
    "tags": ["[]", "[a, b]", "['x y', \"z\"]", "[ vip ]", "[a,b]"],
}
ODD_VALUES = [
    "redirected",
    "apt",
    "kai@fabrikam.com",
    "yes",
    "0x1A",
    "''",
    '""',
    "' a'",
    "[a, a]",
    "[ ~ ]",
    "[a, [b]]",
    "{a: b}",
    "a b",
    "a # c",
    "a#c",
    "&x a",
    "*x",
    "'it''s'",
    '"a\\tb"',
    "|",
    "",
]


def rarely(draw: st.DrawFn) -> bool:
    return draw(st.integers(0, 9)) == 0


@st.composite
def item_files(draw: st.DrawFn) -> tuple[str, Kind]:
    """Canonical valid item files; one in three with one deviation."""
    kind: Kind = draw(st.sampled_from(["incident", "alert"]))
    item_indent = draw(st.sampled_from([1, 2, 4]))
    field_indent = item_indent + draw(st.sampled_from([1, 2, 3]))
    lines = [draw(st.sampled_from(["# state", ""])), f"{kind}s:"]
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=4, unique=True))
    for item_id in ids:
        lines.append(" " * item_indent + f"{item_id}:")
        for name, value in draw(fields(kind)):
            comment = draw(st.sampled_from(["", "", "  # note", " #x"]))
            lines.append(" " * field_indent + f"{name}: {value}" + comment)
    if draw(st.integers(0, 2)) == 0:
        lines = draw(deviations(lines))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"])), kind


@st.composite
def deviations(draw: st.DrawFn, lines: list[str]) -> list[str]:
    where = draw(st.integers(1, len(lines) - 1))
    line = lines[where]
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    deviation = draw(st.sampled_from(["value", "indent", "insert", "key", "top"]))
    if deviation == "value":
        key = body.split(":")[0]
        line = " " * indent + f"{key}: {draw(st.sampled_from(ODD_VALUES))}"
    elif deviation == "indent":
        line = " " * max(0, indent + draw(st.sampled_from([1, -1]))) + body
    elif deviation == "key":
        key = draw(st.sampled_from(['"4 5"', "6/7", "-8", "1", "severity", "tags"]))
        line = " " * indent + key + ":" + body.partition(":")[2]
    elif deviation == "top":
        where, line = 1, draw(st.sampled_from(["x:", "alerts:", "incidents: {}"]))
    else:
        odd = draw(
            st.sampled_from(["", "   ", "  # c", "\t", "---", "  - a", "\ta: b"])
        )
        return [*lines[:where], odd, *lines[where:]]
    return [*lines[:where], line, *lines[where + 1 :]]


IDS = ["1", '"2"', "'3'", "a_b-4", "5.0", "da637551227677560813_-961444813"]
PAIRS = [
    ("truePositive", "malware"),
    ("'falsePositive'", "notMalicious"),
    ("unknown", '"other"'),
    ("informationalExpectedActivity", "securityTesting"),
]


@st.composite
def fields(draw: st.DrawFn, kind: Kind) -> list[tuple[str, str]]:
    allowed = [name for name in GOOD_VALUES if kind == "incident" or name != "tags"]
    names = draw(st.lists(st.sampled_from(allowed), min_size=1, unique=True))
    chosen = [
        (name, draw(st.sampled_from(GOOD_VALUES[name])))
        for name in names
        if name not in ("classification", "determination")
    ]
    if "determination" in names:
        classification, determination = draw(st.sampled_from(PAIRS))
        chosen += [("classification", classification), ("determination", determination)]
    elif "classification" in names:
        chosen.append(("classification", draw(st.sampled_from(PAIRS))[0]))
    return draw(st.permutations(chosen))


@settings(max_examples=200, deadline=None)
@given(item_files(), st.sampled_from([None, RULE]))
def test_whatever_the_fast_path_accepts_the_strict_path_builds_the_same(
    case: tuple[str, Kind], rule: AssigneeRule | None
) -> None:
    text, kind = case

    fast = read_items(text, kind, rule)

    if fast is not None:
        assert strict(text, kind, rule) == (fast, [])

"""The strict YAML reader: what careless parsers accept is refused, with its place."""

from __future__ import annotations

import resource

import pytest
from desired_repo import CONTOSO_TENANT, Repository

from reconciler.desired.nodes import Mapping, Scalar, Sequence
from reconciler.desired.problems import FileProblems
from reconciler.desired.sources import MAX_FILE_BYTES
from reconciler.desired.yamlreader import parse

INCIDENTS = "state/contoso/incidents.yaml"


def read(text: str) -> tuple[object, list[str]]:
    problems = FileProblems("f.yaml")
    return parse(text, problems), [str(problem) for problem in problems.report()]


def test_scalars_are_kept_as_the_strings_they_are_written_as() -> None:
    root, problems = read("2972395:\n  tags: [no, on, 0x1A, 1e3]\n  assignee: yes\n")

    assert problems == []
    assert isinstance(root, Mapping)
    key, item = root.entries["2972395"]
    assert key == Scalar("2972395", True, 1, 1)
    assert isinstance(item, Mapping)
    tags = item.entries["tags"][1]
    assert isinstance(tags, Sequence)
    assert [tag.value for tag in tags.items if isinstance(tag, Scalar)] == [
        "no",
        "on",
        "0x1A",
        "1e3",
    ]
    assert item.entries["assignee"][1] == Scalar("yes", True, 3, 13)


def test_duplicate_keys_are_refused_with_both_positions() -> None:
    _, problems = read("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")

    assert problems == [
        "f.yaml:4:3: error: duplicate key 'c' (first at line 3, column 3); "
        "keep only one",
        "f.yaml:5:1: error: duplicate key 'a' (first at line 1, column 1); "
        "keep only one",
    ]


def test_quoted_and_plain_spellings_of_a_key_are_the_same_key() -> None:
    _, problems = read("\"418\": 1\n418: 2\n'418': 3\n")

    assert problems == [
        "f.yaml:2:1: error: duplicate key '418' (first at line 1, column 1); "
        "keep only one",
        "f.yaml:3:1: error: duplicate key '418' (first at line 1, column 1); "
        "keep only one",
    ]


def test_anchors_and_aliases_are_refused() -> None:
    _, problems = read("a: &x [1]\nb: *x\n")

    assert problems == [
        "f.yaml:1:4: error: anchors (&x) are not allowed; write each value out in full",
        "f.yaml:2:4: error: aliases (*x) are not allowed; write the value out in full",
    ]


def test_a_billion_laughs_file_is_refused_quickly_and_small() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join([f'*{previous}'] * 9)}]")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    _, problems = read("\n".join(lines) + "\n")

    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 4096
    # 9 anchors and 72 aliases, each refused where it is written.
    assert len(problems) == 81
    assert problems[0] == (
        "f.yaml:1:4: error: anchors (&a) are not allowed; write each value out in full"
    )
    assert problems[2] == (
        "f.yaml:2:8: error: aliases (*a) are not allowed; write the value out in full"
    )


def test_a_flood_of_problems_is_cut_short_with_a_count() -> None:
    _, problems = read("a: [" + ", ".join(["*x"] * 150) + "]\n")

    assert len(problems) == 101
    assert problems[-1] == (
        "f.yaml:1:401: error: 50 more problems in this file not shown "
        "(at most 100 per file); fix these and run again"
    )


def test_tags_are_refused() -> None:
    _, problems = read("a: !!python/object:os.system echo\nb: !custom x\n")

    assert problems == [
        "f.yaml:1:4: error: tags (tag:yaml.org,2002:python/object:os.system) are "
        "not allowed; remove it and write the plain value",
        "f.yaml:2:4: error: tags (!custom) are not allowed; "
        "remove it and write the plain value",
    ]


def test_a_second_document_is_refused() -> None:
    _, problems = read("a: 1\n---\nb: 2\n")

    assert problems == [
        "f.yaml:2:1: error: only one YAML document per file is allowed; "
        "remove the '---' and what follows"
    ]


def test_nesting_deeper_than_the_bound_is_refused_once() -> None:
    _, problems = read("a: " + "[" * 50 + "]" * 50 + "\n")

    assert problems == [
        "f.yaml:1:11: error: nesting deeper than 8 levels; "
        "no state file needs this much"
    ]


def test_a_collection_used_as_a_key_is_refused() -> None:
    _, problems = read("? [a, b]\n: 1\n")

    assert problems == [
        "f.yaml:1:3: error: a key must be plain text, not a list or mapping"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'incidents:\n  "1": [a\n',
            "f.yaml:3:1: error: YAML syntax error: did not find expected ',' or ']' "
            "(while parsing a flow sequence started at line 2, column 8); "
            "check quoting and indentation here",
            id="unclosed-flow-list",
        ),
        pytest.param(
            "a: b\n c: d\n",
            "f.yaml:2:3: error: YAML syntax error: mapping values are not allowed "
            "in this context; check quoting and indentation here",
            id="bad-indentation",
        ),
        pytest.param(
            "a: b\n  \x07\n",
            "f.yaml:2:3: error: control character U+0007 is not allowed in YAML; "
            "remove it",
            id="control-character",
        ),
    ],
)
def test_syntax_errors_name_their_position(text: str, expected: str) -> None:
    root, problems = read(text)

    assert root is None
    assert problems == [expected]


def test_problems_never_carry_control_characters_to_the_terminal() -> None:
    _, problems = read('"\\e[31mred": 1\n"\\e[31mred": 2\n')

    assert problems == [
        "f.yaml:2:1: error: duplicate key '\\x1b[31mred' (first at line 1, column 1); "
        "keep only one"
    ]


def test_an_empty_document_reads_as_nothing() -> None:
    assert read("") == (None, [])
    assert read("# only a comment\n") == (None, [])


def test_a_file_over_the_size_bound_is_refused_without_reading_it(
    repo: Repository,
) -> None:
    repo.write(INCIDENTS, b"#" * (MAX_FILE_BYTES + 1))

    assert repo.problems() == [
        f"{INCIDENTS}:1:1: error: the file is 4,194,305 bytes, over the limit of "
        "4,194,304 bytes (4 MiB) for one state file; declare fewer items in it"
    ]


def test_non_utf8_bytes_are_refused_at_the_first_bad_byte(repo: Repository) -> None:
    # The column counts characters: the two-byte 'é' before the bad byte is one.
    repo.write(INCIDENTS, b'incidents:\n  "1":\n    status: \xc3\xa9\xff\n')

    assert repo.problems() == [
        f"{INCIDENTS}:3:14: error: the file is not valid UTF-8 (byte 0xff here); "
        "save it with UTF-8 encoding"
    ]


def test_tabs_used_for_indentation_are_refused_on_every_line(repo: Repository) -> None:
    repo.write(
        INCIDENTS,
        'incidents:\n\t"1":\n  \t  status: active\n  "2":\n    status:\tactive\n',
    )

    assert repo.problems() == [
        f"{INCIDENTS}:2:1: error: a tab is used for indentation; "
        "YAML indents with spaces only",
        f"{INCIDENTS}:3:3: error: a tab is used for indentation; "
        "YAML indents with spaces only",
    ]


def test_a_utf8_byte_order_mark_is_accepted(repo: Repository) -> None:
    repo.write("state/contoso/tenant.yaml", "\ufeff" + CONTOSO_TENANT)

    assert repo.load().tenants["contoso"].spec.display_name == "Contoso"


def test_a_language_server_schema_comment_is_just_a_comment(repo: Repository) -> None:
    repo.write(
        INCIDENTS,
        "# yaml-language-server: $schema=../../schemas/incidents.schema.json\n"
        'incidents:\n  "1":\n    status: active\n',
    )

    assert list(repo.load().tenants["contoso"].incidents) == ["1"]


SAMPLES = [
    'incidents:\n  "1":\n    status: active\n    tags: [a, "b c", \'d\']\n',
    "a: 1\nb:\n  c: 1\n  c: 2\n",
    "a: &x [1]\nb: *x\n",
    "a: !!str 1\n",
    "a: " + "[" * 12 + "]" * 12 + "\n",
    "? [a]\n: 1\n",
    "a: 1\n---\nb: 2\n",
    "a:\n  - b\n  - c: d\n    e: |\n      text\n",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_pure_python_parser_reads_the_same_as_libyaml(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_libyaml = read(text)
    monkeypatch.setattr("reconciler.desired.yamlreader._CParser", None)

    assert read(text) == with_libyaml


def test_the_pure_python_parser_reports_syntax_errors_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("reconciler.desired.yamlreader._CParser", None)

    assert read("a: [b\n") == (
        None,
        [
            "f.yaml:2:1: error: YAML syntax error: expected ',' or ']', but got "
            "'<stream end>' (while parsing a flow sequence started at line 1, "
            "column 4); check quoting and indentation here"
        ],
    )

from __future__ import annotations

import re

import pytest
from render_samples import (
    CONTOSO_ID,
    change,
    demo_plan,
    demo_report,
    plan,
    tenant,
)

from reconciler.engine.plans import ItemChange, Plan
from reconciler.engine.results import ApplyReport, ItemOutcome, TenantResult
from reconciler.render import markdown

DEMO_PLAN_BODY = """\
| Tenant | Name | Tenant id | Incidents | Alerts | Notices | Requests |
| --- | --- | --- | --: | --: | --: | --: |
| contoso | `Contoso` | `5f1c2d3e-0000-4000-8000-000000000001` | 2 | 1 | 2 | 5 |
| fabrikam | `Fabrikam` | `7a2b9c4d-0000-4000-8000-000000000002` | 1 | 0 | 1 | 2 |
| northwind | `Northwind` | `1b2c3d4e-0000-4000-8000-000000000003` | 0 | 0 | 0 | 0 |

<details><summary>contoso: 3 changes, 2 notices</summary>

| Kind | Id | Field | Before | After |
| --- | --- | --- | --- | --- |
| incident | `2972395` | assignedTo | *(unassigned)* | `kai@contoso.com` |
| incident | `2972395` | customTags | `demo` | `escalated` `ransomware` |
| incident | `2972401` | status | `active` | `resolved` |
| incident | `2972401` | classification | `unknown` | `truePositive` |
| incident | `2972401` | determination | `unknown` | `multiStagedAttack` |
| alert | `da637551227677560813_-961444813` | status | `new` | `inProgress` |

**Notices**

| Kind | Id | Reason | Detail | Declared at |
| --- | --- | --- | --- | --- |
| incident | `2972415` | awaitingAction | `only Defender Experts may change it` | \
`state/contoso/incidents.yaml:19:3` |
| incident | `2972420` | redirected | \
`merged into incident 2972433; declare that incident instead` | \
`state/contoso/incidents.yaml:24:3` |

</details>

<details><summary>fabrikam: 1 change, 1 notice</summary>

| Kind | Id | Field | Before | After |
| --- | --- | --- | --- | --- |
| incident | `421` | customTags | *(none)* | `phishing` |

**Notices**

| Kind | Id | Reason | Detail | Declared at |
| --- | --- | --- | --- | --- |
| alert | `fa8e1d2c3b4a5f6e_1284307699` | unknown | \
`the read failed with HTTP 503 after 3 attempts` | `state/fabrikam/alerts.yaml:7:3` |

</details>
"""

DEMO_REPORT_MARKDOWN = """\
### Reconciler apply: 1 applied, 1 unchanged, 1 stale, 1 failed, 0 unknown

Plan `sha256:abababababababababababababababababababababababababababababababab`.

Not applied in 1 tenant: fabrikam. Fix the cause in its error, then apply the same \
plan again; what is already done is skipped.

1 item changed live since the plan was made and was not written: run `reconciler \
plan` again, review the new plan and apply it.

1 write failed: see the error of each.

| Tenant | Applied | Unchanged | Stale | Failed | Unknown | Skipped | Requests | Error |
| --- | --: | --: | --: | --: | --: | --: | --: | --- |
| contoso | 1 | 1 | 1 | 1 | 0 | 0 | 6 |  |
| fabrikam | 0 | 0 | 0 | 0 | 0 | 0 | 0 | \
`credential FABRIKAM_CLIENT_SECRET is not set` |

<details><summary>contoso: 2 items not done</summary>

| Kind | Id | Status | Fields | Detail |
| --- | --- | --- | --- | --- |
| incident | `2972401` | stale | `status` `classification` `determination` | \
`status changed live from active to inProgress` |
| alert | `da637551227677560813_-961444813` | failed | `status` | \
`HTTP 400 BadRequest: invalid status transition` |

</details>
"""

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
POINTER = "The full plan is in the JSON artifact (`reconciler plan --format json`).\n"


def many_changes(count: int, tags: list[str] | None = None) -> list[ItemChange]:
    return [
        change(
            "incident",
            str(1000 + number),
            f"state/contoso/incidents.yaml:{number + 2}:3",
            ("status", "active", "resolved"),
            ("customTags", [], tags or ["bulk"]),
        )
        for number in range(count)
    ]


def contoso_plan(changes: list[ItemChange]) -> Plan:
    return plan(tenant("contoso", CONTOSO_ID, "Contoso", changes))


def tables(document: str) -> list[list[str]]:
    """Each run of consecutive table lines."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in document.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def assert_well_formed(document: str) -> None:
    """Balanced <details>, tables whose rows all have the header's cell count."""
    assert document.count("<details>") == document.count("</details>")
    for table in tables(document):
        widths = {len(UNESCAPED_PIPE.findall(row)) for row in table}
        assert len(widths) == 1, table
        assert re.fullmatch(r"\|( -{2,}:? \|)+", table[1])


def test_plan_comment_has_totals_cost_overview_and_details_per_tenant() -> None:
    subject = demo_plan()

    assert markdown.render_plan(subject) == (
        "### Reconciler plan: 4 changes in 2 of 3 tenants (3 incidents, 1 alert); "
        "3 notices\n"
        "\n"
        "Apply cost: 7 requests, about 2 s at each tenant's quota, tenants in "
        "parallel.\n"
        "\n"
        f"<sub>Plan `{subject.content_hash}` made 2026-12-03 18:00:00 UTC, from "
        "commit `9f1e2d3c4b5a`, expires 2026-12-03 19:00:00 UTC.</sub>\n"
        "\n" + DEMO_PLAN_BODY
    )


def test_plan_comment_without_changes_says_live_matches() -> None:
    quiet = plan(tenant("contoso", CONTOSO_ID, "Contoso", []))

    rendered = markdown.render_plan(quiet)

    assert rendered.startswith(
        "### Reconciler plan: no changes\n\nLive state matches the declared state.\n"
    )
    assert "<details>" not in rendered


def test_user_data_cannot_break_the_table_or_inject_html() -> None:
    hostile = change(
        "incident",
        "7`|<b>",
        "state/contoso/incidents.yaml:2:3",
        ("customTags", ["<script>alert(1)</script>"], ["a|b", "`tick`", "@team"]),
        ("assignedTo", "x\ny@contoso.com", "kai@contoso.com"),
    )

    rendered = markdown.render_plan(contoso_plan([hostile]))

    assert_well_formed(rendered)
    assert (
        "| incident | ``7`\\|<b>`` | customTags | `<script>alert(1)</script>` | "
        "`a\\|b` `` `tick` `` `@team` |\n"
    ) in rendered
    assert (
        "| incident | ``7`\\|<b>`` | assignedTo | `x y@contoso.com` | "
        "`kai@contoso.com` |\n"
    ) in rendered


def test_display_names_are_escaped_in_the_overview() -> None:
    subject = plan(tenant("contoso", CONTOSO_ID, "Con|toso <Ltd>", many_changes(1)))

    rendered = markdown.render_plan(subject)

    assert_well_formed(rendered)
    assert "| contoso | `Con\\|toso <Ltd>` | " in rendered


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("plain", "`plain`", id="plain"),
        pytest.param("", "*(empty)*", id="empty"),
        pytest.param("`x`", "`` `x` ``", id="backticks-at-the-edges"),
        pytest.param(" x ", "`  x  `", id="spaces-at-both-ends"),
        pytest.param("   ", "`   `", id="only-spaces"),
        pytest.param("a\tb\r\nc\x00", "`a b c\ufffd`", id="controls"),
    ],
)
def test_values_become_exact_code_spans(value: str, expected: str) -> None:
    assert markdown._code(value) == expected


def test_a_long_plan_is_cut_at_the_limit_with_a_pointer_to_the_json() -> None:
    rendered = markdown.render_plan(contoso_plan(many_changes(3000)))

    assert len(rendered) <= markdown.GITHUB_COMMENT_LIMIT
    assert_well_formed(rendered)
    shown = rendered.count("| status |")
    assert 0 < shown < 3000
    assert rendered.endswith(
        "\n</details>\n\n"
        "> [!NOTE]\n"
        "> Cut to fit the 65,536-character comment limit: "
        f"{shown:,} of 3,000 planned items are shown. " + POINTER
    )


def test_the_cut_keeps_every_row_of_an_item_together() -> None:
    rendered = markdown.render_plan(contoso_plan(many_changes(3000)))

    assert rendered.count("| status |") == rendered.count("| customTags |")


def test_a_cut_inside_the_overview_still_gives_a_valid_comment() -> None:
    tenants = [
        tenant(f"tenant-{n:04d}", CONTOSO_ID, f"Tenant {n}", many_changes(1))
        for n in range(400)
    ]

    rendered = markdown.render_plan(plan(*tenants), max_chars=5000)

    assert len(rendered) <= 5000
    assert_well_formed(rendered)
    assert "<details>" not in rendered
    assert "of 400 planned items are shown" in rendered
    assert rendered.endswith(POINTER)


def test_an_item_larger_than_the_comment_is_left_out_cleanly() -> None:
    huge = many_changes(1, tags=[f"tag-{n}" for n in range(500)])

    rendered = markdown.render_plan(contoso_plan(huge), max_chars=2000)

    assert len(rendered) <= 2000
    assert_well_formed(rendered)
    assert "0 of 1 planned item are shown" in rendered


def test_a_limit_too_small_for_any_comment_is_refused() -> None:
    with pytest.raises(ValueError, match="max_chars must be at least 1200, got 100"):
        markdown.render_plan(demo_plan(), max_chars=100)


def test_apply_comment_has_counts_advice_and_unfinished_items() -> None:
    assert markdown.render_apply(demo_report()) == DEMO_REPORT_MARKDOWN


def test_a_long_apply_comment_is_cut_with_a_pointer() -> None:
    outcomes = [
        ItemOutcome(kind="incident", id=str(n), status="failed", detail="HTTP 500")
        for n in range(2000)
    ]
    report = ApplyReport(
        plan_hash="sha256:00",
        started_at=demo_report().started_at,
        finished_at=demo_report().finished_at,
        tenants=[TenantResult(slug="contoso", outcomes=outcomes)],
    )

    rendered = markdown.render_apply(report, max_chars=10_000)

    assert len(rendered) <= 10_000
    assert_well_formed(rendered)
    shown = rendered.count("| failed |")
    assert rendered.endswith(
        f"{shown:,} of 2,000 unfinished items are shown. "
        "The full report is in the output of `reconciler apply`.\n"
    )


def test_an_unreadable_tenant_gets_an_error_column_and_no_match_claim() -> None:
    unread = tenant("contoso", CONTOSO_ID, "Contoso", []).model_copy(
        update={"error": "sign-in failed: AADSTS7000215 invalid client secret"}
    )

    rendered = markdown.render_plan(plan(unread))

    assert rendered.startswith(
        "### Reconciler plan: no changes; 1 tenant could not be read\n\n"
        "Nothing to apply; 1 tenant could not be read (see below).\n"
    )
    assert rendered.endswith(
        "| Tenant | Name | Tenant id | Incidents | Alerts | Notices | Requests | "
        "Error |\n"
        "| --- | --- | --- | --: | --: | --: | --: | --- |\n"
        "| contoso | `Contoso` | `5f1c2d3e-0000-4000-8000-000000000001` | 0 | 0 | 0 "
        "| 0 | `sign-in failed: AADSTS7000215 invalid client secret` |\n"
    )

from __future__ import annotations

import pytest
from render_samples import (
    CONTOSO_ID,
    change,
    demo_plan,
    demo_report,
    plan,
    tenant,
)

from reconciler.engine.plans import ItemChange, Notice
from reconciler.engine.results import ApplyReport, ItemOutcome, TenantResult
from reconciler.render import text
from reconciler.render.summaries import approximate_duration

DEMO_PLAN_TEXT = """\
Tenant contoso (Contoso, 5f1c2d3e-0000-4000-8000-000000000001): 3 changes, 2 notices
  applying costs 5 requests, about 2 s at 150 requests/minute

  ~ incident 2972395  state/contoso/incidents.yaml:5:3
      assignedTo: (unassigned) -> kai@contoso.com
      customTags: +escalated +ransomware -demo

  ~ incident 2972401  state/contoso/incidents.yaml:11:3
      status: active -> resolved
      classification: unknown -> truePositive
      determination: unknown -> multiStagedAttack

  ~ alert da637551227677560813_-961444813  state/contoso/alerts.yaml:4:3
      status: new -> inProgress

  ! incident 2972415  state/contoso/incidents.yaml:19:3
      awaitingAction: only Defender Experts may change it

  ! incident 2972420  state/contoso/incidents.yaml:24:3
      redirected: merged into incident 2972433; declare that incident instead

Tenant fabrikam (Fabrikam, 7a2b9c4d-0000-4000-8000-000000000002): 1 change, 1 notice
  applying costs 2 requests, about 2 s at 60 requests/minute

  ~ incident 421  state/fabrikam/incidents.yaml:9:3
      customTags: +phishing

  ! alert fa8e1d2c3b4a5f6e_1284307699  state/fabrikam/alerts.yaml:7:3
      unknown: the read failed with HTTP 503 after 3 attempts

Plan: 4 changes in 2 of 3 tenants (3 incidents, 1 alert); 3 notices.
Apply cost: 7 requests, about 2 s at each tenant's quota, tenants in parallel.
"""

DEMO_REPORT_TEXT = """\
Tenant contoso: 1 applied, 1 unchanged, 1 stale, 1 failed (6 requests)
  stale incident 2972401: status changed live from active to inProgress
  failed alert da637551227677560813_-961444813: HTTP 400 BadRequest: invalid status \
transition
Tenant fabrikam: not applied: credential FABRIKAM_CLIENT_SECRET is not set

Apply complete: 1 applied, 1 unchanged, 1 stale, 1 failed, 0 unknown.
Not applied in 1 tenant: fabrikam. Fix the cause in its error, then apply the same \
plan again; what is already done is skipped.
1 item changed live since the plan was made and was not written: run `reconciler \
plan` again, review the new plan and apply it.
1 write failed: see the error of each.
"""


def contoso_with(*changes: ItemChange, notices: list[Notice] | None = None) -> str:
    only = tenant("contoso", CONTOSO_ID, "Contoso", list(changes), notices)
    return text.render_plan(plan(only), color=False)


def test_plan_shows_each_tenant_item_field_notice_and_the_totals() -> None:
    assert text.render_plan(demo_plan(), color=False) == DEMO_PLAN_TEXT


def test_plan_without_color_has_no_escape_codes() -> None:
    assert "\x1b" not in text.render_plan(demo_plan(), color=False)
    assert "\x1b" not in text.render_apply(demo_report(), color=False)
    assert "\x1b" not in text.render_refusal("refused", color=False)


def test_plan_with_color_marks_updates_and_tag_changes() -> None:
    rendered = text.render_plan(demo_plan(), color=True)

    assert "  \x1b[33m~\x1b[0m incident 2972395  " in rendered
    assert (
        "customTags: \x1b[32m+escalated\x1b[0m \x1b[32m+ransomware\x1b[0m "
        "\x1b[31m-demo\x1b[0m\n"
    ) in rendered
    assert "\x1b[1mPlan: 4 changes in 2 of 3 tenants" in rendered


def test_plan_without_changes_or_notices_says_live_matches() -> None:
    quiet = tenant("contoso", CONTOSO_ID, "Contoso", [])

    assert text.render_plan(plan(quiet), color=False) == (
        "No changes. Live state matches the declared state.\n"
    )


def test_plan_with_only_notices_lists_them_and_says_nothing_is_applied() -> None:
    notice = Notice(
        kind="incident",
        id="7",
        reason="unknown",
        detail="the list was incomplete",
        source="state/contoso/incidents.yaml:3:3",
    )

    assert contoso_with(notices=[notice]) == (
        "Tenant contoso (Contoso, 5f1c2d3e-0000-4000-8000-000000000001): 1 notice\n"
        "\n"
        "  ! incident 7  state/contoso/incidents.yaml:3:3\n"
        "      unknown: the list was incomplete\n"
        "\n"
        "No changes to apply. 1 declared item is not planned: see above.\n"
    )


def test_one_change_in_one_tenant_is_counted_in_the_singular_and_costed_once() -> None:
    rendered = contoso_with(
        change(
            "alert",
            "a1",
            "state/contoso/alerts.yaml:2:3",
            ("status", "new", "resolved"),
        )
    )

    assert rendered == (
        "Tenant contoso (Contoso, 5f1c2d3e-0000-4000-8000-000000000001): 1 change\n"
        "\n"
        "  ~ alert a1  state/contoso/alerts.yaml:2:3\n"
        "      status: new -> resolved\n"
        "\n"
        "Plan: 1 change in 1 tenant (0 incidents, 1 alert); 0 notices.\n"
        "Apply cost: 2 requests, about 1 s at 150 requests/minute per tenant.\n"
    )


def test_items_are_ordered_incidents_first_then_by_numeric_id() -> None:
    source = "state/contoso/incidents.yaml:2:3"
    status = ("status", "active", "resolved")
    rendered = contoso_with(
        change("alert", "a-2", source, status),
        change("incident", "10", source, status),
        change("incident", "x-1", source, status),
        change("incident", "9", source, status),
    )

    headings = [line.split("  ")[1] for line in rendered.splitlines() if "~" in line]
    assert headings == [
        "~ incident 9",
        "~ incident 10",
        "~ incident x-1",
        "~ alert a-2",
    ]


def test_unassigning_and_clearing_tags_are_spelled_out() -> None:
    rendered = contoso_with(
        change(
            "incident",
            "5",
            "state/contoso/incidents.yaml:2:3",
            ("assignedTo", "kai@contoso.com", None),
            ("customTags", ["a", "b"], []),
        )
    )

    assert "      assignedTo: kai@contoso.com -> (unassigned)\n" in rendered
    assert "      customTags: -a -b\n" in rendered


def test_values_with_spaces_or_nothing_are_quoted() -> None:
    rendered = contoso_with(
        change(
            "incident",
            "5",
            "state/contoso/incidents.yaml:2:3",
            ("customTags", [], ["needs review", 'say "hi"']),
            ("assignedTo", "", "kai@contoso.com"),
        )
    )

    assert '      customTags: +"needs review" +"say \\"hi\\""\n' in rendered
    assert '      assignedTo: "" -> kai@contoso.com\n' in rendered


def test_control_characters_in_live_values_are_shown_not_obeyed() -> None:
    rendered = contoso_with(
        change(
            "incident",
            "5\x1b[2J",
            "state/contoso/incidents.yaml:2:3",
            ("customTags", ["\x1b]0;pwned\x07"], ["ok\u202eevil"]),
        )
    )

    assert "\x1b" not in rendered
    assert "\u202e" not in rendered
    assert "  ~ incident 5\\x1b[2J  " in rendered
    assert "      customTags: +ok\\u202eevil -\\x1b]0;pwned\\x07\n" in rendered


def test_apply_report_lists_what_was_not_done_and_ends_with_the_counts() -> None:
    assert text.render_apply(demo_report(), color=False) == DEMO_REPORT_TEXT


def test_apply_report_counts_skipped_items_only_when_there_are_some() -> None:
    outcomes = [
        ItemOutcome(kind="incident", id="1", status="applied"),
        ItemOutcome(kind="incident", id="2", status="skipped"),
    ]
    report = ApplyReport(
        plan_hash="sha256:00",
        started_at=demo_report().started_at,
        finished_at=demo_report().finished_at,
        tenants=[TenantResult(slug="contoso", outcomes=outcomes, requests=2)],
    )

    assert text.render_apply(report, color=False) == (
        "Tenant contoso: 1 applied, 1 skipped (2 requests)\n"
        "\n"
        "Apply complete: 1 applied, 0 unchanged, 0 stale, 0 failed, 0 unknown, "
        "1 skipped.\n"
    )


def test_apply_report_explains_unknown_items() -> None:
    report = ApplyReport(
        plan_hash="sha256:00",
        started_at=demo_report().started_at,
        finished_at=demo_report().finished_at,
        tenants=[
            TenantResult(
                slug="contoso",
                outcomes=[
                    ItemOutcome(
                        kind="alert", id="a1", status="unknown", detail="HTTP 503"
                    ),
                    ItemOutcome(
                        kind="alert", id="a2", status="unknown", detail="HTTP 503"
                    ),
                ],
            )
        ],
    )

    assert text.render_apply(report, color=False).splitlines()[-2:] == [
        "Apply complete: 0 applied, 0 unchanged, 0 stale, 0 failed, 2 unknown.",
        "2 items could not be read and were not written: plan again once the "
        "tenant answers.",
    ]


def test_refusal_says_what_was_refused_and_that_nothing_was_written() -> None:
    message = "assignee changes span tenants contoso, fabrikam\nsplit the plan"

    assert text.render_refusal(message, color=False) == (
        "Refused: assignee changes span tenants contoso, fabrikam\n"
        "split the plan\n"
        "Nothing was written.\n"
    )
    assert text.render_refusal("x", color=True).startswith(
        "\x1b[1;31mRefused:\x1b[0m x"
    )


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(0.4, "about 1 s", id="under-a-second"),
        pytest.param(2.0, "about 2 s", id="exact"),
        pytest.param(59.2, "about 1 min", id="rounds-up-to-a-minute"),
        pytest.param(165.2, "about 2 min 46 s", id="minutes-and-seconds"),
        pytest.param(3600.0, "about 1 h", id="an-hour"),
        pytest.param(3725.0, "about 1 h 2 min", id="hours-and-minutes"),
    ],
)
def test_durations_are_rounded_up_and_spoken(seconds: float, expected: str) -> None:
    assert approximate_duration(seconds) == expected


def test_a_tenant_that_could_not_be_read_is_never_reported_as_matching() -> None:
    unread = tenant("contoso", CONTOSO_ID, "Contoso", []).model_copy(
        update={"error": "CONTOSO_CLIENT_SECRET is not set; export it and retry"}
    )

    assert text.render_plan(plan(unread), color=False) == (
        "Tenant contoso (Contoso, 5f1c2d3e-0000-4000-8000-000000000001): could not "
        "be read\n"
        "  ! CONTOSO_CLIENT_SECRET is not set; export it and retry\n"
        "\n"
        "No changes to apply. 1 tenant could not be read: see above.\n"
    )


def test_the_plan_line_counts_tenants_that_could_not_be_read() -> None:
    subject = demo_plan()
    unread = subject.tenants[1].model_copy(update={"error": "sign-in failed"})
    subject = subject.model_copy(
        update={"tenants": [subject.tenants[0], unread, subject.tenants[2]]}
    )

    rendered = text.render_plan(subject, color=False)

    assert "Tenant northwind (Northwind, 1b2c3d4e-0000-4000-8000-000000000003): " in (
        rendered
    )
    assert (
        "Plan: 4 changes in 2 of 3 tenants (3 incidents, 1 alert); 3 notices; "
        "1 tenant could not be read.\n"
    ) in rendered

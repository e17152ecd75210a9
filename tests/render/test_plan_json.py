from __future__ import annotations

import json
from pathlib import Path

from render_samples import demo_plan, demo_report

from reconciler.engine.planfile import write_plan
from reconciler.engine.plans import Plan, content_hash
from reconciler.engine.results import ApplyReport
from reconciler.render import plan_json


def test_the_plan_document_reads_back_as_the_same_plan() -> None:
    plan = demo_plan()

    assert Plan.model_validate_json(plan_json.render_plan(plan)) == plan


def test_the_plan_document_keeps_a_verifiable_content_hash() -> None:
    parsed = Plan.model_validate_json(plan_json.render_plan(demo_plan()))

    assert parsed.content_hash == content_hash(parsed)
    assert parsed.content_hash.startswith("sha256:")


def test_the_plan_document_is_one_object_ending_in_a_newline() -> None:
    rendered = plan_json.render_plan(demo_plan())

    assert rendered.startswith("{\n")
    assert rendered.endswith("\n}\n")
    assert json.loads(rendered)["format_version"] == 1


def test_unassigned_is_written_as_null() -> None:
    document = json.loads(plan_json.render_plan(demo_plan()))
    contoso = next(t for t in document["tenants"] if t["slug"] == "contoso")
    assigned = contoso["changes"][2]["changes"][0]

    assert assigned == {
        "field": "assignedTo",
        "before": None,
        "after": "kai@contoso.com",
    }


def test_the_apply_report_reads_back_as_the_same_report() -> None:
    report = demo_report()

    assert ApplyReport.model_validate_json(plan_json.render_apply(report)) == report


def test_the_plan_document_is_byte_for_byte_the_plan_file(tmp_path: Path) -> None:
    plan = demo_plan()
    path = tmp_path / "contoso.plan.json"

    write_plan(plan, path)

    assert path.read_bytes() == plan_json.render_plan(plan).encode()

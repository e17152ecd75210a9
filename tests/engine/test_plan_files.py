"""Plan files: written whole or not at all, and refused when in any doubt."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from engine_builders import ENDPOINTS, PLANNED_AT, change, make_plan, spec, tenant_plan

from reconciler.config import Endpoints
from reconciler.desired.models import TenantSpec
from reconciler.engine.planfile import (
    PlanFileError,
    check_binding,
    read_plan,
    write_plan,
)
from reconciler.engine.plans import Plan

SPECS = {"contoso": spec("contoso")}


def a_plan() -> Plan:
    return make_plan(
        tenant_plan(
            "contoso", change("incident", "1", ("status", "active", "resolved"))
        )
    )


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    path = tmp_path / "contoso.plan.json"
    write_plan(a_plan(), path)
    return path


def rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads(path.read_text())
    edit(raw)
    path.write_text(json.dumps(raw))


def refusal(path: Path, **binding: object) -> str:
    def read_and_check() -> None:
        check_binding(
            read_plan(path),
            path,
            endpoints=binding.get("endpoints", ENDPOINTS),  # type: ignore[arg-type]
            specs=binding.get("specs", SPECS),  # type: ignore[arg-type]
            now=binding.get("now", PLANNED_AT + timedelta(minutes=5)),  # type: ignore[arg-type]
        )

    with pytest.raises(PlanFileError) as refused:
        read_and_check()
    assert refused.value.exit_code == 1
    return str(refused.value)


def test_a_written_plan_reads_back_identical(plan_file: Path) -> None:
    assert read_plan(plan_file) == a_plan()


def test_a_plan_file_is_private_and_leaves_no_temporary_file(plan_file: Path) -> None:
    assert stat.S_IMODE(plan_file.stat().st_mode) == 0o600
    assert [p.name for p in plan_file.parent.iterdir()] == ["contoso.plan.json"]


def test_rewriting_a_plan_file_replaces_it_whole(plan_file: Path) -> None:
    newer = make_plan(
        tenant_plan("contoso"), created_at=PLANNED_AT + timedelta(minutes=1)
    )

    write_plan(newer, plan_file)

    assert read_plan(plan_file) == newer


def test_a_plan_cannot_be_written_into_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "p.json"

    with pytest.raises(PlanFileError) as failed:
        write_plan(a_plan(), path)

    assert str(failed.value) == (
        f"cannot write plan file {path}: No such file or directory; check that "
        f"{path.parent} exists and is writable"
    )


def test_a_missing_plan_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "none.json"

    assert refusal(path) == f"cannot read plan file {path}: No such file or directory"


def test_malformed_json_is_refused_with_its_position(plan_file: Path) -> None:
    plan_file.write_text('{"format_version": 1,\n  "tenants": [}')

    assert refusal(plan_file) == (
        f"{plan_file} is not a plan file: invalid JSON at line 2 column 15 "
        f"(Expecting value); make the plan again with `reconciler plan --out "
        f"{plan_file}`"
    )


def test_json_that_is_not_an_object_is_refused(plan_file: Path) -> None:
    plan_file.write_text("[1, 2]")

    assert refusal(plan_file) == (
        f"{plan_file} is not a plan file: it holds JSON but not an object; make "
        f"the plan again with `reconciler plan --out {plan_file}`"
    )


@pytest.mark.parametrize(
    ("version", "found"),
    [(2, "format_version 2"), ("1", "format_version '1'"), (None, "no format_version")],
)
def test_an_unsupported_format_version_is_refused(
    plan_file: Path, version: object, found: str
) -> None:
    rewrite(plan_file, lambda raw: raw.update(format_version=version))

    assert refusal(plan_file) == (
        f"{plan_file} has {found}, but this reconciler reads format_version 1 "
        f"only; make the plan again with `reconciler plan --out {plan_file}` "
        "using this version"
    )


def test_a_plan_with_unexpected_content_is_refused(plan_file: Path) -> None:
    rewrite(plan_file, lambda raw: raw["tenants"][0].update(extra="x"))

    assert refusal(plan_file) == (
        f"{plan_file} is not a valid plan: tenants.0.extra: Extra inputs are not "
        f"permitted; make the plan again with `reconciler plan --out {plan_file}`"
    )


def test_a_plan_time_without_a_time_zone_is_refused(plan_file: Path) -> None:
    rewrite(plan_file, lambda raw: raw.update(expires_at="2026-12-03T13:00:00"))

    assert refusal(plan_file) == (
        f"{plan_file} is not a valid plan: expires_at: Input should have timezone "
        f"info; make the plan again with `reconciler plan --out {plan_file}`"
    )


def test_an_edited_plan_is_refused_as_tampered(plan_file: Path) -> None:
    def edit(raw: dict) -> None:  # type: ignore[type-arg]
        raw["tenants"][0]["changes"][0]["changes"][0]["after"] = "inProgress"

    rewrite(plan_file, edit)

    assert refusal(plan_file) == (
        f"{plan_file} was changed after it was written (its content hash does not "
        f"match); make the plan again with `reconciler plan --out {plan_file}`"
    )


def test_an_expired_plan_is_refused(plan_file: Path) -> None:
    later = PLANNED_AT + timedelta(hours=1, minutes=10)

    assert refusal(plan_file, now=later) == (
        f"{plan_file} expired at 2026-12-03 13:00:00 UTC (10 min ago); plans "
        "expire because triage state changes within minutes; make the plan again "
        f"with `reconciler plan --out {plan_file}`"
    )


def test_a_plan_claiming_a_lifetime_beyond_any_plan_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "forever.plan.json"
    forever = a_plan().model_copy(
        update={"expires_at": PLANNED_AT + timedelta(days=365)}
    )
    write_plan(forever.sealed(), path)

    assert refusal(path) == (
        f"{path} claims to stay valid for 8760 h, longer than any plan may (24 h); "
        f"make the plan again with `reconciler plan --out {path}`"
    )


def test_a_plan_for_other_endpoints_is_refused(plan_file: Path) -> None:
    elsewhere = Endpoints(
        authority_host="https://127.0.0.1:8443", graph_url="https://127.0.0.1:8443/v1.0"
    )

    assert refusal(plan_file, endpoints=elsewhere) == (
        f"{plan_file} was made for https://login.example.test and "
        "https://graph.example.test/v1.0, but this run uses https://127.0.0.1:8443 "
        "and https://127.0.0.1:8443/v1.0; apply it where it was made, or make a "
        "new plan against these endpoints"
    )


def test_a_plan_for_another_tenant_id_is_refused(plan_file: Path) -> None:
    moved = TenantSpec(
        **{
            **{f: getattr(SPECS["contoso"], f) for f in TenantSpec.__slots__},  # type: ignore[attr-defined]
            "tenant_id": "11111111-0000-4000-8000-000000000009",
        }
    )

    assert refusal(plan_file, specs={"contoso": moved}) == (
        f"{plan_file} is for tenant contoso as tenant id "
        "5f1c2d3e-0000-4000-8000-000000000001 with client id "
        "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b, but state/contoso/tenant.yaml now "
        "says 11111111-0000-4000-8000-000000000009 with "
        "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b; make the plan again with "
        f"`reconciler plan --out {plan_file}`"
    )


def test_a_plan_for_a_tenant_not_in_the_repository_is_refused(plan_file: Path) -> None:
    assert refusal(plan_file, specs={}) == (
        f"{plan_file} is for tenant contoso, which is not in this repository's "
        "state/; apply it from the repository it was made in"
    )


def test_a_plan_listing_a_tenant_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    write_plan(make_plan(tenant_plan("contoso"), tenant_plan("contoso")), path)

    assert refusal(path) == (
        f"{path} lists tenant contoso twice; make the plan again with "
        f"`reconciler plan --out {path}`"
    )

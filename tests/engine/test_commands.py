"""`reconciler plan` and `apply` end to end, as a subprocess against the emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from triage_repo import (
    CONTOSO,
    CONTOSO_ALERT,
    EXPECTED_WRITES,
    FABRIKAM,
    write_repository,
)

from reconciler.engine.plans import Plan

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repository(tmp_path / "triage")


@pytest.fixture
def reconciler(repo: Path, emulator_env: dict[str, str]) -> Run:
    def run(
        *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", "--root", str(repo), *args],
            env=env or emulator_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def writes(emulator: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    log = emulator.writes()
    keys = [(w["tenant_id"], w["kind"], w["id"]) for w in log]
    assert len(keys) == len(set(keys)), f"an item was written twice: {keys}"
    return {(w["tenant_id"], w["kind"], w["id"]): w["fields"] for w in log}


def planned(plan_json: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    plan = json.loads(plan_json)
    return {
        (tenant["slug"], item["kind"], item["id"]): {
            change["field"]: [change["before"], change["after"]]
            for change in item["changes"]
        }
        for tenant in plan["tenants"]
        for item in tenant["changes"]
    }


def reseal(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Edit a plan file as someone able to recompute its hash would."""
    raw = json.loads(path.read_text())
    edit(raw)
    raw["content_hash"] = ""
    path.write_text(Plan.model_validate(raw).sealed().model_dump_json())


def test_plan_shows_exactly_the_declared_differences(
    reconciler: Run, emulator: Any
) -> None:
    result = reconciler("plan", "--format", "json")

    assert result.returncode == 0, result.stderr
    assert planned(result.stdout) == {
        ("contoso", "incident", "2972395"): {
            "status": ["active", "inProgress"],
            "customTags": [["ransomware"], ["escalated", "ransomware"]],
        },
        ("contoso", "incident", "2972420"): {
            "status": ["active", "resolved"],
            "classification": ["unknown", "informationalExpectedActivity"],
            "determination": ["unknown", "securityTesting"],
        },
        ("contoso", "alert", CONTOSO_ALERT): {"status": ["new", "inProgress"]},
        ("fabrikam", "incident", "418"): {
            "status": ["active", "inProgress"],
            "classification": ["unknown", "truePositive"],
            "determination": ["unknown", "malware"],
        },
        ("fabrikam", "incident", "433"): {"customTags": [[], ["red-team"]]},
    }
    assert emulator.writes() == []


def test_declared_items_missing_live_are_errors_at_their_place_and_no_plan_is_written(
    reconciler: Run, emulator: Any, repo: Path, tmp_path: Path
) -> None:
    incidents = repo / "state/fabrikam/incidents.yaml"
    incidents.write_text(incidents.read_text() + '  "999":\n    status: resolved\n')
    alerts = repo / "state/contoso/alerts.yaml"
    alerts.write_text(alerts.read_text() + "  da000_1:\n    status: resolved\n")
    plan_file = tmp_path / "p.json"

    result = reconciler("plan", "--out", str(plan_file))

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "state/contoso/alerts.yaml:4:3: error: alert da000_1 does not exist in "
        "tenant contoso; correct the id or remove the declaration\n"
        "state/fabrikam/incidents.yaml:8:3: error: incident 999 does not exist in "
        "tenant fabrikam; correct the id or remove the declaration\n"
    )
    assert not plan_file.exists()


def test_detailed_exitcode_tells_changes_from_none(reconciler: Run, repo: Path) -> None:
    assert reconciler("plan", "--detailed-exitcode").returncode == 2

    assert (
        reconciler("plan", "--tenant", "fabrikam", "--detailed-exitcode").returncode
        == 2
    )
    (repo / "state/fabrikam/incidents.yaml").write_text("incidents: {}\n")
    assert (
        reconciler("plan", "--tenant", "fabrikam", "--detailed-exitcode").returncode
        == 0
    )


def test_apply_writes_exactly_the_plan_and_a_second_apply_writes_nothing(
    reconciler: Run, emulator: Any, tmp_path: Path
) -> None:
    plan_file = tmp_path / "all.plan.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0

    first = reconciler("apply", str(plan_file))
    second = reconciler("apply", str(plan_file))
    fresh = reconciler("plan", "--detailed-exitcode")

    assert first.returncode == 0, first.stderr
    assert (
        "Apply complete: 5 applied, 0 unchanged, 0 stale, 0 failed, 0 unknown."
        in first.stdout
    )
    assert writes(emulator) == EXPECTED_WRITES
    assert second.returncode == 0, second.stderr
    assert (
        "Apply complete: 0 applied, 0 unchanged, 0 stale, 0 failed, 0 unknown, "
        "5 skipped." in second.stdout
    )
    assert fresh.returncode == 0, fresh.stdout
    assert len(emulator.writes()) == 5
    # Each write went with a token of its own tenant: no batch mixed tenants.
    assert all(w["token_tenant_id"] == w["tenant_id"] for w in emulator.writes())


def test_apply_without_a_plan_file_plans_then_applies_once_approved(
    reconciler: Run, emulator: Any
) -> None:
    result = reconciler("apply", "--auto-approve")

    assert result.returncode == 0, result.stderr
    assert writes(emulator) == EXPECTED_WRITES


def test_apply_without_a_plan_file_or_a_terminal_refuses_to_guess(
    reconciler: Run, emulator: Any, repo: Path
) -> None:
    result = reconciler("apply")

    assert result.returncode == 1
    assert result.stderr == (
        "error: apply without a plan file asks for approval, and there is no "
        "terminal to ask on; pass --auto-approve, or review a plan first with "
        f"`reconciler --root {repo} plan --out plan.json` and apply that file\n"
    )
    assert emulator.stats()["totals"]["graph_requests"] == 0


def test_an_item_changed_live_after_the_plan_is_left_unwritten_and_reported(
    reconciler: Run, emulator: Any, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0
    emulator.store.set_fields(FABRIKAM, "incident", "418", {"status": "resolved"})

    result = reconciler("apply", str(plan_file))

    assert result.returncode == 1
    assert "1 stale" in result.stdout
    assert (
        "changed live since the plan: status is now resolved (planned from "
        "active); not written; re-run plan"
    ) in result.stdout
    expected = dict(EXPECTED_WRITES)
    del expected[(FABRIKAM, "incident", "418")]
    assert writes(emulator) == expected


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda path: path.write_text(
                path.read_text().replace('"resolved"', '"active"')
            ),
            "was changed after it was written (its content hash does not match)",
            id="tampered",
        ),
        pytest.param(
            lambda path: reseal(
                path,
                lambda raw: raw.update(
                    created_at=(datetime.now(UTC) - timedelta(hours=3)).isoformat(),
                    expires_at=(datetime.now(UTC) - timedelta(hours=2)).isoformat(),
                ),
            ),
            " expired at ",
            id="expired",
        ),
        pytest.param(
            lambda path: path.write_text(path.read_text()[:200]),
            "is not a plan file: invalid JSON at line",
            id="truncated",
        ),
    ],
)
def test_a_doubtful_plan_file_is_refused_and_nothing_is_written(
    reconciler: Run, emulator: Any, tmp_path: Path, edit: Any, message: str
) -> None:
    plan_file = tmp_path / "p.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0
    edit(plan_file)
    before = emulator.stats()["totals"]["graph_requests"]

    result = reconciler("apply", str(plan_file))

    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {plan_file}")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.writes() == []
    assert emulator.stats()["totals"]["graph_requests"] == before


def test_assigning_in_two_tenants_is_refused_at_plan_with_nothing_written(
    reconciler: Run, emulator: Any, repo: Path, tmp_path: Path
) -> None:
    incidents = repo / "state/contoso/incidents.yaml"
    incidents.write_text(incidents.read_text() + "    assignee: kai@contoso.com\n")
    incidents = repo / "state/fabrikam/incidents.yaml"
    incidents.write_text(
        incidents.read_text() + "    assignee: soc-lead@fabrikam.onmicrosoft.com\n"
    )
    plan_file = tmp_path / "p.json"

    result = reconciler("plan", "--out", str(plan_file))

    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        "Refused: the plan changes assignees in 2 tenants (contoso, fabrikam), and "
        "one batch may assign in one tenant only. Plan each of them on its own:\n"
        f"  reconciler --root {repo} plan --tenant contoso --out contoso.plan.json\n"
        f"  reconciler --root {repo} plan --tenant fabrikam --out fabrikam.plan.json\n"
        "Nothing was written.\n"
    )
    assert not plan_file.exists()
    assert (
        reconciler("plan", "--tenant", "contoso", "--out", str(plan_file)).returncode
        == 0
    )


def test_a_hand_made_cross_tenant_assignment_plan_is_refused_at_apply(
    reconciler: Run, emulator: Any, tmp_path: Path
) -> None:
    plan_file = tmp_path / "p.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0

    def assign_everywhere(raw: dict[str, Any]) -> None:
        for tenant, who in zip(
            raw["tenants"], ["kai@contoso.com", "ana@fabrikam.com"], strict=True
        ):
            tenant["changes"][0]["changes"].append(
                {"field": "assignedTo", "before": None, "after": who}
            )

    reseal(plan_file, assign_everywhere)

    result = reconciler("apply", str(plan_file))

    assert result.returncode == 3
    assert result.stderr.startswith(
        "Refused: the plan changes assignees in 2 tenants (contoso, fabrikam)"
    )
    assert emulator.writes() == []


def test_items_graph_will_not_show_are_unknown_and_never_written(
    reconciler: Run,
    emulator: Any,
    emulator_env: dict[str, str],
    emulator_apps: Any,
    repo: Path,
    tmp_path: Path,
) -> None:
    # fabrikam's app is consented without roles: Graph answers 403 to every read.
    tenant = repo / "state/fabrikam/tenant.yaml"
    tenant.write_text(
        tenant.read_text() + f"client_id: {emulator_apps['no_roles'].client_id}\n"
    )
    env = dict(
        emulator_env, FABRIKAM_CLIENT_SECRET=emulator_apps["no_roles"].client_secret
    )
    plan_file = tmp_path / "p.json"

    planned_run = reconciler("plan", "--out", str(plan_file), env=env)
    applied = reconciler("apply", str(plan_file), env=env)

    assert planned_run.returncode == 1
    assert (
        "error: 2 declared items could not be read, so nothing is planned for them "
        "(see the notices); plan again once the tenant answers"
    ) in planned_run.stderr
    assert applied.returncode == 1
    assert "2 unknown" in applied.stdout
    assert {key[0] for key in writes(emulator)} == {CONTOSO}


def test_a_killed_apply_resumes_and_writes_no_field_twice(
    reconciler: Run,
    emulator: Any,
    repo: Path,
    emulator_env: dict[str, str],
    tmp_path: Path,
) -> None:
    plan_file = tmp_path / "p.json"
    assert reconciler("plan", "--out", str(plan_file)).returncode == 0
    emulator.configure(latency_ms=700)
    journals = repo / ".reconciler" / "journal"

    apply = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "--root",
            str(repo),
            "apply",
            str(plan_file),
        ],
        env=emulator_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = [
                line
                for journal in journals.glob("*.jsonl")
                for line in journal.read_text().splitlines()
                if '"status":"applied"' in line
            ]
            if lines:
                break
            time.sleep(0.02)
        os.kill(apply.pid, signal.SIGKILL)
    finally:
        apply.wait()
    interrupted = len(emulator.writes())
    emulator.configure(latency_ms=0)

    resumed = reconciler("apply", str(plan_file))

    assert 0 < interrupted < 5
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert writes(emulator) == EXPECTED_WRITES
    assert Counter(w["id"] for w in emulator.writes()) == dict.fromkeys(
        [key[2] for key in EXPECTED_WRITES], 1
    )


def test_apply_reports_as_json_for_machines_and_markdown_for_pull_requests(
    reconciler: Run, emulator: Any, tmp_path: Path
) -> None:
    plan_file = tmp_path / "fabrikam.plan.json"
    assert (
        reconciler("plan", "--tenant", "fabrikam", "--out", str(plan_file)).returncode
        == 0
    )

    result = reconciler("apply", str(plan_file), "--format", "json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [tenant["slug"] for tenant in report["tenants"]] == ["fabrikam"]
    assert sorted(
        (outcome["id"], outcome["status"])
        for outcome in report["tenants"][0]["outcomes"]
    ) == [("418", "applied"), ("433", "applied")]

    again = reconciler("apply", str(plan_file), "--format", "markdown")

    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("#")
    assert "skipped" in again.stdout

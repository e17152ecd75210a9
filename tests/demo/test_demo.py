"""`make demo` end to end: the real command line against the embedded emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, NO_COLOR="1")
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, "-m", "reconciler.cli.demo"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_demo_walks_through_plan_refusal_apply_and_staleness() -> None:
    plan_files = {path.name for path in ROOT.glob("*.plan.json")}

    finished = run_demo(ROOT)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    output = finished.stdout
    for line in [
        "$ reconciler validate",
        "$ reconciler plan",
        "Refused: the plan changes assignees in 2 tenants (contoso, fabrikam)",
        "$ reconciler plan --tenant contoso --out contoso.plan.json",
        "$ reconciler apply contoso.plan.json",
        "$ reconciler plan --tenant fabrikam --out fabrikam.plan.json",
        "1 stale",
        "$ reconciler plan --detailed-exitcode",
        "\nNo changes",
        "Demo complete: every step behaved as expected.",
    ]:
        assert line in output
    assert {path.name for path in ROOT.glob("*.plan.json")} == plan_files


def test_the_demo_outside_a_repository_says_where_to_run_it(tmp_path: Path) -> None:
    finished = run_demo(tmp_path)

    assert finished.returncode == 1
    assert finished.stdout == ""
    assert finished.stderr == (
        f"error: {tmp_path} has no reconciler.yaml or state; run the demo from the "
        "repository root, e.g. with `make demo`\n"
    )


def test_a_broken_state_stops_the_demo_at_validation(tmp_path: Path) -> None:
    shutil.copy(ROOT / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(ROOT / "state", tmp_path / "state")
    incidents = tmp_path / "state" / "contoso" / "incidents.yaml"
    incidents.write_text(incidents.read_text() + "\nunexpected: true\n")

    finished = run_demo(tmp_path)

    assert finished.returncode == 1
    assert "$ reconciler validate" in finished.stdout
    assert "state/contoso/incidents.yaml:" in finished.stdout
    assert "The demo stopped: `reconciler validate` exited 1, expected 0." in (
        finished.stderr
    )


def test_the_demo_shows_the_refusal_even_when_the_first_plan_is_allowed(
    tmp_path: Path,
) -> None:
    shutil.copy(ROOT / "reconciler.yaml", tmp_path / "reconciler.yaml")
    shutil.copytree(ROOT / "state", tmp_path / "state")
    fabrikam = tmp_path / "state" / "fabrikam"
    # Fabrikam declares an assignee live already has, so only contoso assigns.
    (fabrikam / "incidents.yaml").write_text(
        "incidents:\n"
        '  "418":\n'
        "    status: inProgress\n"
        '  "421":\n'
        "    assignee: soc-lead@fabrikam.onmicrosoft.com\n"
        "    status: resolved\n"
    )
    (fabrikam / "alerts.yaml").write_text(
        "alerts:\n  fa8e1d2c3b4a5f6e_1284307652:\n    status: inProgress\n"
    )

    finished = run_demo(tmp_path)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    refusal = finished.stdout.split("Plan after analysts unassigned incidents")[1]
    assert refusal.startswith(
        " in several tenants\n"
        "Someone unassigned incident 2972395 in contoso and incident 421 in "
        "fabrikam in the portal."
    )
    assert "Refused: the plan changes assignees in 2 tenants" in refusal

"""`reconciler validate`: one summary line, or every problem and exit code 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from desired_repo import Repository

from reconciler.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_valid_repository_gets_one_summary_line(repo: Repository) -> None:
    assert run("--root", str(repo.root), "validate") == (
        0,
        "Valid: 2 tenants, 1 incident, 1 alert.\n",
        "",
    )


def test_validate_can_be_narrowed_to_tenants(repo: Repository) -> None:
    assert run("--root", str(repo.root), "validate", "--tenant", "fabrikam") == (
        0,
        "Valid: 1 tenant, 0 incidents, 0 alerts.\n",
        "",
    )


def test_every_problem_goes_to_stderr_then_a_count(repo: Repository) -> None:
    repo.write(
        "state/contoso/incidents.yaml",
        'incidents:\n  "1": {status: actve}\n  "1": {status: active}\n',
    )
    repo.write("state/fabrikam/alerts.yaml", "alerts: [\n")

    code, out, err = run("--root", str(repo.root), "validate")

    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "state/contoso/incidents.yaml:2:17: error: 'actve' is not a status an "
        "incident can be given: did you mean 'active'? (allowed: active, inProgress, "
        "resolved)",
        "state/contoso/incidents.yaml:3:3: error: duplicate key '1' (first at line "
        "2, column 3); keep only one",
        "state/fabrikam/alerts.yaml:2:1: error: YAML syntax error: did not find "
        "expected node content (while parsing a flow node); check quoting and "
        "indentation here",
        "3 problems in 2 files; nothing was checked against live tenants.",
    ]


def test_a_missing_root_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    assert run("--root", str(missing), "validate") == (
        1,
        "",
        f"{missing}:1:1: error: the repository root does not exist; pass --root "
        "with the directory that holds state/ and reconciler.yaml\n"
        "1 problem in 1 file; nothing was checked against live tenants.\n",
    )


def test_a_root_without_state_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    assert run("--root", str(tmp_path), "validate") == (
        1,
        "",
        "state:1:1: error: no state/ directory in the repository; create "
        "state/<tenant>/tenant.yaml for each tenant\n"
        "1 problem in 1 file; nothing was checked against live tenants.\n",
    )


def test_the_installed_command_validates_the_demo_repository() -> None:
    project = Path(__file__).resolve().parents[2]

    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--root", str(project), "validate"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "Valid: 2 tenants, 8 incidents, 4 alerts.\n",
        "",
    )


def test_the_installed_command_reports_problems_with_exit_code_1(
    repo: Repository,
) -> None:
    repo.write("state/contoso/alerts.yaml", "alerts:\n  x1: {status: open}\n")

    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--root", str(repo.root), "validate"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "state/contoso/alerts.yaml:2:16: error: 'open' is not a status an alert can "
        "be given (allowed: inProgress, new, resolved)\n"
        "1 problem in 1 file; nothing was checked against live tenants.\n"
    )

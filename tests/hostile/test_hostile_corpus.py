"""Every case of the hostile corpus is refused: its message at its place, no trace.

Each case runs the real command line (in-process through click's runner, as the
console script would) against the emulator. Refused means: the case's exit code
(1, or 3 for a guardrail), its message at its PATH:LINE:COL, no traceback, no
plan file, no journal, and not one Graph request, so certainly no write.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_corpus import Case, Prepared, load_cases, mismatches, prepare

from reconciler.cli import main
from reconciler.emulator import EmulatorServer

CASES = load_cases()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The command line points the package logger at its stderr; put it back."""
    logger = logging.getLogger("reconciler")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_the_corpus_holds_at_least_fifty_cases_each_refused_with_exit_1_or_3() -> None:
    assert len(CASES) >= 50
    assert {case.exit for case in CASES} == {1, 3}
    assert all(case.message for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_refused_with_its_message_and_nothing_is_written(
    case: Case,
    emulator: EmulatorServer,
    emulator_env: dict[str, str],
    tmp_path: Path,
) -> None:
    prepared = prepare(case, tmp_path / "case", _endpoints(emulator))

    result = CliRunner().invoke(main, prepared.argv(), env=emulator_env)

    assert not isinstance(result.exception, Exception), result.exception
    assert mismatches(case, result.exit_code, result.stdout, result.stderr) == []
    _assert_nothing_written(prepared, emulator)


@pytest.mark.parametrize(
    "name", ["alias-bomb", "symlink-item-file-outside", "plan-deep-nesting"]
)
def test_the_console_command_refuses_as_the_in_process_runs_do(
    name: str,
    emulator: EmulatorServer,
    emulator_env: dict[str, str],
    tmp_path: Path,
) -> None:
    case = next(case for case in CASES if case.name == name)
    prepared = prepare(case, tmp_path / "case", _endpoints(emulator))

    result = subprocess.run(
        [sys.executable, "-m", "reconciler", *prepared.argv()],
        env=emulator_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert mismatches(case, result.returncode, result.stdout, result.stderr) == []
    _assert_nothing_written(prepared, emulator)


def _endpoints(emulator: EmulatorServer) -> tuple[str, str]:
    return emulator.url, f"{emulator.url}/v1.0"


def _assert_nothing_written(prepared: Prepared, emulator: EmulatorServer) -> None:
    assert not prepared.out.exists()
    assert not (prepared.root / ".reconciler" / "journal").exists()
    assert emulator.writes() == []
    totals = emulator.stats()["totals"]
    assert (totals["graph_requests"], totals["token_requests"]) == (0, 0)

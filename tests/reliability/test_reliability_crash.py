"""Crash and resume: an apply killed with SIGKILL at a random moment is finished by
applying the same plan again, and nothing it acknowledged is written twice.

The emulator answers slowly, so an apply of two tenants of 100 changes each lasts
a few seconds and is killed somewhere in it (seeded: each trial is
reproducible), or before it reached Graph, or after it finished. Then the same
plan file is applied again, quickly, and must exit 0 with every planned item live
as desired; no write after the kill may touch an item the journal acknowledged
before it, and, as nothing else interferes, no item is written twice at all.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    Key,
    Workload,
    command_env,
    journal_records,
    live_fields,
    reconciler_command,
    run_reconciler,
    write_fields,
    write_key,
)

from reconciler.emulator import EmulatorServer, start_emulator

WORKLOAD = Workload(tenants=2, changes=100)
LATENCY_MS = 250
# From the apply's first Graph request, how long it has yet to run (measured:
# about 2 s for two lists and six batches per tenant, tenants side by side).
WORK_S = 1.8
ACKNOWLEDGED = {"applied", "unchanged"}


@dataclass(frozen=True)
class Setting:
    emulator: EmulatorServer
    root: Path
    plan_file: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    base = tmp_path_factory.mktemp("crash")
    root = WORKLOAD.write_repository(base / "repo")
    with start_emulator(seed=WORKLOAD.seed(), state_dir=base / "emulator") as emulator:
        env = command_env(emulator)
        plan_file = base / "all.plan.json"
        made = run_reconciler(root, "plan", "--out", str(plan_file), env=env)
        assert made.returncode == 0, made.stderr
        yield Setting(emulator, root, plan_file, env)


@pytest.mark.parametrize("trial", range(3))
def test_an_apply_killed_at_a_random_moment_resumes_without_writing_twice(
    setting: Setting, trial: int
) -> None:
    crash_and_resume(setting, random.Random(trial))


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(100, 120))
def test_twenty_more_applies_killed_at_random_moments_resume_without_writing_twice(
    setting: Setting, trial: int
) -> None:
    crash_and_resume(setting, random.Random(trial))


def crash_and_resume(setting: Setting, rng: random.Random) -> None:
    emulator = setting.emulator
    emulator.reset()
    shutil.rmtree(setting.root / ".reconciler", ignore_errors=True)
    emulator.configure(latency_ms=LATENCY_MS)

    killed_at = _apply_and_kill(setting, rng)
    before = emulator.writes()
    acknowledged = _acknowledged(setting.root)
    emulator.configure(latency_ms=0)
    resumed = run_reconciler(
        setting.root, "apply", str(setting.plan_file), env=setting.env
    )
    after = emulator.writes()[len(before) :]

    expected = WORKLOAD.expected()
    print(
        f"\nkilled {killed_at}: {len(before)} writes before, "
        f"{len(acknowledged)} acknowledged, {len(after)} writes on resume"
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _differing(emulator, expected) == {}
    assert {write_key(write) for write in after} & acknowledged == set()
    assert all(
        key in {write_key(write) for write in before}
        for key in _acknowledged(setting.root, status="applied", among=acknowledged)
    )
    assert Counter(write_key(write) for write in before + after) == dict.fromkeys(
        expected, 1
    )
    assert all(write_fields(w) == expected[write_key(w)] for w in before + after)


def _apply_and_kill(setting: Setting, rng: random.Random) -> str:
    """Start an apply and SIGKILL it at a random moment; say when that was."""
    emulator = setting.emulator
    early = rng.random() < 0.15
    delay = rng.uniform(0, 1.0 if early else WORK_S)
    process = subprocess.Popen(
        reconciler_command(setting.root, "apply", str(setting.plan_file)),
        env=setting.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not early:
            _wait_for_graph(emulator, process)
        time.sleep(delay)
        if process.poll() is not None:
            return f"never (the apply had finished, exit {process.returncode})"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    moment = "after start" if early else "after its first Graph request"
    return f"{delay:.2f} s {moment}"


def _wait_for_graph(emulator: EmulatorServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while emulator.stats()["totals"]["http_requests"] == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _acknowledged(
    root: Path, *, status: str | None = None, among: set[Key] | None = None
) -> set[Key]:
    """Items the journal shows written or found done (or with `status`)."""
    ids = {WORKLOAD.slug(index): WORKLOAD.tenant_id(index) for index in range(2)}
    keys = {
        (ids[record["tenant"]], record["kind"], record["id"])
        for record in journal_records(root)
        if record.get("status") in ({status} if status else ACKNOWLEDGED)
    }
    return keys if among is None else keys & among


def _differing(
    emulator: EmulatorServer, expected: dict[Key, dict[str, Any]]
) -> dict[Key, dict[str, Any]]:
    return {
        key: live
        for key, fields in expected.items()
        if (live := live_fields(emulator, key, list(fields))) != fields
    }

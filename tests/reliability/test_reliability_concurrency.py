"""Two applies of the same tenant never interleave, and a killed one frees the tenant.

Two plans of one tenant, each changing its own half of the items, are applied by
two real processes started together. The emulator answers slowly, so the first
apply holds the tenant's lock for a few seconds. The write log then shows the
second apply's writes all after the first's: it waited. With --lock-timeout 0
it refuses instead, naming the holder, and writes nothing. A SIGKILLed apply
leaves no lock behind: the next apply takes the tenant at once.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_support import (
    Key,
    Workload,
    command_env,
    live_fields,
    reconciler_command,
    run_reconciler,
    write_key,
)

from reconciler.emulator import EmulatorServer, start_emulator

WORKLOAD = Workload(tenants=1, changes=80)
FIRST_HALF = range(0, 80, 2)
SECOND_HALF = range(1, 80, 2)
LATENCY_MS = 200


@dataclass(frozen=True)
class Setting:
    emulator: EmulatorServer
    root: Path
    first_plan: Path
    second_plan: Path
    env: dict[str, str]

    @property
    def lock_file(self) -> Path:
        return self.root / ".reconciler" / "locks" / f"{WORKLOAD.slug(0)}.lock"


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    base = tmp_path_factory.mktemp("concurrency")
    root = base / "repo"
    with start_emulator(seed=WORKLOAD.seed(), state_dir=base / "emulator") as emulator:
        env = command_env(emulator)
        plans = []
        for half, name in ((FIRST_HALF, "first"), (SECOND_HALF, "second")):
            WORKLOAD.write_repository(root, half)
            plans.append(base / f"{name}.plan.json")
            made = run_reconciler(root, "plan", "--out", str(plans[-1]), env=env)
            assert made.returncode == 0, made.stderr
        yield Setting(emulator, root, plans[0], plans[1], env)


@pytest.fixture
def fresh(setting: Setting) -> Setting:
    setting.emulator.reset()
    setting.emulator.configure(latency_ms=LATENCY_MS)
    for journal in (setting.root / ".reconciler" / "journal").glob("*.jsonl"):
        journal.unlink()
    return setting


def test_a_second_apply_of_the_same_tenant_waits_for_the_first_to_finish(
    fresh: Setting,
) -> None:
    first = _start_apply(fresh, fresh.first_plan)
    _wait_until_locked(fresh, first)
    second = _start_apply(fresh, fresh.second_plan, "-v")
    first_out, _ = first.communicate(timeout=120)
    second_out, second_err = second.communicate(timeout=120)

    assert first.returncode == 0, first_out
    assert second.returncode == 0, second_out + second_err
    assert f"tenant {WORKLOAD.slug(0)} is locked by another apply; waiting" in (
        second_err
    )
    log = fresh.emulator.writes()
    first_keys = set(WORKLOAD.expected(FIRST_HALF))
    second_keys = set(WORKLOAD.expected(SECOND_HALF))
    order = ["first" if write_key(w) in first_keys else "second" for w in log]
    assert order == ["first"] * len(first_keys) + ["second"] * len(second_keys)
    stamps = [write["at"] for write in log]
    assert stamps == sorted(stamps)
    assert _differing(fresh, FIRST_HALF) == _differing(fresh, SECOND_HALF) == {}


def test_with_no_lock_timeout_a_second_apply_refuses_naming_the_holder(
    fresh: Setting,
) -> None:
    first = _start_apply(fresh, fresh.first_plan)
    _wait_until_locked(fresh, first)
    second = run_reconciler(
        fresh.root,
        "apply",
        str(fresh.second_plan),
        "--lock-timeout",
        "0",
        env=fresh.env,
    )
    first_out, _ = first.communicate(timeout=120)

    assert second.returncode == 1
    assert (
        f"tenant {WORKLOAD.slug(0)} is locked by another apply (pid {first.pid} on "
    ) in second.stdout
    assert (
        "waited 0 s. Let it finish, or wait longer with --lock-timeout; the lock "
        "goes away when that process ends, even if it crashes"
    ) in second.stdout
    assert "Traceback" not in second.stdout + second.stderr
    assert first.returncode == 0, first_out
    first_keys = set(WORKLOAD.expected(FIRST_HALF))
    assert {write_key(write) for write in fresh.emulator.writes()} == first_keys


def test_a_killed_apply_leaves_the_tenant_free_for_the_next_one_at_once(
    fresh: Setting,
) -> None:
    first = _start_apply(fresh, fresh.first_plan)
    _wait_until_locked(fresh, first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    # The killed holder never cleared its name from the file; only flock counts.
    left_behind = _read(fresh.lock_file)

    second = run_reconciler(
        fresh.root,
        "apply",
        str(fresh.second_plan),
        "--lock-timeout",
        "0",
        env=fresh.env,
    )
    resumed = run_reconciler(
        fresh.root, "apply", str(fresh.first_plan), "--lock-timeout", "0", env=fresh.env
    )

    assert first.returncode == -signal.SIGKILL
    assert f'"pid": {first.pid},' in left_behind
    assert second.returncode == 0, second.stdout + second.stderr
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _differing(fresh, FIRST_HALF) == _differing(fresh, SECOND_HALF) == {}


def _start_apply(setting: Setting, plan: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        reconciler_command(setting.root, *options, "apply", str(plan)),
        env=setting.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_locked(setting: Setting, process: subprocess.Popen[str]) -> None:
    """Until `process` holds the tenant's lock (it writes its pid into the file)."""
    deadline = time.monotonic() + 60
    while f'"pid": {process.pid},' not in _read(setting.lock_file):
        assert process.poll() is None, "the apply ended before taking the lock"
        assert time.monotonic() < deadline, "the apply never took the lock"
        time.sleep(0.01)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def _differing(setting: Setting, half: range) -> dict[Key, object]:
    return {
        key: live
        for key, fields in WORKLOAD.expected(half).items()
        if (live := live_fields(setting.emulator, key, list(fields))) != fields
    }

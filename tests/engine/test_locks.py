"""Tenant locks: one apply per tenant, and never stuck after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.engine.locks import LockBusyError, tenant_lock

HOLD_AND_WAIT = """
import sys, time
from pathlib import Path
from reconciler.engine.locks import tenant_lock
with tenant_lock(Path(sys.argv[1]), "contoso", purpose="applying plan sha256:feed"):
    print("held", flush=True)
    time.sleep(60)
"""


def take(root: Path) -> None:
    with tenant_lock(root, "contoso", timeout=0):
        pass


def test_a_held_lock_refuses_with_its_holder(tmp_path: Path) -> None:
    with (
        tenant_lock(tmp_path, "contoso", purpose="applying plan sha256:abc"),
        pytest.raises(LockBusyError) as busy,
    ):
        take(tmp_path)

    message = str(busy.value)
    assert message.startswith(
        f"tenant contoso is locked by another apply (pid {os.getpid()} on "
    )
    assert ", applying plan sha256:abc); waited 0 s." in message


def test_locks_of_different_tenants_are_independent(tmp_path: Path) -> None:
    with tenant_lock(tmp_path, "contoso"), tenant_lock(tmp_path, "fabrikam", timeout=0):
        pass


def test_a_lock_is_free_again_once_released(tmp_path: Path) -> None:
    with tenant_lock(tmp_path, "contoso"):
        pass

    with tenant_lock(tmp_path, "contoso", timeout=0):
        pass
    assert (tmp_path / ".reconciler" / "locks" / "contoso.lock").read_text() == ""


def test_a_killed_holder_leaves_the_lock_free(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(LockBusyError) as busy:
            take(tmp_path)
        assert f"(pid {holder.pid} on " in str(busy.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    with tenant_lock(tmp_path, "contoso", timeout=5):
        pass

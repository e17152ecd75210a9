"""One apply at a time per tenant, across processes on this machine.

Each tenant has a lock file under `.reconciler/locks/`, held with `flock` for the
whole apply of that tenant. The kernel drops the lock when the holder exits, even
if it is killed, so a crashed run never leaves a tenant locked. The holder writes
who it is into the file, for the message a waiting run gives up with.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import ReconcilerError

log = logging.getLogger(__name__)

LOCK_DIR = Path(".reconciler") / "locks"
# A CI job queued behind another apply of the same tenant waits this long before
# giving up; long enough for a small apply to finish, short enough to notice.
DEFAULT_TIMEOUT = 60.0
_POLL_SECONDS = 0.1


class LockBusyError(ReconcilerError):
    """Another apply holds the tenant's lock and did not let go in time."""


@contextmanager
def tenant_lock(
    root: Path, slug: str, *, timeout: float = DEFAULT_TIMEOUT, purpose: str = ""
) -> Iterator[None]:
    """Hold the tenant's lock for the duration of the block."""
    path = root / LOCK_DIR / f"{slug}.lock"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise LockBusyError(
            f"cannot open the lock file {path} for tenant {slug}: {error.strerror}"
        ) from error
    try:
        _acquire(fd, path, slug, timeout)
        try:
            _describe_holder(fd, purpose)
            log.debug("holding the lock of tenant %s", slug)
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, slug: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LockBusyError(
                f"tenant {slug} is locked by another apply ({_holder(path)}); "
                f"waited {timeout:g} s. Let it finish, or wait longer with "
                "--lock-timeout; the lock goes away when that process ends, "
                "even if it crashes"
            )
        if not waited:
            log.info("tenant %s is locked by another apply; waiting", slug)
            waited = True
        time.sleep(min(_POLL_SECONDS, remaining))


def _describe_holder(fd: int, purpose: str) -> None:
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "purpose": purpose,
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)


def _holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {holder['pid']} on {holder['host']} since {holder['since']}" + (
            f", {holder['purpose']}" if holder.get("purpose") else ""
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"

"""The apply journal: each item's outcome, on disk before the next batch is sent.

One JSON-lines file per plan under `.reconciler/journal/`, appended and fsynced
after every batch. An apply of the same plan that was interrupted reads it back
and skips what is already acknowledged, so nothing is written twice. It records
field values and outcomes only: no token, no secret.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.engine.plans import FieldValue, Kind
from reconciler.engine.results import OutcomeStatus
from reconciler.errors import ReconcilerError

log = logging.getLogger(__name__)

JOURNAL_DIR = Path(".reconciler") / "journal"
# Written and confirmed by Graph, or found already done: never to be sent again.
ACKNOWLEDGED: frozenset[str] = frozenset({"applied", "unchanged"})


class JournalError(ReconcilerError):
    """The journal cannot be written; applying stops rather than lose track."""


@dataclass(frozen=True, slots=True)
class Entry:
    tenant: str
    kind: Kind
    id: str
    status: OutcomeStatus
    fields: Mapping[str, FieldValue]
    detail: str | None = None


class Journal:
    """The journal of one plan; safe to record into from several threads."""

    def __init__(self, root: Path, plan_hash: str) -> None:
        digest = plan_hash.removeprefix("sha256:")
        self.path = root / JOURNAL_DIR / f"{digest}.jsonl"
        self._lock = threading.Lock()
        # What has been read of the file so far: tenants read it one after the
        # other while it grows, and each needs only what was added since.
        self._read_up_to = 0
        self._done: dict[str, set[tuple[Kind, str]]] = {}

    def acknowledged(self, tenant: str) -> set[tuple[Kind, str]]:
        """(kind, id) of the tenant's items an earlier run wrote or found done."""
        with self._lock:
            self._read_new_records()
            return set(self._done.get(tenant, ()))

    def start(self, plan_hash: str, tenants: Iterable[str]) -> None:
        """Mark the start of a run, so that runs can be told apart when auditing."""
        self._append(
            [
                {
                    "at": _now(),
                    "event": "apply-started",
                    "plan": plan_hash,
                    "tenants": sorted(tenants),
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                }
            ]
        )

    def record(self, entries: Iterable[Entry]) -> None:
        """Append one batch's outcomes and make them durable before returning."""
        at = _now()
        self._append(
            [
                {
                    "at": at,
                    "tenant": entry.tenant,
                    "kind": entry.kind,
                    "id": entry.id,
                    "status": entry.status,
                    "fields": dict(entry.fields),
                    "detail": entry.detail,
                }
                for entry in entries
            ]
        )

    def _append(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        data = "".join(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
            for record in records
        ).encode()
        try:
            with self._lock:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    _write_all(fd, _after_torn_line(fd) + data)
                except OSError:
                    os.close(fd)
                    raise
            # Outside the lock, so that tenants' flushes overlap; each returns
            # only once its own lines are on disk.
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as error:
            raise JournalError(
                f"cannot write the apply journal {self.path}: {error.strerror}; "
                "stopped so that no write goes unrecorded; fix that and run "
                "the same apply again to resume"
            ) from error

    def _read_new_records(self) -> None:
        try:
            with self.path.open("rb") as stream:
                stream.seek(self._read_up_to)
                data = stream.read()
        except FileNotFoundError:
            return
        except OSError as error:
            raise JournalError(
                f"cannot read the apply journal {self.path}: {error.strerror}"
            ) from error
        # A line without its newline is still being written, or was torn by a
        # killed run; it is read again once the next record completes it.
        complete = data[: data.rfind(b"\n") + 1]
        self._read_up_to += len(complete)
        for line in complete.splitlines():
            self._take(line)

    def _take(self, line: bytes) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            # Only a killed run leaves a torn line; what it described is checked
            # live again, so skipping it loses nothing.
            log.debug("ignoring an unreadable line of %s", self.path)
            return
        if not isinstance(record, dict) or record.get("status") not in ACKNOWLEDGED:
            return
        tenant, kind, item_id = (
            record.get("tenant"),
            record.get("kind"),
            record.get("id"),
        )
        if (
            isinstance(tenant, str)
            and kind in ("incident", "alert")
            and isinstance(item_id, str)
        ):
            self._done.setdefault(tenant, set()).add((kind, item_id))


def _after_torn_line(fd: int) -> bytes:
    """A newline to end a line a killed run left unfinished, if there is one."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        return b"\n"
    return b""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

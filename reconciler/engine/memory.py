"""A live reader over items held in memory, counting requests as Graph would.

It stands in for `reconciler.live.TenantClient` where no tenant is reachable:
plans against a snapshot, tests, and benchmarks of the engine's own CPU cost. Its
request counts follow Graph's: one per page of 50 when listing, one per item
when reading or writing by id (each `$batch` item counts).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping

from reconciler.desired.models import FieldValue, Kind
from reconciler.engine.timestamps import format_ticks, to_ticks
from reconciler.live.records import (
    ListResult,
    LiveItem,
    ReadResult,
    WriteOutcome,
)

PAGE_SIZE = 50


class MemoryReader:
    """One tenant's incidents and alerts, read and written in memory."""

    def __init__(self, items: Iterable[LiveItem] = ()) -> None:
        self._items: dict[Kind, dict[str, LiveItem]] = {"incident": {}, "alert": {}}
        self._lock = threading.Lock()
        self._requests = 0
        self._last_ticks = 0
        self.writes: list[tuple[Kind, str, dict[str, FieldValue]]] = []
        for item in items:
            self._items[item.kind][item.id] = item

    @property
    def requests_made(self) -> int:
        return self._requests

    def item(self, kind: Kind, item_id: str) -> LiveItem:
        return self._items[kind][item_id]

    def put(self, item: LiveItem) -> None:
        """Add or replace an item as it is, as if Graph held it so."""
        with self._lock:
            self._items[item.kind][item.id] = item

    def edit(self, kind: Kind, item_id: str, **fields: FieldValue) -> LiveItem:
        """Change fields as an analyst in the portal would, bumping the update time."""
        with self._lock:
            return self._update(kind, item_id, fields)

    def count(self, kind: Kind) -> int:
        self._spend(1)
        return len(self._items[kind])

    def list_all(self, kind: Kind) -> ListResult:
        items = dict(self._items[kind])
        requests = self._pages(len(items))
        self._spend(requests)
        return ListResult(items=items, complete=True, error=None, requests=requests)

    def list_changed_since(self, kind: Kind, watermark: str) -> ListResult:
        since = to_ticks(watermark)
        if since is None:
            raise ValueError(f"not a timestamp: {watermark!r}")
        items = {
            item_id: item
            for item_id, item in self._items[kind].items()
            if (to_ticks(item.last_update) or 0) >= since
        }
        requests = self._pages(len(items))
        self._spend(requests)
        return ListResult(items=items, complete=True, error=None, requests=requests)

    def get_many(self, kind: Kind, ids: Iterable[str]) -> ReadResult:
        wanted = list(dict.fromkeys(ids))
        self._spend(len(wanted))
        known = self._items[kind]
        return ReadResult(
            items={item_id: known[item_id] for item_id in wanted if item_id in known},
            missing=frozenset(item_id for item_id in wanted if item_id not in known),
            unknown={},
            requests=len(wanted),
        )

    def patch_many(
        self, kind: Kind, bodies: Mapping[str, Mapping[str, FieldValue]]
    ) -> dict[str, WriteOutcome]:
        self._spend(len(bodies))
        outcomes: dict[str, WriteOutcome] = {}
        with self._lock:
            for item_id, body in bodies.items():
                if item_id not in self._items[kind]:
                    outcomes[item_id] = WriteOutcome(
                        id=item_id, ok=False, status=404, item=None, error="NotFound"
                    )
                    continue
                item = self._update(kind, item_id, body)
                self.writes.append((kind, item_id, dict(body)))
                outcomes[item_id] = WriteOutcome(
                    id=item_id, ok=True, status=200, item=item, error=None
                )
        return outcomes

    def _update(
        self, kind: Kind, item_id: str, changes: Mapping[str, FieldValue]
    ) -> LiveItem:
        current = self._items[kind][item_id]
        fields = dict(current.fields)
        for field, value in changes.items():
            fields[field] = (
                tuple(sorted(set(value))) if isinstance(value, tuple) else value
            )
        updated = LiveItem(
            kind=kind,
            id=item_id,
            fields=fields,
            last_update=self._next_timestamp(),
            redirect_incident_id=current.redirect_incident_id,
        )
        self._items[kind][item_id] = updated
        return updated

    def _next_timestamp(self) -> str:
        # Strictly increasing, like Graph's update times of successive writes.
        self._last_ticks = max(time.time_ns() // 100, self._last_ticks + 1)
        return format_ticks(self._last_ticks)

    def _spend(self, requests: int) -> None:
        with self._lock:
            self._requests += requests

    @staticmethod
    def _pages(count: int) -> int:
        return max(1, math.ceil(count / PAGE_SIZE))

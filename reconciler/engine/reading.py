"""Reading a tenant's declared items with as few Graph requests as possible.

Every request counts against the tenant's quota, including each item of a
`$batch`. Listing costs one request per page of 50 items, whatever is declared;
reading by id costs one request per declared item. The cheaper one wins.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from reconciler.desired.models import FieldValue, Kind, TenantSpec
from reconciler.engine.timestamps import newest
from reconciler.live.errors import (
    GraphError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
)
from reconciler.live.records import (
    ListResult,
    LiveItem,
    ReadResult,
    WriteOutcome,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 50
KINDS: tuple[Kind, ...] = ("incident", "alert")

Strategy = Literal["none", "ids", "pages"]

# Failures that concern one kind of item (a permission granted for incidents but
# not alerts, throttling that did not clear): that kind's items are unknown and
# the rest of the tenant goes on. Anything else (credentials, sign-in, TLS)
# stops the whole tenant.
KIND_ERRORS = (PermissionDeniedError, NotFoundError, TransientError, GraphError)


class LiveReader(Protocol):
    """One tenant's live items: `reconciler.live.TenantClient` or an in-memory one."""

    @property
    def requests_made(self) -> int: ...

    def count(self, kind: Kind) -> int: ...

    def list_all(self, kind: Kind) -> ListResult: ...

    def list_changed_since(self, kind: Kind, watermark: str) -> ListResult: ...

    def get_many(self, kind: Kind, ids: Iterable[str]) -> ReadResult: ...

    def patch_many(
        self, kind: Kind, bodies: Mapping[str, Mapping[str, FieldValue]]
    ) -> dict[str, WriteOutcome]: ...


ReaderFactory = Callable[[TenantSpec], LiveReader]


@dataclass(slots=True)
class KindRead:
    """What reading one kind of one tenant found for the declared ids."""

    items: dict[str, LiveItem] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    unknown: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    watermark: str | None = None
    strategy: Strategy = "none"


def cheaper_strategy(declared: int, live: int) -> Strategy:
    """Pages when listing everything takes fewer requests than reading by id."""
    pages = max(1, math.ceil(live / PAGE_SIZE))
    return "pages" if pages < declared else "ids"


def read_declared(reader: LiveReader, kind: Kind, ids: Collection[str]) -> KindRead:
    """Read the declared items of one kind; what cannot be read is unknown."""
    if not ids:
        return KindRead()
    start = reader.requests_made

    # Counting costs one request, which reading one or two ids by id never beats.
    strategy: Strategy = "ids"
    if len(ids) > 2:
        try:
            strategy = cheaper_strategy(len(ids), reader.count(kind))
        except KIND_ERRORS as error:
            log.debug("counting %ss failed (%s); reading by id", kind, error)

    try:
        if strategy == "pages":
            read = _read_by_listing(reader, kind, ids)
        else:
            read = _read_by_ids(reader, kind, ids)
    except KIND_ERRORS as error:
        log.warning("%ss could not be read: %s", kind, error)
        read = KindRead(unknown=dict.fromkeys(ids, str(error)))
    read.requests = reader.requests_made - start
    read.strategy = strategy
    log.debug(
        "read %d declared %ss %s in %d requests: %d found, %d missing, %d unknown",
        len(ids),
        kind,
        "by listing" if strategy == "pages" else "by id",
        read.requests,
        len(read.items),
        len(read.missing),
        len(read.unknown),
    )
    return read


def _read_by_listing(reader: LiveReader, kind: Kind, ids: Collection[str]) -> KindRead:
    listing = reader.list_all(kind)
    read = KindRead(watermark=_newest(listing.items.values()))
    for item_id in ids:
        item = listing.items.get(item_id)
        if item is not None:
            read.items[item_id] = item
        elif listing.complete:
            read.missing.add(item_id)
        else:
            read.unknown[item_id] = f"the listing stopped early: {listing.error}"
    return read


def _read_by_ids(reader: LiveReader, kind: Kind, ids: Collection[str]) -> KindRead:
    result = reader.get_many(kind, ids)
    read = KindRead(watermark=_newest(result.items.values()))
    for item_id in ids:
        item = result.items.get(item_id)
        if item is not None:
            read.items[item_id] = item
        elif item_id in result.missing:
            read.missing.add(item_id)
        else:
            read.unknown[item_id] = result.unknown.get(
                item_id, "Graph did not answer for it"
            )
    return read


def _newest(items: Collection[LiveItem]) -> str | None:
    return newest([item.last_update for item in items if item.last_update])

"""The Graph client of a run and its per-tenant views.

`GraphClient` owns what the run shares: the one HTTP client (used by MSAL for
tokens and by us for Graph) and the one token cache. `TenantClient` reads and
writes one tenant's incidents and alerts within that tenant's request budget.
Different tenants' clients may be used from different threads at once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msal

from reconciler.config import Endpoints
from reconciler.desired.models import Kind, TenantSpec
from reconciler.live.auth import TokenSource, load_credential
from reconciler.live.errors import GraphError, LiveError
from reconciler.live.http import build_http_client
from reconciler.live.paging import PAGE_SIZE, read_all_pages
from reconciler.live.quota import SERVER_WINDOW_S, Quota, QuotaShape
from reconciler.live.records import (
    ListResult,
    LiveItem,
    ReadResult,
    WriteOutcome,
    parse_item,
)
from reconciler.live.resources import RESOURCES
from reconciler.live.retrying import RetryPolicy
from reconciler.live.sending import GRAPH_SETTING, Reply, Sender, Tally, batch_request

logger = logging.getLogger(__name__)

# One worker thread per tenant may each hold a connection; hundreds of tenants
# are possible.
DEFAULT_MAX_CONNECTIONS = 256
# What Graph sends as lastUpdateDateTime, and so what a watermark may be.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_T = TypeVar("_T")


class GraphClient:
    """One run's connection to the identity platform and Graph.

    `transport` replaces the network for in-process tests. `quota_window_s` is
    what each tenant's quota_per_minute is counted over: a minute, which only
    tests shorten, together with the emulator's window.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        quota_window_s: float = SERVER_WINDOW_S,
    ) -> None:
        if not endpoints.graph_url.lower().startswith("https://"):
            raise LiveError(
                f"the Graph URL {endpoints.graph_url} is not an https URL; tokens "
                f"are never sent in the clear, so set {GRAPH_SETTING} to an https URL"
            )
        self.endpoints = endpoints
        self._retry = retry or RetryPolicy()
        self._quota_window_s = quota_window_s
        self._http = build_http_client(
            ca_bundle=endpoints.ca_bundle,
            timeout=timeout,
            max_connections=max_connections,
            transport=transport,
        )
        self._cache = msal.TokenCache()
        self._lock = threading.Lock()
        self._tenants: dict[str, TenantClient] = {}

    def __repr__(self) -> str:
        return f"GraphClient(graph_url={self.endpoints.graph_url!r})"

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def tenant(self, spec: TenantSpec) -> TenantClient:
        """The client for one tenant; its credential is loaded and checked now.

        Raises `CredentialError` before any request when the credential is
        missing or unusable. Asking twice for a tenant gives the same client, so
        that it keeps one request budget.
        """
        with self._lock:
            known = self._tenants.get(spec.slug)
        if known is not None:
            return known

        credential = load_credential(spec)
        tokens = TokenSource(
            spec,
            credential,
            authority_host=self.endpoints.authority_host,
            graph_url=self.endpoints.graph_url,
            http=self._http,
            cache=self._cache,
            retry=self._retry,
        )
        sender = Sender(
            spec,
            http=self._http,
            graph_url=self.endpoints.graph_url,
            tokens=tokens,
            quota=Quota(
                QuotaShape.for_quota(
                    spec.quota_per_minute, window_s=self._quota_window_s
                )
            ),
            retry=self._retry,
        )
        with self._lock:
            return self._tenants.setdefault(spec.slug, TenantClient(spec, sender))


class TenantClient:
    """Reads and writes one tenant's incidents and alerts."""

    def __init__(self, spec: TenantSpec, sender: Sender) -> None:
        self.spec = spec
        self._sender = sender
        self._lock = threading.Lock()
        # The first page `count` read, kept for a listing of that kind that
        # comes right after it; any other call drops it.
        self._first_page: tuple[Kind, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"TenantClient(tenant={self.spec.slug!r})"

    @property
    def requests_made(self) -> int:
        """Graph requests so far, in quota units: each `$batch` item counts one."""
        return self._sender.requests_made

    def count(self, kind: Kind) -> int:
        """How many items of a kind the tenant holds, in one request.

        The request also asks for the first page, the one a listing would read
        first: counting is followed by listing when the count shows listing to
        be cheaper, and that listing then starts from the second page.
        """
        resource = RESOURCES[kind]
        self._claim_first_page(None)
        tally = Tally()
        body = self._sender.get_json(
            f"{self._sender.graph_url}{resource.path}",
            resource=resource,
            what=f"counting {resource.plural}",
            tally=tally,
            params={"$count": "true", "$top": str(PAGE_SIZE)},
        )
        count = body.get("@odata.count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise GraphError(
                f"Graph did not count the {resource.plural} of tenant {self.spec.slug} "
                "(no @odata.count in its answer)"
            )
        with self._lock:
            self._first_page = (kind, body)
        logger.info(
            "%s: %s %s live (%s)",
            self.spec.slug,
            f"{count:,}",
            resource.plural,
            _requests(tally.requests),
        )
        return count

    def list_all(self, kind: Kind) -> ListResult:
        """Every item of a kind, page by page."""
        resource = RESOURCES[kind]
        tally = Tally()
        result = read_all_pages(
            self._sender,
            resource,
            params={},
            what=f"listing {resource.plural}",
            tally=tally,
            first_page=self._claim_first_page(kind),
        )
        self._log_listing(result, f"{resource.plural}")
        return result

    def list_changed_since(self, kind: Kind, watermark: str) -> ListResult:
        """Every item of a kind updated at or after `watermark` (a Graph timestamp)."""
        self._claim_first_page(None)
        if not _TIMESTAMP.fullmatch(watermark):
            raise LiveError(
                f"{watermark!r} is not a timestamp Graph can filter on; expected one "
                "like 2026-11-30T08:00:00.0000000Z, as Graph sends lastUpdateDateTime"
            )
        resource = RESOURCES[kind]
        tally = Tally()
        result = read_all_pages(
            self._sender,
            resource,
            # A DateTimeOffset literal is unquoted in OData.
            params={"$filter": f"lastUpdateDateTime ge {watermark}"},
            what=f"listing {resource.plural} changed since {watermark}",
            tally=tally,
        )
        self._log_listing(result, f"{resource.plural} changed since {watermark}")
        return result

    def get_many(self, kind: Kind, ids: Iterable[str]) -> ReadResult:
        """Items by id, through `$batch`: found, missing (404) or unknown (why)."""
        self._claim_first_page(None)
        resource = RESOURCES[kind]
        tally = Tally()
        wanted = list(dict.fromkeys(ids))
        items: dict[str, LiveItem] = {}
        missing: set[str] = set()
        unknown: dict[str, str] = {}

        for chunk in _chunks(wanted, self._sender.batch_size):
            requests = {
                str(number): batch_request(
                    str(number), "GET", resource.item_path(item_id)
                )
                for number, item_id in enumerate(chunk, start=1)
            }
            try:
                replies = self._sender.batch(
                    requests, what=f"reading {resource.plural}", tally=tally
                )
            except GraphError as error:
                unknown.update(dict.fromkeys(chunk, str(error)))
                continue
            for number, item_id in enumerate(chunk, start=1):
                reply = replies[str(number)]
                if reply.status == 200:
                    try:
                        items[item_id] = parse_item(kind, reply.body)
                    except GraphError as error:
                        unknown[item_id] = str(error)
                elif reply.status == 404:
                    missing.add(item_id)
                elif reply.status == 403:
                    raise self._sender.permission_error(resource, reply)
                else:
                    unknown[item_id] = reply.describe()

        logger.info(
            "%s: read %s of %s %s by id (%s); %d missing, %d unknown",
            self.spec.slug,
            f"{len(items):,}",
            f"{len(wanted):,}",
            resource.plural,
            _requests(tally.requests),
            len(missing),
            len(unknown),
        )
        return ReadResult(
            items=items,
            missing=frozenset(missing),
            unknown=unknown,
            requests=tally.requests,
        )

    def patch_many(
        self, kind: Kind, bodies: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, WriteOutcome]:
        """Write each item's fields through `$batch`; what Graph answered to each.

        Raises `LiveError` only when nothing reached Graph (sign-in, TLS,
        connection); once anything may have been written, failures become
        outcomes so that no answer is lost.
        """
        self._claim_first_page(None)
        resource = RESOURCES[kind]
        tally = Tally()
        outcomes: dict[str, WriteOutcome] = {}
        ids = list(bodies)

        for start in range(0, len(ids), self._sender.batch_size):
            chunk = ids[start : start + self._sender.batch_size]
            requests = {
                str(number): batch_request(
                    str(number),
                    "PATCH",
                    resource.item_path(item_id),
                    body=_wire_body(bodies[item_id]),
                )
                for number, item_id in enumerate(chunk, start=1)
            }
            try:
                replies = self._sender.batch(
                    requests, what=f"writing {resource.plural}", tally=tally
                )
            except LiveError as error:
                if not outcomes:
                    raise
                for item_id in ids[start:]:
                    outcomes[item_id] = _failed(item_id, 0, str(error))
                break
            for number, item_id in enumerate(chunk, start=1):
                outcomes[item_id] = self._outcome(kind, item_id, replies[str(number)])

        written = sum(outcome.ok for outcome in outcomes.values())
        logger.info(
            "%s: wrote %s of %s %s (%s); %d failed",
            self.spec.slug,
            f"{written:,}",
            f"{len(ids):,}",
            resource.plural,
            _requests(tally.requests),
            len(ids) - written,
        )
        return outcomes

    def _claim_first_page(self, kind: Kind | None) -> dict[str, Any] | None:
        """The page `count` kept, for a listing of `kind`; dropped in any case."""
        with self._lock:
            kept, self._first_page = self._first_page, None
        if kept is None or kept[0] != kind:
            return None
        return kept[1]

    def _outcome(self, kind: Kind, item_id: str, reply: Reply) -> WriteOutcome:
        resource = RESOURCES[kind]
        if reply.status in (200, 201):
            try:
                item: LiveItem | None = parse_item(kind, reply.body)
            except GraphError:
                # Written all the same; the engine re-reads what it must check.
                item = None
            return WriteOutcome(
                id=item_id, ok=True, status=reply.status, item=item, error=None
            )
        if reply.status == 204:
            return WriteOutcome(id=item_id, ok=True, status=204, item=None, error=None)
        if reply.status == 403:
            error = str(self._sender.permission_error(resource, reply))
        elif reply.status == 404:
            error = (
                f"{resource.kind} {item_id} does not exist in tenant "
                f"{self.spec.slug} ({reply.describe()})"
            )
        else:
            error = f"Graph refused the change ({reply.describe()})"
        return _failed(item_id, reply.status, error)

    def _log_listing(self, result: ListResult, what: str) -> None:
        if result.complete:
            logger.info(
                "%s: read %s %s (%s)",
                self.spec.slug,
                f"{len(result.items):,}",
                what,
                _requests(result.requests),
            )
            return
        logger.warning(
            "%s: listing %s stopped after %s items (%s): %s",
            self.spec.slug,
            what,
            f"{len(result.items):,}",
            _requests(result.requests),
            result.error,
        )


def _wire_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A PATCH body: tags as a JSON list, an unassigned assignee as null."""
    return {
        name: sorted(value)
        if isinstance(value, tuple | list | set | frozenset)
        else value
        for name, value in fields.items()
    }


def _failed(item_id: str, status: int, error: str) -> WriteOutcome:
    return WriteOutcome(id=item_id, ok=False, status=status, item=None, error=error)


def _chunks(values: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _requests(count: int) -> str:
    return f"{count:,} request" + ("" if count == 1 else "s")

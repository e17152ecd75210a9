"""Reading a whole collection, page after page, by following `@odata.nextLink`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.live.errors import GraphError, TransientError
from reconciler.live.records import ListResult, LiveItem, parse_item
from reconciler.live.resources import Resource
from reconciler.live.sending import Sender, Tally

# Graph refuses a larger $top on incidents.
PAGE_SIZE = 50


def read_all_pages(
    sender: Sender,
    resource: Resource,
    *,
    params: Mapping[str, str],
    what: str,
    tally: Tally,
    first_page: Mapping[str, Any] | None = None,
) -> ListResult:
    """Every item of the collection, or those read before a failure.

    A failure that may clear (throttling or an outage beyond the retry budget)
    or a malformed page ends the listing as incomplete; the engine treats what
    was not read as unknown, never as absent. Failures of the tenant's setup
    (sign-in, permission, TLS) are raised. `first_page` is the collection's
    first page when it was just read by another request (see `count`).
    """
    items: dict[str, LiveItem] = {}
    url = f"{sender.graph_url}{resource.path}"
    query: Mapping[str, str] | None = {"$top": str(PAGE_SIZE), **params}
    seen: set[str] = set()
    page: Mapping[str, Any] | None = first_page

    while True:
        try:
            if page is None:
                page = sender.get_json(
                    url, resource=resource, what=what, tally=tally, params=query
                )
            _take_page(page, resource, items)
        except (TransientError, GraphError) as error:
            return _incomplete(items, str(error), tally)

        next_link = page.get("@odata.nextLink")
        if next_link is None:
            return ListResult(
                items=items, complete=True, error=None, requests=tally.requests
            )
        if not isinstance(next_link, str) or not sender.is_own(next_link):
            return _incomplete(
                items,
                f"Graph's next-page link for {what} in tenant {sender.spec.slug} "
                f"leads away from {sender.graph_url}; the listing stopped there "
                "rather than send the token elsewhere",
                tally,
            )
        if next_link in seen:
            return _incomplete(
                items,
                f"Graph's next-page link for {what} in tenant {sender.spec.slug} "
                "repeats an earlier page; the listing stopped there",
                tally,
            )
        seen.add(next_link)
        # The link already holds the whole query; it is followed exactly as given.
        url, query, page = next_link, None, None


def _take_page(
    page: Mapping[str, object], resource: Resource, items: dict[str, LiveItem]
) -> None:
    values = page.get("value")
    if not isinstance(values, list):
        raise GraphError(f"Graph sent a page of {resource.plural} without a value list")
    for raw in values:
        item = parse_item(resource.kind, raw)
        items[item.id] = item


def _incomplete(items: dict[str, LiveItem], error: str, tally: Tally) -> ListResult:
    return ListResult(items=items, complete=False, error=error, requests=tally.requests)

"""Microsoft Graph /v1.0/security: incidents, alerts_v2, their items, and $batch.

Every Graph request, alone or inside a $batch, goes through `Graph.request`:
count it, take a quota slot, check the caller's roles, then act. The caller's
tenant comes only from its token, so one tenant's token never sees another's data.
Callers hold `store.lock` around every method here.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from reconciler.emulator import enums
from reconciler.emulator.identity import Principal
from reconciler.emulator.limits import Limits, Quota, retry_after_header
from reconciler.emulator.odata import ENTITY_TYPE, ODataError, parse_query
from reconciler.emulator.store import Item, Kind, Store, Tenant

MAX_BATCH = 20
PREFER_UNKNOWN = "include-unknown-enum-members"

_COLLECTIONS: dict[str, Kind] = {"incidents": "incident", "alerts_v2": "alert"}
_COLLECTION_OF: dict[Kind, str] = {"incident": "incidents", "alert": "alerts_v2"}
_ROUTE = re.compile(
    r"^/security/(incidents|alerts_v2)(?:/([^/]+)(?:/(comments|alerts))?)?/?$"
)
_READ_ROLES: dict[Kind, tuple[str, ...]] = {
    "incident": ("SecurityIncident.Read.All", "SecurityIncident.ReadWrite.All"),
    "alert": ("SecurityAlert.Read.All", "SecurityAlert.ReadWrite.All"),
}
_WRITE_ROLES: dict[Kind, tuple[str, ...]] = {
    "incident": ("SecurityIncident.ReadWrite.All",),
    "alert": ("SecurityAlert.ReadWrite.All",),
}
_WRITABLE: dict[Kind, frozenset[str]] = {
    "incident": frozenset(
        {"assignedTo", "classification", "determination", "status", "customTags"}
    ),
    "alert": frozenset({"assignedTo", "classification", "determination", "status"}),
}
_ENUM_TYPES = {
    "classification": (enums.CLASSIFICATION, "alertClassification"),
    "determination": (enums.DETERMINATION, "alertDetermination"),
}
_STATUS_TYPES: dict[Kind, tuple[tuple[str, ...], str, frozenset[str]]] = {
    "incident": (
        enums.INCIDENT_STATUS,
        "incidentStatus",
        enums.WRITABLE_INCIDENT_STATUS,
    ),
    "alert": (enums.ALERT_STATUS, "alertStatus", enums.WRITABLE_ALERT_STATUS),
}
_HIDDEN: dict[Kind, dict[str, frozenset[str]]] = {
    "incident": {"status": enums.hidden_members(enums.INCIDENT_STATUS)},
    "alert": {
        "serviceSource": enums.hidden_members(enums.SERVICE_SOURCE),
        "detectionSource": enums.hidden_members(enums.DETECTION_SOURCE),
    },
}


@dataclass(frozen=True)
class Caller:
    """One Graph request's identity and the request-scoped headers that matter."""

    principal: Principal
    base_url: str
    include_unknown: bool = False
    client_request_id: str | None = None

    @property
    def author(self) -> str:
        # How the portal names changes an application made.
        return f"API-App:{self.principal.app_id}"


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def wants_unknown_members(prefer: str | None) -> bool:
    if not prefer:
        return False
    return any(p.strip().lower() == PREFER_UNKNOWN for p in prefer.split(","))


def graph_error(
    status: int,
    code: str,
    message: str,
    client_request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Graph's error body (graph-api.md 4.2)."""
    request_id = str(uuid.uuid4())
    return Reply(
        status,
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": client_request_id or request_id,
                },
            }
        },
        {"request-id": request_id, **(headers or {})},
    )


class Graph:
    """The security API over the store, with quota applied per request."""

    def __init__(
        self,
        store: Store,
        quota: Quota,
        limits: Callable[[], Limits],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._quota = quota
        self._limits = limits
        self._clock = clock

    def request(
        self, caller: Caller, method: str, path: str, query: str, body: Any
    ) -> Reply:
        """One Graph request (an HTTP request or one $batch item)."""
        route = _ROUTE.match(path)
        counters = self._store.counters_for(caller.principal.tenant_id)
        counters.graph_requests += 1
        counters.requests[_request_key(method, route)] += 1

        limits = self._limits()
        wait = self._quota.acquire(
            (caller.principal.app_id, caller.principal.tenant_id),
            limits.quota_per_minute,
            limits.quota_window_s,
            self._clock(),
        )
        if wait is not None:
            counters.throttled += 1
            return graph_error(
                429,
                "TooManyRequests",
                "Please retry again later.",
                caller.client_request_id,
                {"Retry-After": retry_after_header(wait)},
            )

        tenant = self._store.tenants.get(caller.principal.tenant_id)
        if route is None or tenant is None:
            return graph_error(
                400,
                "BadRequest",
                f"Resource not found for the segment '{path.strip('/')}'.",
                caller.client_request_id,
            )
        return self._dispatch(caller, tenant, method, route, query, body)

    def batch(self, caller: Caller, body: Any) -> Reply:
        """POST /$batch: up to 20 items, each counted and throttled on its own."""
        counters = self._store.counters_for(caller.principal.tenant_id)
        counters.requests["POST batch"] += 1
        checked = _check_batch(body)
        if isinstance(checked, str):
            return graph_error(400, "BadRequest", checked, caller.client_request_id)

        outcomes: dict[str, Reply] = {}
        for entry in checked:
            outcomes[entry["id"]] = self._batch_item(caller, entry, outcomes)
        # Items ran in dependency order; they are answered in request order.
        return Reply(
            200,
            {
                "responses": [
                    {
                        "id": entry["id"],
                        "status": outcomes[entry["id"]].status,
                        "headers": {
                            "Content-Type": "application/json",
                            **outcomes[entry["id"]].headers,
                        },
                        "body": outcomes[entry["id"]].body,
                    }
                    for entry in body["requests"]
                ]
            },
        )

    def _batch_item(
        self, caller: Caller, entry: Mapping[str, Any], outcomes: Mapping[str, Reply]
    ) -> Reply:
        failed = [d for d in entry.get("dependsOn", ()) if outcomes[d].status >= 400]
        if failed:
            return graph_error(
                424,
                "FailedDependency",
                f"The request depends on request '{failed[0]}', which failed.",
                caller.client_request_id,
            )
        headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
        item_caller = replace(
            caller, include_unknown=wants_unknown_members(headers.get("prefer"))
        )
        path, _, query = entry["url"].partition("?")
        return self.request(
            item_caller,
            entry["method"].upper(),
            unquote(path),
            query,
            entry.get("body"),
        )

    def _dispatch(
        self,
        caller: Caller,
        tenant: Tenant,
        method: str,
        route: re.Match[str],
        query: str,
        body: Any,
    ) -> Reply:
        collection, item_id, sub = route.groups()
        kind = _COLLECTIONS[collection]
        if item_id is None:
            if method != "GET":
                return _method_not_allowed(caller, method)
            return self._guarded(
                caller, _READ_ROLES[kind], self._list, tenant, kind, query
            )
        if sub == "alerts" and kind == "incident" and method == "GET":
            return self._guarded(
                caller,
                _READ_ROLES["alert"],
                self._list,
                tenant,
                "alert",
                query,
                item_id,
            )
        if sub == "comments" and method == "POST":
            return self._guarded(
                caller, _WRITE_ROLES[kind], self._comment, tenant, kind, item_id, body
            )
        if sub is None and method == "GET":
            return self._guarded(
                caller, _READ_ROLES[kind], self._get, tenant, kind, item_id, query
            )
        if sub is None and method == "PATCH":
            return self._guarded(
                caller, _WRITE_ROLES[kind], self._patch, tenant, kind, item_id, body
            )
        return _method_not_allowed(caller, method)

    def _guarded(
        self,
        caller: Caller,
        roles: tuple[str, ...],
        action: Callable[..., Reply],
        *args: Any,
    ) -> Reply:
        if caller.principal.roles.isdisjoint(roles):
            granted = ", ".join(sorted(caller.principal.roles))
            return graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation. Missing "
                f"application roles. API required roles: {', '.join(roles)}. "
                f"Application roles: {granted}.",
                caller.client_request_id,
            )
        try:
            return action(caller, *args)
        except ODataError as error:
            return graph_error(400, "BadRequest", str(error), caller.client_request_id)

    def _list(
        self,
        caller: Caller,
        tenant: Tenant,
        kind: Kind,
        query_string: str,
        within_incident: str | None = None,
    ) -> Reply:
        query = parse_query(query_string, kind, listing=True)
        if within_incident is not None and within_incident not in tenant.incidents:
            return _not_found(caller, "incident", within_incident)
        ids = (
            tenant.order[kind]
            if within_incident is None
            else tenant.alerts_of.get(within_incident, [])
        )
        items = tenant.items(kind)
        size = query.page_size()
        if query.filter is None:
            total = len(ids)
            page = [items[i] for i in ids[query.skip : query.skip + size]]
        else:
            matches = [
                item for item in map(items.__getitem__, ids) if query.filter(item)
            ]
            total = len(matches)
            page = matches[query.skip : query.skip + size]

        collection = _COLLECTION_OF[kind]
        body: dict[str, Any] = {
            "@odata.context": f"{caller.base_url}/v1.0/$metadata#security/{collection}"
        }
        if query.count:
            body["@odata.count"] = total
        body["value"] = [
            self._render(caller, tenant, kind, item, query.expand_alerts)
            for item in page
        ]
        if query.skip + size < total:
            path = f"security/{collection}"
            if within_incident is not None:
                path = f"security/incidents/{within_incident}/alerts"
            body["@odata.nextLink"] = (
                f"{caller.base_url}/v1.0/{path}?{query.next_query()}"
            )
        return Reply(200, body)

    def _get(
        self, caller: Caller, tenant: Tenant, kind: Kind, item_id: str, query: str
    ) -> Reply:
        options = parse_query(query, kind, listing=False)
        item = tenant.items(kind).get(item_id)
        if item is None:
            return _not_found(caller, kind, item_id)
        return Reply(
            200, self._entity(caller, tenant, kind, item, options.expand_alerts)
        )

    def _patch(
        self, caller: Caller, tenant: Tenant, kind: Kind, item_id: str, body: Any
    ) -> Reply:
        item = tenant.items(kind).get(item_id)
        if item is None:
            return _not_found(caller, kind, item_id)
        changes = _validated_changes(kind, item, body)
        if isinstance(changes, str):
            return graph_error(400, "BadRequest", changes, caller.client_request_id)

        item = tenant.writable(kind, item_id)
        stamp = tenant.stamp()
        if kind == "alert" and "status" in changes:
            resolved = changes["status"] == "resolved"
            if resolved != (item["status"] == "resolved"):
                item["resolvedDateTime"] = stamp if resolved else None
        item.update(changes)
        item["lastUpdateDateTime"] = stamp
        item["lastModifiedBy"] = caller.author
        self._store.record_write(
            tenant, kind, item_id, changes, stamp, caller.principal.tenant_id
        )
        return Reply(200, self._entity(caller, tenant, kind, item, False))

    def _comment(
        self, caller: Caller, tenant: Tenant, kind: Kind, item_id: str, body: Any
    ) -> Reply:
        item = tenant.items(kind).get(item_id)
        if item is None:
            return _not_found(caller, kind, item_id)
        text = body.get("comment") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return graph_error(
                400,
                "BadRequest",
                "The request body must be an alertComment with a non-empty 'comment'.",
                caller.client_request_id,
            )
        item = tenant.writable(kind, item_id)
        stamp = tenant.stamp()
        comment = {
            "@odata.type": "microsoft.graph.security.alertComment",
            "comment": text,
            "createdByDisplayName": caller.author,
            "createdDateTime": stamp,
        }
        item["comments"] = [*(item.get("comments") or []), comment]
        item["lastUpdateDateTime"] = stamp
        item["lastModifiedBy"] = caller.author
        self._store.record_write(
            tenant, kind, item_id, {"comment": text}, stamp, caller.principal.tenant_id
        )
        return Reply(
            200,
            {
                "@odata.context": f"{caller.base_url}/v1.0/$metadata#Collection("
                "microsoft.graph.security.alertComment)",
                "value": item["comments"],
            },
        )

    def _entity(
        self, caller: Caller, tenant: Tenant, kind: Kind, item: Item, expand: bool
    ) -> dict[str, Any]:
        context = (
            f"{caller.base_url}/v1.0/$metadata#security/{_COLLECTION_OF[kind]}/$entity"
        )
        return {
            "@odata.context": context,
            **self._render(caller, tenant, kind, item, expand),
        }

    def _render(
        self, caller: Caller, tenant: Tenant, kind: Kind, item: Item, expand: bool
    ) -> dict[str, Any]:
        shown: dict[str, Any] = {"@odata.type": f"#{ENTITY_TYPE[kind]}", **item}
        if not caller.include_unknown:
            for name, hidden in _HIDDEN[kind].items():
                if shown.get(name) in hidden:
                    shown[name] = enums.SENTINEL
        if expand:
            shown["alerts"] = [
                self._render(caller, tenant, "alert", tenant.alerts[alert_id], False)
                for alert_id in tenant.alerts_of.get(item["id"], ())
            ]
        return shown


def _request_key(method: str, route: re.Match[str] | None) -> str:
    if route is None:
        return f"{method} other"
    _, item_id, sub = route.groups()
    if method == "GET" and (item_id is None or sub == "alerts"):
        return "GET list"
    if method == "GET" and sub is None:
        return "GET item"
    if method == "PATCH" and sub is None:
        return "PATCH"
    if method == "POST" and sub == "comments":
        return "POST comments"
    return f"{method} other"


def _validated_changes(kind: Kind, item: Item, body: Any) -> dict[str, Any] | str:
    """The fields a PATCH body sets, canonical; or why Graph refuses it."""
    entity = ENTITY_TYPE[kind]
    if not isinstance(body, dict):
        return "Empty Payload. JSON content expected."
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name == "@odata.type":
            continue
        if name not in _WRITABLE[kind]:
            if name in item:
                return f"The property '{name}' of '{entity}' is read-only."
            return (
                f"The property '{name}' does not exist on type '{entity}'. Make sure "
                "to only use property names that are defined by the type."
            )
        converted = _converted(kind, name, value)
        if isinstance(converted, _Refusal):
            return converted.message
        changes[name] = converted

    status = changes.get("status")
    if status is not None:
        writable = _STATUS_TYPES[kind][2]
        if item.get("status") == "redirected":
            return (
                f"Cannot update the status of incident {item['id']}: it was merged "
                f"into incident {item.get('redirectIncidentId')} (status redirected)."
            )
        if status not in writable:
            return (
                f"Status '{status}' cannot be set through the API; allowed values "
                f"are {', '.join(sorted(writable))}."
            )
    determination = changes.get("determination")
    if determination in enums.DEPRECATED_DETERMINATIONS:
        return (
            f"The determination '{determination}' is deprecated and can no longer "
            "be set."
        )
    for name in ("classification", "determination"):
        if changes.get(name) == enums.SENTINEL:
            return f"'{enums.SENTINEL}' cannot be set as the {name}."
    if "classification" in changes or "determination" in changes:
        classification = changes.get("classification", item.get("classification"))
        determination = changes.get("determination", item.get("determination"))
        allowed = enums.ALLOWED_DETERMINATIONS.get(classification or "unknown")
        if allowed is not None and (determination or "unknown") not in allowed:
            return (
                f"The determination '{determination}' is not valid for the "
                f"classification '{classification}'; valid determinations are "
                f"{', '.join(sorted(allowed))}."
            )
    return changes


@dataclass(frozen=True)
class _Refusal:
    message: str


def _converted(kind: Kind, name: str, value: Any) -> Any:
    if name == "assignedTo":
        if value is None or isinstance(value, str):
            return value
        return _Refusal("The property 'assignedTo' must be a string or null.")
    if name == "customTags":
        if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
            return list(value)
        return _Refusal("The property 'customTags' must be a collection of strings.")
    if name == "status":
        members, type_name, _ = _STATUS_TYPES[kind]
    else:
        members, type_name = _ENUM_TYPES[name]
    # The documented update example sends PascalCase ("TruePositive"), so
    # members are matched case-insensitively and stored camelCase.
    member = enums.canonical(members, value) if isinstance(value, str) else None
    if member is None:
        return _Refusal(
            f"Cannot convert the literal '{value}' to the expected type "
            f"'microsoft.graph.security.{type_name}'."
        )
    return member


def _check_batch(body: Any) -> list[dict[str, Any]] | str:
    """The items in the order to run them, or why the whole batch is refused."""
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        return "Invalid batch payload format: a non-empty 'requests' array is required."
    if len(requests) > MAX_BATCH:
        return (
            f"Number of batch requests ({len(requests)}) exceeded the limit of "
            f"{MAX_BATCH}."
        )
    seen: dict[str, str] = {}
    for entry in requests:
        problem = _batch_entry_problem(entry)
        if problem is not None:
            return problem
        key = entry["id"].lower()
        if key in seen:
            return f"Batch request ids must be unique; '{entry['id']}' is repeated."
        seen[key] = entry["id"]
    for entry in requests:
        for dependency in entry.get("dependsOn", ()):
            if not isinstance(dependency, str) or dependency.lower() not in seen:
                return (
                    f"Request '{entry['id']}' depends on '{dependency}', which is "
                    "not in the batch."
                )
    # dependsOn may name ids in any case; refer to them as written in "id".
    for entry in requests:
        if "dependsOn" in entry:
            entry["dependsOn"] = [seen[d.lower()] for d in entry["dependsOn"]]
    ordered = _in_dependency_order(requests)
    if len(ordered) < len(requests):
        return "The dependsOn relations in the batch form a cycle."
    return ordered


def _batch_entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "Each batch request must be a JSON object."
    if not isinstance(entry.get("id"), str) or not entry["id"]:
        return "Each batch request needs a string 'id'."
    if not isinstance(entry.get("method"), str):
        return f"Batch request '{entry['id']}' needs a 'method'."
    url = entry.get("url")
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("/$batch"):
        return (
            f"Batch request '{entry['id']}' needs a relative 'url' such as "
            "'/security/incidents/123'."
        )
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(v, str) for v in headers.values()
    ):
        return f"Batch request '{entry['id']}' has 'headers' that are not strings."
    if "body" in entry and "content-type" not in {k.lower() for k in headers}:
        return (
            f"Batch request '{entry['id']}' has a body, so its headers must "
            "include Content-Type."
        )
    depends = entry.get("dependsOn", [])
    if not isinstance(depends, list):
        return f"Batch request '{entry['id']}' has a 'dependsOn' that is not a list."
    return None


def _in_dependency_order(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request order, except that an item runs after what it depends on."""
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    progress = True
    while progress and len(ordered) < len(requests):
        progress = False
        for entry in requests:
            if entry["id"] in done:
                continue
            if all(d in done for d in entry.get("dependsOn", ())):
                done.add(entry["id"])
                ordered.append(entry)
                progress = True
    return ordered


def _not_found(caller: Caller, kind: Kind, item_id: str) -> Reply:
    noun = "Incident" if kind == "incident" else "Alert"
    return graph_error(
        404, "NotFound", f"{noun} '{item_id}' was not found.", caller.client_request_id
    )


def _method_not_allowed(caller: Caller, method: str) -> Reply:
    return graph_error(
        405,
        "Request_BadRequest",
        f"The HTTP method '{method}' is not allowed for this resource.",
        caller.client_request_id,
    )

"""The emulator as one ASGI application: identity, Graph and the test hooks.

Order of work for a Graph request: latency, token, HTTP-level counters, fault
draw, the request itself (counted before any byte of the response is sent),
then the response, which a fault may delay or cut off after the work is done:
a write whose response was lost has still happened, as with the real service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from reconciler.emulator.graph import (
    Caller,
    Graph,
    Reply,
    graph_error,
    wants_unknown_members,
)
from reconciler.emulator.identity import (
    IdentityReply,
    Principal,
    TokenService,
    discovery_document,
    issue_for_client,
    parse_basic_auth,
    tenant_not_found,
)
from reconciler.emulator.limits import FaultPlan, Limits, Quota, retry_after_header
from reconciler.emulator.store import Store

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = "application/json"


class ConnectionDropped(Exception):
    """Raised after the response has started, so the server cuts the connection."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from logging the connections the emulator cuts on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.exc_info[0] is ConnectionDropped)


_uvicorn_errors = logging.getLogger("uvicorn.error")
if not any(isinstance(f, _QuietDrops) for f in _uvicorn_errors.filters):
    _uvicorn_errors.addFilter(_QuietDrops())


class Emulator:
    """The ASGI app and all state behind it."""

    def __init__(self, store: Store, limits: Limits) -> None:
        self.store = store
        self.tokens = TokenService()
        self.default_limits = limits
        self.limits = limits
        self.quota = Quota()
        self.faults = FaultPlan()
        self.graph = Graph(store, self.quota, lambda: self.limits)

    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()
            self.limits = self.default_limits
            self.quota.clear()
            self.faults.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = _Request(scope, await _read_body(receive))
        path = request.path
        if path.startswith("/_emulator/"):
            reply = self._control(request)
        else:
            if self.limits.latency_ms > 0:
                await asyncio.sleep(self.limits.latency_ms / 1000)
            if path.startswith("/v1.0/"):
                await self._graph(request, send)
                return
            reply = self._identity(request)
        await _send_reply(send, reply)

    async def _graph(self, request: _Request, send: Send) -> None:
        principal = self._authenticate(request)
        if not isinstance(principal, Principal):
            await _send_reply(send, principal)
            return
        client_request_id = request.header("client-request-id")
        limits = self.limits
        with self.store.lock:
            counters = self.store.counters_for(principal.tenant_id)
            counters.http_requests += 1
            fault = self.faults.draw(
                principal.tenant_id, limits.fault_rate, limits.fault_seed
            )
            if fault is not None:
                counters.faults += 1
            if fault in ("unavailable", "server_error"):
                reply = _fault_reply(fault, limits, client_request_id)
            else:
                reply = self._run_graph(request, principal, client_request_id)

        if fault == "slow":
            await asyncio.sleep(limits.slow_response_s)
        if fault == "dropped":
            await send(
                {
                    "type": "http.response.start",
                    "status": reply.status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            raise ConnectionDropped
        await _send_reply(send, reply)

    def _run_graph(
        self, request: _Request, principal: Principal, client_request_id: str | None
    ) -> Reply:
        caller = Caller(
            principal=principal,
            base_url=request.base_url,
            include_unknown=wants_unknown_members(request.header("prefer")),
            client_request_id=client_request_id,
        )
        body: Any = None
        if request.body:
            try:
                body = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                return graph_error(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload. Please ensure Content-Type "
                    "header is set and payload is of valid JSON format.",
                    client_request_id,
                )
        graph_path = request.path[len("/v1.0") :]
        if graph_path == "/$batch":
            if request.method != "POST":
                return graph_error(405, "BadRequest", "$batch takes POST only.")
            return self.graph.batch(caller, body)
        return self.graph.request(
            caller, request.method, graph_path, request.query, body
        )

    def _authenticate(self, request: _Request) -> Principal | Reply:
        header = request.header("authorization") or ""
        scheme, _, token = header.partition(" ")
        client_request_id = request.header("client-request-id")
        if scheme.lower() != "bearer" or not token.strip():
            with self.store.lock:
                self.store.unattributed.http_requests += 1
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token is empty.",
                client_request_id,
                {"WWW-Authenticate": 'Bearer realm=""'},
            )
        verified = self.tokens.verify(token.strip())
        if isinstance(verified, Principal):
            if verified.tenant_id in self.store.tenants:
                return verified
            message, tenant_id = "The token's tenant does not exist.", None
        else:
            message, tenant_id = verified.message, verified.tenant_id
        with self.store.lock:
            self.store.counters_for(tenant_id).http_requests += 1
        return graph_error(
            401,
            "InvalidAuthenticationToken",
            message,
            client_request_id,
            {"WWW-Authenticate": 'Bearer realm=""'},
        )

    def _identity(self, request: _Request) -> Reply:
        segments = request.path.strip("/").split("/")
        correlation_id = request.header("client-request-id")
        with self.store.lock:
            tenant = self.store.resolve(segments[0]) if segments[0] else None
            route = tuple(segments[1:])
            if route == ("v2.0", ".well-known", "openid-configuration"):
                if request.method != "GET":
                    return Reply(405, {"error": "method_not_allowed"})
                if tenant is None:
                    return _from_identity(tenant_not_found(segments[0], correlation_id))
                return Reply(200, discovery_document(request.base_url, tenant))
            if route == ("oauth2", "v2.0", "token") and request.method == "POST":
                if tenant is None:
                    return _from_identity(tenant_not_found(segments[0], correlation_id))
                self.store.counters_for(tenant.tenant_id).token_requests += 1
                form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
                return _from_identity(
                    issue_for_client(
                        self.store,
                        self.tokens,
                        tenant,
                        form,
                        basic_auth=parse_basic_auth(request.header("authorization")),
                        token_endpoint=(
                            f"{request.base_url}/{tenant.tenant_id}/oauth2/v2.0/token"
                        ),
                        correlation_id=correlation_id,
                    )
                )
            if route == ("discovery", "v2.0", "keys") and tenant is not None:
                return Reply(200, self.tokens.jwks())
        return Reply(
            404, {"error": "not_found", "error_description": "No such endpoint."}
        )

    def _control(self, request: _Request) -> Reply:
        if not request.from_loopback():
            return Reply(
                403, {"error": "The emulator's hooks answer loopback clients only."}
            )
        route = (request.method, request.path)
        if route == ("GET", "/_emulator/stats"):
            return Reply(200, self.store.stats())
        if route == ("GET", "/_emulator/writes"):
            return Reply(200, {"writes": self.store.writes()})
        if route == ("POST", "/_emulator/reset"):
            self.reset()
            return Reply(200, {"reset": True})
        return Reply(404, {"error": f"No hook {request.method} {request.path}."})


class _Request:
    """The parts of an ASGI HTTP request the emulator reads."""

    __slots__ = ("_headers", "_scope", "body", "method", "path", "query")

    def __init__(self, scope: Scope, body: bytes) -> None:
        self._scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query: str = scope["query_string"].decode("latin-1")
        self.body = body
        self._headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
        }

    def header(self, name: str) -> str | None:
        return self._headers.get(name)

    @property
    def base_url(self) -> str:
        host = self._headers.get("host")
        if host is None:
            server_host, port = self._scope["server"]
            host = f"{server_host}:{port}"
        return f"https://{host}"

    def from_loopback(self) -> bool:
        client = self._scope.get("client")
        if not client:
            return False
        try:
            return ipaddress.ip_address(client[0]).is_loopback
        except ValueError:
            return False


def _fault_reply(fault: str, limits: Limits, client_request_id: str | None) -> Reply:
    if fault == "unavailable":
        return graph_error(
            503,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Please retry.",
            client_request_id,
            {"Retry-After": retry_after_header(limits.unavailable_retry_after_s)},
        )
    return graph_error(
        500,
        "InternalServerError",
        "An internal server error occurred.",
        client_request_id,
    )


def _from_identity(reply: IdentityReply) -> Reply:
    return Reply(reply.status, reply.body, {"Cache-Control": "no-store"})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_reply(send: Send, reply: Reply) -> None:
    payload = b"" if reply.body is None else json.dumps(reply.body).encode()
    headers = [
        (b"content-type", _JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    headers.extend(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in reply.headers.items()
    )
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": payload})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

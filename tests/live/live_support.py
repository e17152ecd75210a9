"""A small in-process identity platform and Graph for the fast tests, and specs.

`FakeCloud` answers through `httpx.MockTransport`: OIDC discovery and tokens for
known tenants, incident and alert listing with `$skip` paging, GET and PATCH by
id, and `$batch`. Tests script failures with `fail`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from reconciler.config import Endpoints
from reconciler.desired.models import Credential, SourceLocation, TenantSpec
from reconciler.emulator import EmulatorServer
from reconciler.live import GraphClient, RetryPolicy

AUTHORITY_HOST = "https://login.fake.test"
GRAPH_URL = "https://graph.fake.test/v1.0"
TENANT_ID = "5f1c2d3e-0000-4000-8000-000000000001"
CLIENT_ID = "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
SECRET_ENV = "CONTOSO_CLIENT_SECRET"
SECRET = "fake-secret-value"
TOKEN = "fake-access-token"
COLLECTIONS = {
    "incidents": "/v1.0/security/incidents",
    "alerts": "/v1.0/security/alerts_v2",
}


def make_spec(
    *,
    slug: str = "contoso",
    tenant_id: str = TENANT_ID,
    secret_env: str | None = SECRET_ENV,
    certificate_file: Path | None = None,
    quota_per_minute: int = 6000,
) -> TenantSpec:
    credential = (
        Credential(certificate_file=certificate_file)
        if certificate_file is not None
        else Credential(secret_env=secret_env)
    )
    return TenantSpec(
        slug=slug,
        tenant_id=tenant_id,
        display_name=slug.title(),
        client_id=CLIENT_ID,
        credential=credential,
        assignees=None,
        quota_per_minute=quota_per_minute,
        location=SourceLocation(f"state/{slug}/tenant.yaml", 1, 1),
    )


@dataclass
class SleepRecorder:
    """Stands in for time.sleep in retry policies: records, never waits."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fast_policy(recorder: SleepRecorder, *, attempts: int = 6) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, budget_s=60.0, sleep=recorder)


def incident(number: int | str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(number),
        "status": "active",
        "assignedTo": None,
        "classification": "unknown",
        "determination": "unknown",
        "customTags": [],
        "lastUpdateDateTime": "2026-11-30T08:00:00.0000000Z",
    }
    body.update(fields)
    return body


@dataclass
class Failure:
    """A scripted answer for requests whose method and path match."""

    method: str
    path: str
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: Exception | None = None
    # Matches only requests whose query holds these parameters.
    params: dict[str, str] = field(default_factory=dict)
    # Lets this many matching requests through first.
    after: int = 0


@dataclass
class BatchItem:
    method: str
    url: str
    headers: dict[str, str]
    body: Any


class FakeCloud:
    """The fake's state: tenants, items, what it received, scripted failures."""

    def __init__(self) -> None:
        self.tenants = {TENANT_ID}
        self.items: dict[str, dict[str, dict[str, Any]]] = {
            "incidents": {},
            "alerts": {},
        }
        self.token_answer: tuple[int, dict[str, Any]] = (
            200,
            {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3599},
        )
        self.failures: list[Failure] = []
        self.requests: list[httpx.Request] = []
        self.batch_items: list[list[BatchItem]] = []
        self.patches: list[tuple[str, Any]] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, policy: RetryPolicy | None = None) -> GraphClient:
        return GraphClient(
            Endpoints(authority_host=AUTHORITY_HOST, graph_url=GRAPH_URL),
            transport=self.transport(),
            retry=policy,
        )

    def add_incidents(self, count: int) -> None:
        for number in range(1, count + 1):
            self.items["incidents"][str(number)] = incident(number)

    def fail(self, method: str, path: str, status: int = 0, **kwargs: Any) -> None:
        self.failures.append(Failure(method, path, status, **kwargs))

    def graph_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/v1.0")]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == urlsplit(AUTHORITY_HOST).hostname:
            return self._identity(request)
        if request.url.path == "/v1.0/$batch":
            return self._batch(request)
        body = json.loads(request.content) if request.content else None
        status, headers, answer = self._graph(
            request.method, request.url.path, dict(request.url.params), body
        )
        return httpx.Response(status, headers=headers, json=answer)

    def _identity(self, request: httpx.Request) -> httpx.Response:
        scripted = self._scripted(request.method, request.url.path, {})
        if scripted is not None:
            return scripted
        tenant = request.url.path.split("/")[1]
        if tenant not in self.tenants:
            return httpx.Response(
                400,
                json={
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                    "error_codes": [90002],
                },
            )
        base = f"{AUTHORITY_HOST}/{tenant}"
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "issuer": f"{base}/v2.0",
                },
            )
        status, answer = self.token_answer
        return httpx.Response(status, json=answer)

    def _batch(self, request: httpx.Request) -> httpx.Response:
        scripted = self._scripted("POST", "/v1.0/$batch", {})
        if scripted is not None:
            return scripted
        envelope = json.loads(request.content)
        received = [
            BatchItem(
                item["method"], item["url"], item.get("headers", {}), item.get("body")
            )
            for item in envelope["requests"]
        ]
        self.batch_items.append(received)
        responses = []
        for item in envelope["requests"]:
            parts = urlsplit(item["url"])
            params = {key: values[0] for key, values in parse_qs(parts.query).items()}
            status, headers, answer = self._graph(
                item["method"], "/v1.0" + parts.path, params, item.get("body")
            )
            responses.append(
                {"id": item["id"], "status": status, "headers": headers, "body": answer}
            )
        # Graph may answer in any order.
        return httpx.Response(200, json={"responses": list(reversed(responses))})

    def _scripted(
        self, method: str, path: str, params: dict[str, str]
    ) -> httpx.Response | None:
        for failure in self.failures:
            if (
                failure.method == method
                and failure.path == path
                and failure.times
                and failure.params.items() <= params.items()
            ):
                if failure.after:
                    failure.after -= 1
                    continue
                failure.times -= 1
                if failure.error is not None:
                    raise failure.error
                return httpx.Response(
                    failure.status, headers=failure.headers, json=failure.body
                )
        return None

    def _graph(
        self, method: str, path: str, params: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        scripted = self._scripted(method, path, params)
        if scripted is not None:
            answer = json.loads(scripted.content) if scripted.content else None
            return scripted.status_code, dict(scripted.headers), answer
        for name, collection in COLLECTIONS.items():
            if path == collection:
                return self._list(name, params)
            if path.startswith(collection + "/"):
                return self._item(name, path[len(collection) + 1 :], method, body)
        return 404, {}, {"error": {"code": "NotFound", "message": "no such path"}}

    def _list(
        self, name: str, params: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        values = sorted(self.items[name].values(), key=lambda item: int(item["id"]))
        top = int(params.get("$top", "50"))
        skip = int(params.get("$skip", "0"))
        page: dict[str, Any] = {"value": values[skip : skip + top]}
        if params.get("$count") == "true":
            page["@odata.count"] = len(values)
        if skip + top < len(values):
            page["@odata.nextLink"] = (
                f"{GRAPH_URL}{COLLECTIONS[name][len('/v1.0') :]}"
                f"?$top={top}&$skip={skip + top}"
            )
        return 200, {}, page

    def _item(
        self, name: str, item_id: str, method: str, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        item = self.items[name].get(item_id)
        if item is None:
            return 404, {}, {"error": {"code": "NotFound", "message": "not found"}}
        if method == "PATCH":
            self.patches.append((item_id, body))
            item.update(body)
            item["lastUpdateDateTime"] = "2026-12-01T00:00:00.0000000Z"
        return 200, {}, item


def write_pem(
    path: Path,
    *,
    expired: bool = False,
    encrypted: bool = False,
    mismatched: bool = False,
    key_only: bool = False,
) -> tuple[str, str]:
    """Write a private key and self-signed certificate; return (key PEM, cert PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(days=30), now - timedelta(days=1))
        if expired
        else (now - timedelta(days=1), now + timedelta(days=30))
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reconciler test")])
    public = signer.public_key() if mismatched else key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(signer if mismatched else key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(b"passphrase")
        if encrypted
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    path.write_text(key_pem if key_only else key_pem + cert_pem)
    return key_pem, cert_pem


def emulator_endpoints(emulator: EmulatorServer) -> Endpoints:
    return Endpoints(
        authority_host=emulator.url,
        graph_url=f"{emulator.url}/v1.0",
        ca_bundle=emulator.ca_bundle,
    )


def emulator_spec(
    slug: str,
    tenant_id: str,
    *,
    client_id: str = CLIENT_ID,
    secret_env: str | None = None,
    certificate_file: Path | None = None,
    quota_per_minute: int = 150,
) -> TenantSpec:
    """A tenant of the emulator, as the desired state would describe it."""
    credential = (
        Credential(certificate_file=certificate_file)
        if certificate_file is not None
        else Credential(secret_env=secret_env or f"{slug.upper()}_CLIENT_SECRET")
    )
    return TenantSpec(
        slug=slug,
        tenant_id=tenant_id,
        display_name=slug.title(),
        client_id=client_id,
        credential=credential,
        assignees=None,
        quota_per_minute=quota_per_minute,
        location=SourceLocation(f"state/{slug}/tenant.yaml", 1, 1),
    )


def generated_incidents(count: int) -> list[dict[str, Any]]:
    """Incidents numbered from 1, created a second apart (newest listed first)."""
    return [
        incident(
            100_000 + number,
            displayName=f"Generated incident {number}",
            createdDateTime=f"2026-11-01T{number // 3600:02d}:"
            f"{number // 60 % 60:02d}:{number % 60:02d}.0000000Z",
        )
        for number in range(1, count + 1)
    ]


class SeededAppLike(Protocol):
    """An application of the shared emulator (tests/conftest.py `emulator_apps`)."""

    client_id: str
    client_secret: str | None
    certificate_file: Path | None

"""The identity platform: OIDC discovery and client-credential tokens.

Tokens are RS256 JWTs signed by a key made at start-up. Graph requests present
the same few tokens thousands of times, so a verified token is remembered by its
string and later requests only check its expiry (no RSA per request).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reconciler.emulator.store import App, Store, Tenant

GRAPH_AUDIENCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
DEFAULT_SCOPES = frozenset({f"{GRAPH_AUDIENCE}/.default", f"{GRAPH_APP_ID}/.default"})
TOKEN_LIFETIME_S = 3599
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """Who a Graph request acts as, read from its verified token."""

    tenant_id: str
    app_id: str
    roles: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class TokenRejected:
    """Why a bearer token was refused, and whose it claimed to be if we know."""

    message: str
    tenant_id: str | None = None


@dataclass(frozen=True)
class IdentityReply:
    status: int
    body: dict[str, Any]


def thumbprints(certificate_pem: bytes) -> tuple[str, str]:
    """SHA-1 and SHA-256 thumbprints, base64url without padding (x5t, x5t#S256)."""
    der = x509.load_pem_x509_certificate(certificate_pem).public_bytes(
        serialization.Encoding.DER
    )
    return _b64url(hashlib.sha1(der, usedforsecurity=False).digest()), _b64url(
        hashlib.sha256(der).digest()
    )


class TokenService:
    """Issues and verifies the emulator's access tokens."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public_key = self._key.public_key()
        self.key_id = uuid.uuid4().hex
        self._verified: dict[str, Principal] = {}

    def issue(
        self, tenant_id: str, app: App, *, lifetime_s: int = TOKEN_LIFETIME_S
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": GRAPH_AUDIENCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "app_displayname": app.display_name,
            "appid": app.client_id,
            "appidacr": "1",
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{app.client_id}")),
            "roles": list(app.consents.get(tenant_id, ())),
            "sub": app.client_id,
            "tid": tenant_id,
            "uti": uuid.uuid4().hex,
            "ver": "1.0",
        }
        return jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self.key_id}
        )

    def verify(self, token: str) -> Principal | TokenRejected:
        principal = self._verified.get(token)
        if principal is None:
            checked = self._check_signature(token)
            if isinstance(checked, TokenRejected):
                return checked
            principal = checked
            if len(self._verified) >= _VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = principal
        if principal.expires_at <= time.time():
            return TokenRejected(
                "Lifetime validation failed, the token is expired.",
                principal.tenant_id,
            )
        return principal

    def jwks(self) -> dict[str, Any]:
        numbers = self._public_key.public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.key_id,
                    "n": _b64url(_int_bytes(numbers.n)),
                    "e": _b64url(_int_bytes(numbers.e)),
                }
            ]
        }

    def _check_signature(self, token: str) -> Principal | TokenRejected:
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=["RS256"],
                audience=[GRAPH_AUDIENCE, GRAPH_APP_ID],
                options={"verify_exp": False, "require": ["exp", "tid", "appid"]},
            )
        except jwt.InvalidAudienceError:
            return TokenRejected("Invalid audience.")
        except jwt.InvalidSignatureError:
            return TokenRejected("Invalid signature.")
        except jwt.PyJWTError:
            return TokenRejected("IDX14100: JWT is not well formed.")
        return Principal(
            tenant_id=str(claims["tid"]),
            app_id=str(claims["appid"]),
            roles=frozenset(claims.get("roles") or ()),
            expires_at=float(claims["exp"]),
        )


def discovery_document(base_url: str, tenant: Tenant) -> dict[str, Any]:
    """What GET /{tenant}/v2.0/.well-known/openid-configuration returns."""
    root = f"{base_url}/{tenant.tenant_id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": "graph.microsoft.com",
    }


def tenant_not_found(tenant: str, correlation_id: str | None) -> IdentityReply:
    return aad_error(
        400,
        "invalid_request",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct "
        "tenant ID and are signing into the correct cloud.",
        correlation_id,
    )


def issue_for_client(
    store: Store,
    tokens: TokenService,
    tenant: Tenant,
    form: Mapping[str, str],
    *,
    basic_auth: tuple[str, str] | None,
    token_endpoint: str,
    correlation_id: str | None,
) -> IdentityReply:
    """The token endpoint: client credentials by secret or signed assertion."""
    if form.get("grant_type") != "client_credentials":
        return aad_error(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type "
            f"'{form.get('grant_type', '')}'.",
            correlation_id,
        )
    client_id = (basic_auth[0] if basic_auth else form.get("client_id", "")).lower()
    app = store.apps.get(client_id)
    if app is None or tenant.tenant_id not in app.consents:
        return aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the "
            f"directory '{tenant.name}'. This can happen if the application has "
            "not been installed by the administrator of the tenant or consented "
            "to by any user in the tenant. You might have sent your "
            "authentication request to the wrong tenant.",
            correlation_id,
        )

    refusal = _check_credential(app, form, basic_auth, token_endpoint, correlation_id)
    if refusal is not None:
        return refusal

    scope = form.get("scope", "")
    if not scope or not set(scope.split()) <= DEFAULT_SCOPES:
        return aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential "
            "flows must have a scope value with /.default suffixed to the resource "
            "identifier (application ID URI).",
            correlation_id,
        )

    return IdentityReply(
        200,
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
            "ext_expires_in": TOKEN_LIFETIME_S,
            "access_token": tokens.issue(tenant.tenant_id, app),
        },
    )


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def aad_error(
    status: int, error: str, code: int, message: str, correlation_id: str | None
) -> IdentityReply:
    """An error body shaped like Entra ID's."""
    trace_id = str(uuid.uuid4())
    correlation = correlation_id or str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return IdentityReply(
        status,
        {
            "error": error,
            "error_description": (
                f"AADSTS{code}: {message} Trace ID: {trace_id} "
                f"Correlation ID: {correlation} Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
    )


def _check_credential(
    app: App,
    form: Mapping[str, str],
    basic_auth: tuple[str, str] | None,
    token_endpoint: str,
    correlation_id: str | None,
) -> IdentityReply | None:
    secret = basic_auth[1] if basic_auth else form.get("client_secret")
    if secret is not None:
        if app.client_secret is not None and hmac.compare_digest(
            secret.encode(), app.client_secret.encode()
        ):
            return None
        return aad_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a "
            f"secret added to app '{app.client_id}'.",
            correlation_id,
        )

    assertion = form.get("client_assertion")
    if assertion is None or form.get("client_assertion_type") != _ASSERTION_TYPE:
        return aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: "
            "'client_assertion' or 'client_secret'.",
            correlation_id,
        )
    problem = _assertion_problem(app, assertion, token_endpoint)
    if problem is None:
        return None
    return aad_error(401, "invalid_client", 700027, problem, correlation_id)


def _assertion_problem(app: App, assertion: str, token_endpoint: str) -> str | None:
    """Why a client assertion is not acceptable (msal-emulator.md section 3)."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return "Client assertion is not a valid JWT."
    thumbprint = str(header.get("x5t#S256") or header.get("x5t") or "").rstrip("=")
    certificate = app.certificates.get(thumbprint)
    if certificate is None:
        return (
            "The certificate with identifier used to sign the client assertion is "
            f"not registered on application. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{thumbprint}']"
        )
    public_key = x509.load_pem_x509_certificate(certificate).public_key()
    try:
        claims = jwt.decode(
            assertion,
            public_key,  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            audience=token_endpoint,
            issuer=app.client_id,
            options={"require": ["exp", "aud", "iss", "sub", "jti"]},
        )
    except jwt.InvalidSignatureError:
        return "Client assertion failed signature validation."
    except jwt.ExpiredSignatureError:
        return "Client assertion contains an expired token."
    except jwt.InvalidAudienceError:
        return (
            "Client assertion audience claim does not match Realm issuer; "
            f"expected '{token_endpoint}'."
        )
    except jwt.PyJWTError as error:
        return f"Client assertion is not valid: {error}."
    if claims.get("sub") != app.client_id:
        return "Client assertion subject must be the application's client id."
    return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")

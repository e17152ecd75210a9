"""Identity: OIDC discovery and client-credential tokens, exercised through MSAL.

Facts from graph-api.md section 6 and msal-emulator.md sections 1-4.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import msal
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from emulator_support import CERTIFICATE_APP, CONTOSO, DEMO_APP, DEMO_SECRET, FABRIKAM

from reconciler.emulator import EmulatorServer

SCOPE = ["https://graph.microsoft.com/.default"]


class FormSafeClient:
    """httpx for MSAL, sending bytes form values as text.

    MSAL passes the certificate assertion as bytes in `data`; httpx would send
    the Python repr ("b'eyJ...'"), which no identity provider accepts.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._client.get(url, **kwargs)

    def post(self, url: str, data: Any = None, **kwargs: Any) -> httpx.Response:
        if isinstance(data, dict):
            data = {
                k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()
            }
        return self._client.post(url, data=data, **kwargs)


@pytest.fixture
def raw_httpx(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=str(emulator.ca_bundle))
    with httpx.Client(verify=context, timeout=10) as client:
        yield client


@pytest.fixture
def http_client(raw_httpx: httpx.Client) -> FormSafeClient:
    return FormSafeClient(raw_httpx)


def msal_app(
    emulator: EmulatorServer,
    http_client: Any,
    client_id: str,
    credential: Any,
    tenant: str = CONTOSO,
) -> msal.ConfidentialClientApplication:
    """A fresh MSAL app (MSAL caches tokens and errors per instance)."""
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{emulator.url}/{tenant}",
        instance_discovery=False,
        http_client=http_client,
    )


def certificate_parts(pem_file: Any) -> tuple[str, str, str]:
    text = pem_file.read_text()
    start = text.index("-----BEGIN CERTIFICATE-----")
    certificate = x509.load_pem_x509_certificate(text[start:].encode())
    der = certificate.public_bytes(serialization.Encoding.DER)
    sha1_hex = hashlib.sha1(der, usedforsecurity=False).hexdigest()
    return text[:start], text[start:], sha1_hex


def test_msal_gets_a_token_with_a_client_secret(emulator, http_client):
    """msal-emulator.md 1: discovery then one token POST; token claims of 6.1."""
    app = msal_app(emulator, http_client, DEMO_APP, DEMO_SECRET)

    result = app.acquire_token_for_client(scopes=SCOPE)

    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert result["token_type"] == "Bearer"
    assert claims["tid"] == CONTOSO
    assert claims["appid"] == DEMO_APP
    assert claims["aud"] == "https://graph.microsoft.com"
    assert sorted(claims["roles"]) == [
        "SecurityAlert.ReadWrite.All",
        "SecurityIncident.ReadWrite.All",
    ]
    assert emulator.stats()["tenants"][CONTOSO]["token_requests"] == 1


def test_token_lives_longer_than_msal_five_minute_margin(emulator, http_client):
    """msal-emulator.md 4: expires_in must exceed 300 or MSAL never caches."""
    app = msal_app(emulator, http_client, DEMO_APP, DEMO_SECRET)

    first = app.acquire_token_for_client(scopes=SCOPE)
    second = app.acquire_token_for_client(scopes=SCOPE)

    assert first["expires_in"] > 300
    assert second["token_source"] == "cache"
    assert emulator.stats()["tenants"][CONTOSO]["token_requests"] == 1


def test_msal_certificate_with_sha1_thumbprint_gets_a_token(
    emulator, http_client, emulator_apps
):
    """msal-emulator.md 3: the x5t (SHA-1) assertion shape is accepted."""
    app_info = emulator_apps["certificate"]
    key, _, thumbprint = certificate_parts(app_info.certificate_file)
    app = msal_app(
        emulator,
        http_client,
        app_info.client_id,
        {"private_key": key, "thumbprint": thumbprint},
    )

    result = app.acquire_token_for_client(scopes=SCOPE)

    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["appid"] == app_info.client_id


def test_msal_certificate_with_public_certificate_gets_a_token(
    emulator, http_client, emulator_apps
):
    """msal-emulator.md 3: the x5t#S256 + x5c (PS256) assertion shape is accepted."""
    app_info = emulator_apps["certificate"]
    key, certificate, _ = certificate_parts(app_info.certificate_file)
    app = msal_app(
        emulator,
        http_client,
        app_info.client_id,
        {"private_key": key, "public_certificate": certificate},
        tenant=FABRIKAM,
    )

    result = app.acquire_token_for_client(scopes=SCOPE)

    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["tid"] == FABRIKAM


def test_assertion_sent_as_a_bytes_repr_is_refused(emulator, raw_httpx, emulator_apps):
    """MSAL + a bare httpx.Client sends "b'...'" as the assertion: refused."""
    app_info = emulator_apps["certificate"]
    key, certificate, _ = certificate_parts(app_info.certificate_file)
    app = msal_app(
        emulator,
        raw_httpx,
        app_info.client_id,
        {"private_key": key, "public_certificate": certificate},
    )

    result = app.acquire_token_for_client(scopes=SCOPE)

    assert result["error_codes"] == [700027]


def test_wrong_secret_is_invalid_client_7000215(emulator, http_client):
    app = msal_app(emulator, http_client, DEMO_APP, "not-the-secret")

    result = app.acquire_token_for_client(scopes=SCOPE)

    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith(
        "AADSTS7000215: Invalid client secret"
    )


def test_certificate_not_registered_is_invalid_client_700027(
    emulator, http_client, tmp_path, write_certificate
):
    """A key the app never registered: AADSTS700027 (msal-emulator.md 3)."""
    stranger = write_certificate(tmp_path / "stranger.pem")
    key, certificate, _ = certificate_parts(stranger)
    app = msal_app(
        emulator,
        http_client,
        CERTIFICATE_APP,
        {"private_key": key, "public_certificate": certificate},
    )

    result = app.acquire_token_for_client(scopes=SCOPE)

    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]


def test_app_not_consented_in_tenant_is_unauthorized_client_700016(https):
    response = https.post(
        f"/{CONTOSO}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "11111111-2222-4333-8444-555555555555",
            "client_secret": "anything",
            "scope": SCOPE[0],
        },
    )

    body = response.json()
    assert response.status_code == 400
    assert body["error"] == "unauthorized_client"
    assert body["error_codes"] == [700016]
    assert set(body) >= {"timestamp", "trace_id", "correlation_id"}


def test_unknown_tenant_token_request_is_invalid_request_90002(https):
    response = https.post(
        "/00000000-1111-4222-8333-444444444444/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": DEMO_APP},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_codes"] == [90002]


def test_unknown_tenant_discovery_makes_msal_raise_value_error(emulator, http_client):
    """graph-api.md 6.1: a 4xx on discovery raises ValueError in the constructor."""
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        msal_app(
            emulator,
            http_client,
            DEMO_APP,
            DEMO_SECRET,
            tenant="00000000-1111-4222-8333-444444444444",
        )


def test_scope_other_than_graph_default_is_invalid_scope_1002012(https):
    response = https.post(
        f"/{CONTOSO}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEMO_APP,
            "client_secret": DEMO_SECRET,
            "scope": "https://graph.microsoft.com/User.Read",
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["error_codes"] == [1002012]


def test_secret_in_http_basic_auth_is_accepted(https):
    response = https.post(
        f"/{CONTOSO}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": SCOPE[0]},
        auth=(DEMO_APP, DEMO_SECRET),
    )

    assert response.status_code == 200
    assert response.json()["expires_in"] == 3599


def test_discovery_by_domain_alias_advertises_the_guid_token_endpoint(https, emulator):
    response = https.get(
        "/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
    )

    assert response.status_code == 200
    assert (
        response.json()["token_endpoint"]
        == f"{emulator.url}/{CONTOSO}/oauth2/v2.0/token"
    )

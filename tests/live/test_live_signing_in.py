"""Signing in through MSAL against a fake identity platform, and what refusals say."""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from live_support import (
    AUTHORITY_HOST,
    CLIENT_ID,
    SECRET,
    SECRET_ENV,
    TENANT_ID,
    FakeCloud,
    SleepRecorder,
    fast_policy,
    make_spec,
    write_pem,
)

from reconciler.live import (
    AuthenticationError,
    ConnectionFailedError,
    CredentialError,
    ServiceError,
    TlsError,
)

TOKEN_PATH = f"/{TENANT_ID}/oauth2/v2.0/token"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> FakeCloud:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    fake = FakeCloud()
    fake.add_incidents(2)
    return fake


def refuse_token(cloud: FakeCloud, code: int, description: str) -> None:
    cloud.token_answer = (
        401 if code in (7000215, 700027) else 400,
        {
            "error": "invalid_client",
            "error_description": f"AADSTS{code}: {description} Trace ID: abc",
            "error_codes": [code],
        },
    )


def test_no_request_is_made_until_a_token_is_needed(cloud: FakeCloud) -> None:
    cloud.client().tenant(make_spec())

    assert cloud.requests == []


def test_a_missing_secret_is_refused_before_any_request(
    cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)

    with pytest.raises(CredentialError):
        cloud.client().tenant(make_spec())

    assert cloud.requests == []


def test_one_token_serves_every_request_of_a_tenant(cloud: FakeCloud) -> None:
    contoso = cloud.client().tenant(make_spec())

    contoso.list_all("incident")
    contoso.count("incident")
    contoso.get_many("incident", ["1"])

    paths = [request.url.path for request in cloud.requests]
    assert paths.count(f"/{TENANT_ID}/v2.0/.well-known/openid-configuration") == 1
    assert paths.count(TOKEN_PATH) == 1


def test_the_secret_goes_only_to_the_token_endpoint(cloud: FakeCloud) -> None:
    cloud.client().tenant(make_spec()).list_all("incident")

    carrying = [
        request.url.path
        for request in cloud.requests
        if SECRET.encode() in request.content
        or any(SECRET in value for value in request.headers.values())
    ]
    assert carrying == [TOKEN_PATH]


def test_asking_twice_for_a_tenant_gives_the_same_client(cloud: FakeCloud) -> None:
    graph = cloud.client()

    assert graph.tenant(make_spec()) is graph.tenant(make_spec())


def test_a_refused_secret_names_its_variable_and_tenant(cloud: FakeCloud) -> None:
    refuse_token(cloud, 7000215, "Invalid client secret provided.")

    with pytest.raises(AuthenticationError) as caught:
        cloud.client().tenant(make_spec()).list_all("incident")

    assert str(caught.value) == (
        "the client secret in $CONTOSO_CLIENT_SECRET was refused for tenant "
        "contoso; check it is current"
    )


def test_an_expired_secret_says_so(cloud: FakeCloud) -> None:
    refuse_token(cloud, 7000222, "The provided client secret keys are expired.")

    with pytest.raises(AuthenticationError) as caught:
        cloud.client().tenant(make_spec()).count("incident")

    assert str(caught.value) == (
        "the client secret in $CONTOSO_CLIENT_SECRET has expired for tenant "
        "contoso; check it is current"
    )


def test_a_refused_certificate_names_its_file(cloud: FakeCloud, tmp_path: Path) -> None:
    pem = tmp_path / "contoso.pem"
    write_pem(pem)
    refuse_token(cloud, 700027, "Client assertion contains an invalid signature.")

    with pytest.raises(AuthenticationError) as caught:
        cloud.client().tenant(make_spec(certificate_file=pem)).count("incident")

    assert str(caught.value) == (
        f"the certificate in {pem} was refused for tenant contoso; check that it is "
        f"the certificate uploaded to application {CLIENT_ID} and that it is current"
    )


def test_a_tenant_without_consent_gets_the_admin_consent_url(cloud: FakeCloud) -> None:
    refuse_token(cloud, 700016, "Application not found in the directory.")

    with pytest.raises(AuthenticationError) as caught:
        cloud.client().tenant(make_spec()).count("incident")

    assert str(caught.value) == (
        f"application {CLIENT_ID} is not consented in tenant contoso ({TENANT_ID}); "
        "an administrator of that tenant must grant consent at "
        f"{AUTHORITY_HOST}/{TENANT_ID}/adminconsent?client_id={CLIENT_ID}"
    )


def test_an_unknown_tenant_points_at_its_tenant_id(cloud: FakeCloud) -> None:
    stranger = "9e9e9e9e-0000-4000-8000-000000000009"

    with pytest.raises(AuthenticationError) as caught:
        cloud.client().tenant(make_spec(tenant_id=stranger)).count("incident")

    assert str(caught.value) == (
        f"tenant contoso: {stranger} is not a known tenant at {AUTHORITY_HOST}; "
        "check tenant_id in state/contoso/tenant.yaml"
    )


def test_another_refusal_quotes_the_first_sentence_without_trace_ids(
    cloud: FakeCloud,
) -> None:
    refuse_token(cloud, 50034, "The user account does not exist.")

    with pytest.raises(AuthenticationError) as caught:
        cloud.client().tenant(make_spec()).count("incident")

    assert str(caught.value) == (
        "the identity platform refused a token for tenant contoso: invalid_client: "
        "AADSTS50034: The user account does not exist."
    )


def test_a_failing_identity_platform_is_retried_then_reported(
    cloud: FakeCloud,
) -> None:
    sleep = SleepRecorder()
    cloud.token_answer = (503, {"error": "temporarily_unavailable"})

    with pytest.raises(ServiceError) as caught:
        cloud.client(fast_policy(sleep)).tenant(make_spec()).count("incident")

    assert str(caught.value) == (
        f"signing in to tenant contoso at {AUTHORITY_HOST}/{TENANT_ID} kept failing "
        "(the identity platform failed (HTTP Error: 503)); try again later"
    )
    assert sleep.waits == [5.0] * 5


def test_an_identity_host_that_refuses_connections_is_named(cloud: FakeCloud) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    cloud.fail(
        "GET",
        f"/{TENANT_ID}/v2.0/.well-known/openid-configuration",
        times=9,
        error=refused,
    )

    with pytest.raises(ConnectionFailedError) as caught:
        cloud.client(fast_policy(SleepRecorder())).tenant(make_spec()).count("incident")

    assert str(caught.value) == (
        f"nothing answers at {AUTHORITY_HOST} (connection refused); check "
        "RECONCILER_AUTHORITY_HOST or cloud.authority_host and that the server is "
        "running"
    )


def test_an_untrusted_certificate_names_the_ca_bundle_settings(
    cloud: FakeCloud,
) -> None:
    untrusted = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]")
    untrusted.__cause__ = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cloud.fail(
        "GET", f"/{TENANT_ID}/v2.0/.well-known/openid-configuration", error=untrusted
    )

    with pytest.raises(TlsError) as caught:
        cloud.client().tenant(make_spec()).count("incident")

    assert str(caught.value) == (
        f"the TLS certificate of {AUTHORITY_HOST} is not trusted (verification "
        "failed); if the server uses a private CA, point RECONCILER_CA_BUNDLE or "
        "cloud.ca_bundle in reconciler.yaml at its PEM bundle"
    )
    assert len(cloud.requests) == 1


def test_a_certificate_signs_an_assertion_with_its_sha256_thumbprint(
    cloud: FakeCloud, tmp_path: Path
) -> None:
    pem = tmp_path / "contoso.pem"
    write_pem(pem)

    cloud.client().tenant(make_spec(certificate_file=pem)).count("incident")

    (token_post,) = [r for r in cloud.requests if r.url.path == TOKEN_PATH]
    form = parse_qs(token_post.content.decode())
    assert "client_secret" not in form
    header = jwt.get_unverified_header(form["client_assertion"][0])
    assert "x5t#S256" in header
    assert "x5t" not in header

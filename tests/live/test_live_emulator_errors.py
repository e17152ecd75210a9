"""Every refusal, over real HTTPS with real MSAL, says what happened and what to do."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from live_support import (
    SeededAppLike,
    SleepRecorder,
    emulator_endpoints,
    emulator_spec,
    fast_policy,
)

from reconciler.config import Endpoints
from reconciler.emulator import EmulatorServer
from reconciler.emulator.seeding import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from reconciler.live import (
    AuthenticationError,
    ConnectionFailedError,
    GraphClient,
    PermissionDeniedError,
    ThrottledError,
    TlsError,
    WriteOutcome,
)
from reconciler.live.retrying import RetryPolicy

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_secret(value: str) -> None:
        monkeypatch.setenv("CONTOSO_CLIENT_SECRET", value)

    set_secret(DEMO_CLIENT_SECRET)
    return set_secret


def test_a_wrong_secret_names_the_variable_holding_it(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    secret("not-the-secret")

    with GraphClient(emulator_endpoints(emulator)) as graph:
        contoso = graph.tenant(emulator_spec("contoso", CONTOSO))
        with pytest.raises(AuthenticationError) as caught:
            contoso.list_all("incident")

    assert str(caught.value) == (
        "the client secret in $CONTOSO_CLIENT_SECRET was refused for tenant "
        "contoso; check it is current"
    )
    assert emulator.stats()["tenants"][CONTOSO]["graph_requests"] == 0


def test_a_certificate_the_app_does_not_know_names_its_file(
    emulator: EmulatorServer,
    emulator_apps: dict[str, SeededAppLike],
    write_certificate: Callable[[Path], Path],
    tmp_path: Path,
) -> None:
    client_id = emulator_apps["certificate"].client_id
    stranger = write_certificate(tmp_path / "unregistered.pem")
    spec = emulator_spec(
        "contoso", CONTOSO, client_id=client_id, certificate_file=stranger
    )

    with (
        GraphClient(emulator_endpoints(emulator)) as graph,
        pytest.raises(AuthenticationError) as caught,
    ):
        graph.tenant(spec).count("incident")

    assert str(caught.value) == (
        f"the certificate in {stranger} was refused for tenant contoso; check that "
        f"it is the certificate uploaded to application {client_id} and that it is "
        "current"
    )


def test_a_tenant_that_has_not_consented_gets_the_admin_consent_url(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    with emulator.store.lock:
        app = emulator.store.apps[DEMO_CLIENT_ID]
        consents = {t: r for t, r in app.consents.items() if t != CONTOSO}
        emulator.store.apps[DEMO_CLIENT_ID] = dataclasses.replace(
            app, consents=consents
        )

    with (
        GraphClient(emulator_endpoints(emulator)) as graph,
        pytest.raises(AuthenticationError) as caught,
    ):
        graph.tenant(emulator_spec("contoso", CONTOSO)).count("incident")

    assert str(caught.value) == (
        f"application {DEMO_CLIENT_ID} is not consented in tenant contoso "
        f"({CONTOSO}); an administrator of that tenant must grant consent at "
        f"{emulator.url}/{CONTOSO}/adminconsent?client_id={DEMO_CLIENT_ID}"
    )


def test_an_unknown_tenant_points_at_tenant_yaml(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    stranger = "0badc0de-0000-4000-8000-000000000000"

    with (
        GraphClient(emulator_endpoints(emulator)) as graph,
        pytest.raises(AuthenticationError) as caught,
    ):
        graph.tenant(emulator_spec("contoso", stranger)).count("incident")

    assert str(caught.value) == (
        f"tenant contoso: {stranger} is not a known tenant at {emulator.url}; check "
        "tenant_id in state/contoso/tenant.yaml"
    )


def test_reading_without_a_role_names_the_permission_needed(
    emulator: EmulatorServer,
    emulator_apps: dict[str, SeededAppLike],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = emulator_apps["no_roles"]
    assert app.client_secret is not None
    monkeypatch.setenv("CONTOSO_CLIENT_SECRET", app.client_secret)

    with GraphClient(emulator_endpoints(emulator)) as graph:
        contoso = graph.tenant(
            emulator_spec("contoso", CONTOSO, client_id=app.client_id)
        )
        with pytest.raises(PermissionDeniedError) as caught:
            contoso.list_all("alert")

    message = str(caught.value)
    assert message.startswith(
        f"application {app.client_id} may not use alerts in tenant contoso (HTTP 403 "
        "Authorization_RequestDenied: "
    )
    assert message.endswith(
        "give it the application permission SecurityAlert.ReadWrite.All and have an "
        "administrator of the tenant consent at "
        f"{emulator.url}/{CONTOSO}/adminconsent?client_id={app.client_id}"
    )


def test_writing_with_a_read_only_role_fails_each_item_naming_the_permission(
    emulator: EmulatorServer,
    emulator_apps: dict[str, SeededAppLike],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = emulator_apps["read_only"]
    assert app.client_secret is not None
    monkeypatch.setenv("CONTOSO_CLIENT_SECRET", app.client_secret)

    with GraphClient(emulator_endpoints(emulator)) as graph:
        contoso = graph.tenant(
            emulator_spec("contoso", CONTOSO, client_id=app.client_id)
        )
        outcomes = contoso.patch_many("incident", {"2972395": {"status": "resolved"}})

    outcome = outcomes["2972395"]
    assert (outcome.ok, outcome.status, outcome.item) == (False, 403, None)
    assert outcome.error is not None
    assert "give it the application permission SecurityIncident.ReadWrite.All" in (
        outcome.error
    )
    assert emulator.writes() == []


def test_throttling_beyond_the_retry_budget_is_a_throttled_error(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    emulator.configure(quota_per_minute=1)
    policy = RetryPolicy(budget_s=5.0, sleep=SleepRecorder())

    with GraphClient(emulator_endpoints(emulator), retry=policy) as graph:
        contoso = graph.tenant(emulator_spec("contoso", CONTOSO, quota_per_minute=600))
        contoso.count("incident")
        with pytest.raises(ThrottledError) as caught:
            contoso.count("incident")

    assert str(caught.value) == (
        "counting incidents in tenant contoso was throttled beyond the retry budget "
        "(HTTP 429 TooManyRequests: Please retry again later.); try again later or "
        "lower quota_per_minute"
    )
    assert emulator.stats()["tenants"][CONTOSO]["throttled"] == 1


def test_a_server_certificate_outside_the_trust_store_names_the_ca_settings(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    untrusted = Endpoints(emulator.url, f"{emulator.url}/v1.0", ca_bundle=None)

    with GraphClient(untrusted) as graph, pytest.raises(TlsError) as caught:
        graph.tenant(emulator_spec("contoso", CONTOSO)).count("incident")

    assert str(caught.value) == (
        f"the TLS certificate of {emulator.url} is not trusted (unable to get local "
        "issuer certificate); if the server uses a private CA, point "
        "RECONCILER_CA_BUNDLE or cloud.ca_bundle in reconciler.yaml at its PEM bundle"
    )


def test_a_port_where_nothing_listens_is_named(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = f"https://127.0.0.1:{port}"
    endpoints = Endpoints(closed, f"{closed}/v1.0", emulator.ca_bundle)

    with (
        GraphClient(endpoints, retry=fast_policy(SleepRecorder())) as graph,
        pytest.raises(ConnectionFailedError) as caught,
    ):
        graph.tenant(emulator_spec("contoso", CONTOSO)).count("incident")

    assert str(caught.value) == (
        f"nothing answers at {closed} (connection refused); check "
        "RECONCILER_AUTHORITY_HOST or cloud.authority_host and that the server is "
        "running"
    )


def test_a_refused_write_leaves_a_failed_outcome_not_an_exception(
    emulator: EmulatorServer, secret: Callable[[str], None]
) -> None:
    with GraphClient(emulator_endpoints(emulator)) as graph:
        contoso = graph.tenant(emulator_spec("contoso", CONTOSO))
        outcomes = contoso.patch_many("incident", {"404404": {"status": "resolved"}})

    assert outcomes == {
        "404404": WriteOutcome(
            id="404404",
            ok=False,
            status=404,
            item=None,
            error=outcomes["404404"].error,
        )
    }
    assert str(outcomes["404404"].error).startswith(
        "incident 404404 does not exist in tenant contoso (HTTP 404 "
    )

"""The HTTP stack: trust, timeouts and lost connections, against a fake Graph."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from live_support import (
    GRAPH_URL,
    SECRET,
    SECRET_ENV,
    FakeCloud,
    SleepRecorder,
    fast_policy,
    make_spec,
)

from reconciler.config import Endpoints
from reconciler.live import ConnectionFailedError, GraphClient, LiveError, TlsError

INCIDENTS = "/v1.0/security/incidents"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> FakeCloud:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    fake = FakeCloud()
    fake.add_incidents(3)
    return fake


def test_a_timed_out_read_is_retried(cloud: FakeCloud) -> None:
    sleep = SleepRecorder()
    cloud.fail("GET", INCIDENTS, error=httpx.ReadTimeout("timed out"), times=2)

    result = cloud.client(fast_policy(sleep)).tenant(make_spec()).list_all("incident")

    assert result.complete
    assert len(result.items) == 3
    assert len(sleep.waits) == 2


def test_a_read_that_keeps_timing_out_ends_the_listing_as_incomplete(
    cloud: FakeCloud,
) -> None:
    cloud.fail("GET", INCIDENTS, error=httpx.ReadTimeout("timed out"), times=6)

    contoso = cloud.client(fast_policy(SleepRecorder())).tenant(make_spec())
    result = contoso.list_all("incident")

    assert not result.complete
    assert result.items == {}
    assert result.error == (
        "listing incidents in tenant contoso kept failing (no answer from "
        f"{GRAPH_URL} in time (ReadTimeout)); try again later"
    )


def test_a_graph_that_refuses_connections_is_named(cloud: FakeCloud) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    cloud.fail("GET", INCIDENTS, error=refused, times=6)

    contoso = cloud.client(fast_policy(SleepRecorder())).tenant(make_spec())
    with pytest.raises(ConnectionFailedError) as caught:
        contoso.list_all("incident")

    assert str(caught.value) == (
        f"nothing answers at {GRAPH_URL} (connection refused); check "
        "RECONCILER_GRAPH_URL or cloud.graph_url and that the server is running"
    )


def test_an_unreadable_ca_bundle_names_where_it_is_configured(tmp_path: Path) -> None:
    bundle = tmp_path / "missing-ca.pem"

    with pytest.raises(TlsError) as caught:
        GraphClient(Endpoints("https://login.test", GRAPH_URL, bundle))

    assert str(caught.value) == (
        f"cannot load the CA bundle {bundle} (no such file or directory); point "
        "RECONCILER_CA_BUNDLE or cloud.ca_bundle in reconciler.yaml at a readable "
        "PEM file of trusted certificates"
    )


def test_a_graph_url_in_the_clear_is_refused() -> None:
    with pytest.raises(LiveError) as caught:
        GraphClient(Endpoints("https://login.test", "http://graph.test/v1.0"))

    assert str(caught.value) == (
        "the Graph URL http://graph.test/v1.0 is not an https URL; tokens are never "
        "sent in the clear, so set RECONCILER_GRAPH_URL or cloud.graph_url to an "
        "https URL"
    )


def test_no_httpx_error_escapes_the_live_layer(cloud: FakeCloud) -> None:
    cloud.fail("GET", INCIDENTS, error=httpx.RemoteProtocolError("dropped"), times=6)

    contoso = cloud.client(fast_policy(SleepRecorder())).tenant(make_spec())
    result = contoso.list_all("incident")

    assert result.error == (
        "listing incidents in tenant contoso kept failing (the connection to "
        f"{GRAPH_URL} dropped (RemoteProtocolError)); try again later"
    )

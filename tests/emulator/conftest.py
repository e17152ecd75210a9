"""Helpers for the emulator's conformance tests: HTTPS clients holding tokens."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import httpx
import pytest
from emulator_support import CONTOSO, DEMO_APP

from reconciler.emulator import EmulatorServer

GraphFactory = Callable[..., httpx.Client]


@pytest.fixture
def https(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A client that trusts only the emulator's CA, rooted at its URL."""
    context = ssl.create_default_context(cafile=str(emulator.ca_bundle))
    with httpx.Client(base_url=emulator.url, verify=context, timeout=10) as client:
        yield client


@pytest.fixture
def graph_as(emulator: EmulatorServer) -> Iterator[GraphFactory]:
    """Make Graph clients for (tenant, app), rooted at /v1.0, with a fresh token."""
    context = ssl.create_default_context(cafile=str(emulator.ca_bundle))
    clients: list[httpx.Client] = []

    def make(tenant: str = CONTOSO, app: str = DEMO_APP) -> httpx.Client:
        token = emulator.issue_token(tenant, app)
        client = httpx.Client(
            base_url=f"{emulator.url}/v1.0",
            verify=context,
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def graph(graph_as: GraphFactory) -> httpx.Client:
    """Graph as the demo app in contoso."""
    return graph_as()

"""Secrets, tokens and client assertions appear in no log, output, message or repr.

Known values (canaries) go through real sign-ins at DEBUG logging on every
logger; the transport records the tokens and assertions actually sent so that
they can be looked for too.
"""

from __future__ import annotations

import logging
import ssl
from urllib.parse import parse_qs

import httpx
import pytest
from live_support import SeededAppLike, emulator_endpoints, emulator_spec

from reconciler.emulator import EmulatorServer
from reconciler.emulator.seeding import DEMO_CLIENT_SECRET
from reconciler.live import AuthenticationError, GraphClient
from reconciler.live.auth import load_credential

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM = "7a2b9c4d-0000-4000-8000-000000000002"
WRONG_SECRET = "canary-wrong-secret-0c7e1f"


class RecordingTransport(httpx.BaseTransport):
    """Passes requests on, keeping the bearer tokens and client assertions sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.tokens: set[str] = set()
        self.assertions: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization")
        if authorization:
            self.tokens.add(authorization.removeprefix("Bearer "))
        if request.url.path.endswith("/oauth2/v2.0/token"):
            form = parse_qs(request.content.decode())
            self.assertions.update(form.get("client_assertion", []))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_no_secret_token_or_assertion_leaks_anywhere(
    emulator: EmulatorServer,
    emulator_apps: dict[str, SeededAppLike],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CONTOSO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    monkeypatch.setenv("FABRIKAM_CLIENT_SECRET", WRONG_SECRET)
    certificate_app = emulator_apps["certificate"]
    assert certificate_app.certificate_file is not None
    private_key_lines = [
        line
        for line in certificate_app.certificate_file.read_text().splitlines()
        if line and not line.startswith("-----")
    ]
    trust = ssl.create_default_context(cafile=str(emulator.ca_bundle))
    recorder = RecordingTransport(httpx.HTTPTransport(verify=trust))
    contoso_spec = emulator_spec("contoso", CONTOSO)
    certificate_spec = emulator_spec(
        "fabrikam",
        FABRIKAM,
        client_id=certificate_app.client_id,
        certificate_file=certificate_app.certificate_file,
    )
    seen: list[str] = []

    with GraphClient(emulator_endpoints(emulator), transport=recorder) as graph:
        contoso = graph.tenant(contoso_spec)
        contoso.list_all("incident")
        contoso.get_many("alert", ["da637551227677560813_-961444813"])
        contoso.patch_many("incident", {"2972420": {"customTags": ("canary",)}})
        graph.tenant(certificate_spec).count("incident")
        seen += [repr(graph), repr(contoso), repr(graph.tenant(certificate_spec))]
    seen += [
        repr(load_credential(contoso_spec)),
        str(load_credential(contoso_spec)),
        repr(load_credential(certificate_spec)),
    ]
    with GraphClient(emulator_endpoints(emulator)) as graph:
        refused = graph.tenant(emulator_spec("fabrikam", FABRIKAM))
        with pytest.raises(AuthenticationError) as caught:
            refused.count("incident")
        seen += [str(caught.value), repr(caught.value), repr(refused)]

    captured = capsys.readouterr()
    seen += [caplog.text, captured.out, captured.err]
    seen += [str(record.args) for record in caplog.records]
    canaries = [
        DEMO_CLIENT_SECRET,
        WRONG_SECRET,
        *recorder.tokens,
        *recorder.assertions,
        *private_key_lines,
    ]
    assert len(recorder.tokens) == 2
    assert len(recorder.assertions) == 1
    assert "contoso: read 1 of 1 alerts by id (1 request); 0 missing, 0 unknown" in (
        caplog.text
    )
    assert "contoso: POST /v1.0/$batch (1 item) -> 200" in caplog.text
    leaks = [canary[:12] for canary in canaries if any(canary in text for text in seen)]
    assert leaks == []

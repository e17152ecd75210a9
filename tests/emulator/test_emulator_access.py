"""Access to Graph: 401 for bad tokens, 403 for missing roles, the test hooks."""

from __future__ import annotations

import asyncio
import json

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from emulator_support import CONTOSO, DEMO_APP


def test_missing_token_is_401_invalid_authentication_token(https):
    response = https.get("/v1.0/security/incidents")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == "Access token is empty."


def test_expired_token_is_401(https, emulator):
    token = emulator.issue_token(CONTOSO, DEMO_APP, lifetime_s=-10)

    response = https.get(
        "/v1.0/security/incidents", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_forged_token_is_401(https, emulator):
    """A token with the right claims but not signed by the emulator."""
    genuine = emulator.issue_token(CONTOSO, DEMO_APP)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256")

    response = https.get(
        "/v1.0/security/incidents", headers={"Authorization": f"Bearer {forged}"}
    )

    assert response.status_code == 401
    assert emulator.stats()["tenants"][CONTOSO]["graph_requests"] == 0


def test_app_without_roles_is_403(graph_as, emulator_apps):
    """graph-api.md 5: reading incidents needs SecurityIncident.Read(Write).All."""
    graph = graph_as(CONTOSO, emulator_apps["no_roles"].client_id)

    response = graph.get("/security/incidents")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_read_only_app_reads_but_cannot_patch(graph_as, emulator_apps, emulator):
    """graph-api.md 1.5: PATCH needs the ReadWrite role."""
    graph = graph_as(CONTOSO, emulator_apps["read_only"].client_id)

    assert graph.get("/security/incidents/2972395").status_code == 200
    response = graph.patch("/security/incidents/2972395", json={"status": "active"})
    assert response.status_code == 403
    assert emulator.writes() == []


def test_stats_and_writes_hooks_answer_over_https(https, graph):
    graph.patch("/security/incidents/2972395", json={"status": "inProgress"})

    stats = https.get("/_emulator/stats").json()
    writes = https.get("/_emulator/writes").json()["writes"]

    assert stats["tenants"][CONTOSO]["writes"] == 1
    assert stats["totals"]["writes"] == 1
    assert [(w["id"], w["fields"]) for w in writes] == [
        ("2972395", {"status": "inProgress"})
    ]


def test_reset_hook_restores_the_seed_and_clears_counters(https, graph):
    graph.patch("/security/incidents/2972395", json={"status": "inProgress"})

    assert https.post("/_emulator/reset").status_code == 200

    assert graph.get("/security/incidents/2972395").json()["status"] == "active"
    assert https.get("/_emulator/writes").json() == {"writes": []}


def asgi_get(app, path, client):
    """Call the ASGI app directly, as a client at `client` (host, port) would."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"emulator.test")],
        "client": client,
        "server": ("10.0.0.1", 443),
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_hooks_refuse_clients_that_are_not_on_loopback(emulator):
    status, body = asgi_get(emulator.app, "/_emulator/stats", ("10.1.2.3", 50000))

    assert status == 403
    assert body == {"error": "The emulator's hooks answer loopback clients only."}


def test_hooks_answer_loopback_clients(emulator):
    status, body = asgi_get(emulator.app, "/_emulator/stats", ("::1", 50000))

    assert status == 200
    assert set(body) == {"tenants", "totals"}

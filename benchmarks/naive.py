"""The loop a SOC engineer writes by hand: the baseline the engine is compared with.

One tenant after another, GET every declared incident by id, PATCH it when a
declared field differs, sleeping on Retry-After so that it completes. It reads the
same triage repository as the reconciler and talks to the same endpoints.

    python -m benchmarks.naive ROOT   (endpoints and secrets from the environment)
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import msal
import yaml

SCOPE = ["https://graph.microsoft.com/.default"]
FIELD_NAMES = {"assignee": "assignedTo", "tags": "customTags"}


def main(root: Path) -> dict[str, int]:
    authority_host = os.environ["RECONCILER_AUTHORITY_HOST"]
    graph_url = os.environ["RECONCILER_GRAPH_URL"]
    context = ssl.create_default_context(cafile=os.environ["RECONCILER_CA_BUNDLE"])
    settings = yaml.safe_load((root / "reconciler.yaml").read_text()) or {}
    default_client_id = settings.get("defaults", {}).get("client_id")

    counts = {"gets": 0, "patches": 0}
    with httpx.Client(verify=context, timeout=30) as http:
        for tenant_dir in sorted((root / "state").iterdir()):
            tenant = yaml.safe_load((tenant_dir / "tenant.yaml").read_text())
            app = msal.ConfidentialClientApplication(
                tenant.get("client_id", default_client_id),
                client_credential=os.environ[tenant["credential"]["secret_env"]],
                authority=f"{authority_host}/{tenant['tenant_id']}",
                instance_discovery=False,
                http_client=http,
            )
            token = app.acquire_token_for_client(scopes=SCOPE)["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            declared = yaml.safe_load((tenant_dir / "incidents.yaml").read_text())
            for incident_id, desired in (declared.get("incidents") or {}).items():
                url = f"{graph_url}/security/incidents/{incident_id}"
                live = send(http, "GET", url, headers).json()
                counts["gets"] += 1
                body = differing_fields(desired, live)
                if body:
                    send(http, "PATCH", url, headers, body)
                    counts["patches"] += 1
    return counts


def differing_fields(desired: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    body = {}
    for key, value in desired.items():
        field = FIELD_NAMES.get(key, key)
        current = live.get(field)
        if field == "customTags":
            if sorted(current or []) != sorted(value):
                body[field] = value
        elif (current or "").lower() != (value or "").lower():
            body[field] = value
    return body


def send(
    http: httpx.Client,
    method: str,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    while True:
        response = http.request(method, url, headers=headers, json=body)
        if response.status_code not in (429, 503):
            response.raise_for_status()
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")))


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))

"""A small triage repository over the emulator's demo tenants, for command tests.

Declared so that the first plan has exactly these changes (live values are the
emulator's demo seed):

- contoso incident 2972395: status active -> inProgress, tags + escalated
- contoso incident 2972401: already as declared (no change)
- contoso incident 2972420: resolved as informationalExpectedActivity/securityTesting
- contoso alert da637551227677560813_-961444813: status new -> inProgress
- fabrikam incident 418: inProgress, truePositive, malware
- fabrikam incident 433: tags [] -> [red-team]
"""

from __future__ import annotations

from pathlib import Path

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM = "7a2b9c4d-0000-4000-8000-000000000002"
CONTOSO_ALERT = "da637551227677560813_-961444813"

FILES = {
    "reconciler.yaml": """\
defaults:
  client_id: 3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b
  quota_per_minute: 150
""",
    "state/contoso/tenant.yaml": f"""\
tenant_id: {CONTOSO}
display_name: Contoso
credential:
  secret_env: CONTOSO_CLIENT_SECRET
assignees:
  domains: [contoso.com]
""",
    "state/contoso/incidents.yaml": """\
incidents:
  "2972395":
    status: inProgress
    tags: [ransomware, escalated]
  "2972401":
    status: inProgress
  "2972420":
    status: resolved
    classification: informationalExpectedActivity
    determination: securityTesting
""",
    "state/contoso/alerts.yaml": f"""\
alerts:
  {CONTOSO_ALERT}:
    status: inProgress
""",
    "state/fabrikam/tenant.yaml": f"""\
tenant_id: {FABRIKAM}
display_name: Fabrikam
credential:
  secret_env: FABRIKAM_CLIENT_SECRET
assignees:
  domains: [fabrikam.com]
  roster: [soc-lead@fabrikam.onmicrosoft.com]
""",
    "state/fabrikam/incidents.yaml": """\
incidents:
  "418":
    status: inProgress
    classification: truePositive
    determination: malware
  "433":
    tags: [red-team]
""",
}

# (tenant id, kind, id) -> the fields the first apply writes.
EXPECTED_WRITES = {
    (CONTOSO, "incident", "2972395"): {
        "status": "inProgress",
        "customTags": ["escalated", "ransomware"],
    },
    (CONTOSO, "incident", "2972420"): {
        "status": "resolved",
        "classification": "informationalExpectedActivity",
        "determination": "securityTesting",
    },
    (CONTOSO, "alert", CONTOSO_ALERT): {"status": "inProgress"},
    (FABRIKAM, "incident", "418"): {
        "status": "inProgress",
        "classification": "truePositive",
        "determination": "malware",
    },
    (FABRIKAM, "incident", "433"): {"customTags": ["red-team"]},
}


def write_repository(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root

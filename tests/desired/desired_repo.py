"""A small valid triage repository for the desired-state tests to break."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.loading import ValidationFailed, load_repository
from reconciler.desired.models import DesiredState

CONTOSO_ID = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM_ID = "7a2b9c4d-0000-4000-8000-000000000002"
CLIENT_ID = "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"

SETTINGS = f"""\
defaults:
  client_id: {CLIENT_ID}
"""
CONTOSO_TENANT = f"""\
tenant_id: {CONTOSO_ID}
display_name: Contoso
credential:
  secret_env: CONTOSO_CLIENT_SECRET
assignees:
  domains: [contoso.com]
"""
FABRIKAM_TENANT = f"""\
tenant_id: {FABRIKAM_ID}
credential:
  secret_env: FABRIKAM_CLIENT_SECRET
"""
CONTOSO_INCIDENTS = """\
incidents:
  "2972395":
    assignee: kai@contoso.com
    status: active
    classification: truePositive
    determination: multiStagedAttack
    tags: [ransomware, escalated]
"""
CONTOSO_ALERTS = """\
alerts:
  da637551227677560813_-961444813:
    status: resolved
"""


class Repository:
    """A triage repository under a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def load(self, tenants: list[str] | None = None) -> DesiredState:
        return load_repository(self.root, tenants, use_cache=False)

    def problems(self, tenants: list[str] | None = None) -> list[str]:
        """Every problem as printed; fails the test if the state is valid."""
        with pytest.raises(ValidationFailed) as failure:
            self.load(tenants)
        return [str(problem) for problem in failure.value.problems]


def make_repository(root: Path) -> Repository:
    repository = Repository(root)
    repository.write("reconciler.yaml", SETTINGS)
    repository.write("state/contoso/tenant.yaml", CONTOSO_TENANT)
    repository.write("state/contoso/incidents.yaml", CONTOSO_INCIDENTS)
    repository.write("state/contoso/alerts.yaml", CONTOSO_ALERTS)
    repository.write("state/fabrikam/tenant.yaml", FABRIKAM_TENANT)
    return repository

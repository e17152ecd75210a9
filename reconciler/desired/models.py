"""The desired state as the rest of the program sees it, once loaded and valid.

Plain frozen dataclasses: a repository can declare hundreds of thousands of items,
and these are built after validation, so they carry no validation cost of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["incident", "alert"]

# A managed field's desired value: an enum member or assignee (str), unassigned
# (None), or the sorted unique incident custom tags.
FieldValue = str | None | tuple[str, ...]

# YAML key -> Graph wire field, per kind. Alerts have no custom tags in Graph.
INCIDENT_FIELDS: dict[str, str] = {
    "assignee": "assignedTo",
    "status": "status",
    "classification": "classification",
    "determination": "determination",
    "tags": "customTags",
}
ALERT_FIELDS: dict[str, str] = {
    key: wire for key, wire in INCIDENT_FIELDS.items() if key != "tags"
}
DEFAULT_QUOTA_PER_MINUTE = 150
MAX_QUOTA_PER_MINUTE = 10_000


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A place in a file: PATH relative to the repository root, 1-based line/col."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class DesiredItem:
    """One declared incident or alert: only the fields it manages, by wire name."""

    kind: Kind
    id: str
    fields: dict[str, FieldValue]
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class Credential:
    """Where a tenant's app credential comes from; never the secret itself."""

    secret_env: str | None = None
    certificate_file: Path | None = None

    def __post_init__(self) -> None:
        if (self.secret_env is None) == (self.certificate_file is None):
            raise ValueError(
                "a credential needs exactly one of secret_env and certificate_file"
            )


@dataclass(frozen=True, slots=True)
class AssigneePolicy:
    """Who may be assigned in a tenant: lower-cased domains and roster addresses."""

    domains: tuple[str, ...] = ()
    roster: tuple[str, ...] = ()

    def allows(self, assignee: str) -> bool:
        address = assignee.casefold()
        if address in self.roster:
            return True
        _, at, domain = address.rpartition("@")
        return bool(at) and domain in self.domains


@dataclass(frozen=True, slots=True)
class TenantSpec:
    slug: str
    tenant_id: str
    display_name: str
    client_id: str
    credential: Credential
    assignees: AssigneePolicy | None
    quota_per_minute: int
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class CloudSettings:
    authority_host: str | None = None
    graph_url: str | None = None
    ca_bundle: Path | None = None


@dataclass(frozen=True, slots=True)
class Defaults:
    client_id: str | None = None
    quota_per_minute: int = DEFAULT_QUOTA_PER_MINUTE


@dataclass(frozen=True, slots=True)
class RepositorySettings:
    cloud: CloudSettings = field(default_factory=CloudSettings)
    defaults: Defaults = field(default_factory=Defaults)


@dataclass(frozen=True, slots=True)
class TenantState:
    spec: TenantSpec
    incidents: dict[str, DesiredItem]
    alerts: dict[str, DesiredItem]

    def items(self, kind: Kind) -> dict[str, DesiredItem]:
        return self.incidents if kind == "incident" else self.alerts


@dataclass(frozen=True, slots=True)
class DesiredState:
    root: Path
    settings: RepositorySettings
    tenants: dict[str, TenantState]

    def count(self, kind: Kind) -> int:
        return sum(len(tenant.items(kind)) for tenant in self.tenants.values())

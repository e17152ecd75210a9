"""JSON Schemas of the state files, for editors that complete and check YAML.

The models mirror the files' shape and are generated from the same constants
the loader checks against (keys, declarable enum values, patterns); the loader
stays the authority, since a schema cannot say where a file is wrong or why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.desired.enums import DEPRECATED_DETERMINATIONS
from reconciler.desired.items import (
    CLASSIFICATION_VALUES,
    DETERMINATION_VALUES,
    ITEM_ID,
    ITEM_ID_MAX_LENGTH,
    STATUS_VALUES,
)
from reconciler.desired.models import MAX_QUOTA_PER_MINUTE
from reconciler.desired.tenants import ENV_NAME

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_GUID = "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"


def _exactly(schema: dict[str, Any]) -> Any:
    """An optional field whose value, when given, must match `schema` (not null).

    The models say `X | None = None` so that a key may be absent; the loader
    refuses an explicit null for these keys, and so does the schema.
    """

    def replace(generated: dict[str, Any]) -> None:
        generated.clear()
        generated.update(schema)

    return Field(default=None, json_schema_extra=replace)


def _enum(values: Iterable[str], description: str) -> Any:
    return _exactly(
        {"type": "string", "enum": sorted(values), "description": description}
    )


Guid = Annotated[str, Field(pattern=_GUID)]
ItemId = Annotated[
    str, Field(pattern=f"^{ITEM_ID.pattern}$", max_length=ITEM_ID_MAX_LENGTH)
]
Quota = Annotated[int, Field(ge=1, le=MAX_QUOTA_PER_MINUTE)]
_INCIDENT_STATUS = _enum(
    STATUS_VALUES["incident"],
    "The incident's status; redirected and awaitingAction are set by the "
    "service and cannot be declared.",
)
_DETERMINATION_NOTE = (
    "Graph's alertDetermination. It must fit the classification, which must be "
    "declared with it; "
    + " and ".join(sorted(DEPRECATED_DETERMINATIONS))
    + " are retired."
)
_TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "uniqueItems": True,
    "description": "The exact set of the incident's custom tags; [] removes every tag.",
}
Assignee = Annotated[
    str | None,
    Field(description="Who owns it (usually a UPN); null means unassigned."),
]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class SecretCredential(_Document):
    secret_env: str = Field(pattern=f"^{ENV_NAME.pattern}$")
    """The environment variable holding the app's client secret."""


class CertificateCredential(_Document):
    certificate_file: str
    """A PEM file (private key and certificate), relative to the repository root."""


class Assignees(_Document):
    """Who may be assigned; when given, anyone else is refused."""

    domains: list[str] = Field(default_factory=list)
    """Any address at these domains may be assigned."""
    roster: list[str] = Field(default_factory=list)
    """These addresses may be assigned."""


class TenantDocument(_Document):
    """state/<tenant>/tenant.yaml"""

    tenant_id: Guid
    """The Entra tenant id."""
    display_name: str | None = None
    """A readable name; defaults to the directory name."""
    client_id: Guid | None = None
    """The app's client id; defaults to defaults.client_id in reconciler.yaml."""
    credential: SecretCredential | CertificateCredential
    """Where the app credential comes from; secrets never go in the repository."""
    assignees: Assignees | None = None
    quota_per_minute: Quota | None = None
    """Graph requests per minute this tenant may receive from the reconciler."""


class IncidentFields(_Document):
    """An incident's managed fields; an absent field is left as it is live."""

    assignee: Assignee = None
    status: str | None = _INCIDENT_STATUS
    classification: str | None = _enum(CLASSIFICATION_VALUES, "The classification.")
    determination: str | None = _enum(DETERMINATION_VALUES, _DETERMINATION_NOTE)
    tags: list[str] | None = _exactly(_TAGS)


class AlertFields(_Document):
    """An alert's managed fields; an absent field is left as it is live."""

    assignee: Assignee = None
    status: str | None = _enum(STATUS_VALUES["alert"], "The alert's status.")
    classification: str | None = _enum(CLASSIFICATION_VALUES, "The classification.")
    determination: str | None = _enum(DETERMINATION_VALUES, _DETERMINATION_NOTE)


class IncidentsDocument(_Document):
    """state/<tenant>/incidents.yaml"""

    incidents: dict[ItemId, IncidentFields] | None = None
    """Each incident id (as in the Defender portal) to its declared fields."""


class AlertsDocument(_Document):
    """state/<tenant>/alerts.yaml"""

    alerts: dict[ItemId, AlertFields] | None = None
    """Each alert id (as in the Defender portal) to its declared fields."""


class Cloud(_Document):
    authority_host: str | None = Field(default=None, pattern="^https://[^/?#]+/?$")
    """The identity platform, such as https://login.microsoftonline.com."""
    graph_url: str | None = Field(default=None, pattern="^https://")
    """Graph's base URL, such as https://graph.microsoft.com/v1.0."""
    ca_bundle: str | None = None
    """A PEM bundle to trust instead of the system store."""


class Defaults(_Document):
    client_id: Guid | None = None
    """The multi-tenant app used by tenants that do not name their own."""
    quota_per_minute: Quota | None = None
    """Per tenant, unless tenant.yaml says otherwise (150 when absent)."""


class SettingsDocument(_Document):
    """reconciler.yaml; every key is optional."""

    cloud: Cloud | None = None
    defaults: Defaults | None = None


SCHEMAS: dict[str, type[BaseModel]] = {
    "reconciler.schema.json": SettingsDocument,
    "tenant.schema.json": TenantDocument,
    "incidents.schema.json": IncidentsDocument,
    "alerts.schema.json": AlertsDocument,
}


def render_schemas() -> dict[str, str]:
    """Each schema file's name and text."""
    rendered = {}
    for name, model in SCHEMAS.items():
        schema = {"$schema": DIALECT, **model.model_json_schema()}
        rendered[name] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return rendered


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory`; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

"""Where each kind of item lives in Graph and what permission it needs."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from reconciler.desired.models import Kind


@dataclass(frozen=True)
class Resource:
    kind: Kind
    # Relative to the Graph base URL, as $batch items address it.
    path: str
    plural: str
    permission: str

    def item_path(self, item_id: str) -> str:
        return f"{self.path}/{quote(item_id, safe='')}"


RESOURCES: dict[Kind, Resource] = {
    "incident": Resource(
        kind="incident",
        path="/security/incidents",
        plural="incidents",
        permission="SecurityIncident.ReadWrite.All",
    ),
    "alert": Resource(
        kind="alert",
        path="/security/alerts_v2",
        plural="alerts",
        permission="SecurityAlert.ReadWrite.All",
    ),
}

"""Where the clouds are: endpoints from reconciler.yaml, overridden by the env."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com"
PUBLIC_GRAPH_URL = "https://graph.microsoft.com/v1.0"

ENV_AUTHORITY_HOST = "RECONCILER_AUTHORITY_HOST"
ENV_GRAPH_URL = "RECONCILER_GRAPH_URL"
ENV_CA_BUNDLE = "RECONCILER_CA_BUNDLE"


@dataclass(frozen=True)
class Endpoints:
    """The identity and Graph endpoints one run talks to, and the trust it uses."""

    authority_host: str
    graph_url: str
    ca_bundle: Path | None = None

    def authority(self, tenant_id: str) -> str:
        return f"{self.authority_host}/{tenant_id}"


def resolve_endpoints(
    authority_host: str | None = None,
    graph_url: str | None = None,
    ca_bundle: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Endpoints:
    """Combine the file's values with the environment; the environment wins.

    A relative CA bundle path from the file is the caller's to anchor at the
    repository root before calling.
    """
    env = os.environ if environ is None else environ

    host = env.get(ENV_AUTHORITY_HOST) or authority_host or PUBLIC_AUTHORITY_HOST
    graph = env.get(ENV_GRAPH_URL) or graph_url or PUBLIC_GRAPH_URL
    bundle = env.get(ENV_CA_BUNDLE) or ca_bundle

    return Endpoints(
        authority_host=host.rstrip("/"),
        graph_url=graph.rstrip("/"),
        ca_bundle=Path(bundle) if bundle else None,
    )

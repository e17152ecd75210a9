"""Live state: the Graph client, and the only layer that speaks HTTP or holds tokens.

`GraphClient` is one run's connection (one HTTP client shared by MSAL and Graph,
one token cache); `GraphClient.tenant(spec)` gives the `TenantClient` that reads
and writes one tenant's incidents and alerts within its request budget.
"""

from reconciler.live.client import GraphClient, TenantClient
from reconciler.live.errors import (
    AuthenticationError,
    ConnectionFailedError,
    CredentialError,
    GraphError,
    LiveError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    ThrottledError,
    TlsError,
    TransientError,
)
from reconciler.live.records import ListResult, LiveItem, ReadResult, WriteOutcome
from reconciler.live.retrying import RetryPolicy

__all__ = [
    "AuthenticationError",
    "ConnectionFailedError",
    "CredentialError",
    "GraphClient",
    "GraphError",
    "ListResult",
    "LiveError",
    "LiveItem",
    "NotFoundError",
    "PermissionDeniedError",
    "ReadResult",
    "RetryPolicy",
    "ServiceError",
    "TenantClient",
    "ThrottledError",
    "TlsError",
    "TransientError",
    "WriteOutcome",
]

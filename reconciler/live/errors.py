"""What can go wrong between us and a tenant, as the project's own error types.

Messages name the tenant, what happened and what to do. They never carry a
token, a secret or a client assertion.
"""

from __future__ import annotations

from reconciler.errors import ReconcilerError


class LiveError(ReconcilerError):
    """A failure talking to the identity platform or Graph."""


class CredentialError(LiveError):
    """A tenant's credential could not be loaded; nothing was sent."""


class AuthenticationError(LiveError):
    """The identity platform refused to issue a token, or Graph refused it."""


class PermissionDeniedError(LiveError):
    """Graph answered 403: the application lacks a permission in the tenant."""


class NotFoundError(LiveError):
    """Graph does not know the item or the resource."""


class TransientError(LiveError):
    """A failure that may clear on its own: throttling, outages, timeouts."""


class ThrottledError(TransientError):
    """Graph kept answering 429/503 beyond the retry budget."""


class ServiceError(TransientError):
    """Graph kept failing (5xx, timeouts, dropped connections) beyond the budget."""


class TlsError(LiveError):
    """The server's certificate is not trusted or the TLS handshake failed."""


class ConnectionFailedError(LiveError):
    """Nothing answered at the configured URL."""


class GraphError(LiveError):
    """Graph answered in a way this client does not expect."""

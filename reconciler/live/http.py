"""The one HTTP stack of a run, shared by MSAL (tokens) and Graph.

One `httpx.Client` means one trust setting and one connection pool. A CA bundle
from the configuration is trusted instead of the system store; otherwise httpx's
default applies, which honours SSL_CERT_FILE.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from reconciler import __version__
from reconciler.config import ENV_CA_BUNDLE
from reconciler.live.errors import ConnectionFailedError, TlsError
from reconciler.live.retrying import RetryableFailure

USER_AGENT = f"reconciler/{__version__}"


def trust_for(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """The TLS trust to use: the given bundle, or the default store."""
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as error:
        raise TlsError(
            f"cannot load the CA bundle {ca_bundle} ({_reason(error)}); point "
            f"{ENV_CA_BUNDLE} or cloud.ca_bundle in reconciler.yaml at a readable "
            "PEM file of trusted certificates"
        ) from error


def build_http_client(
    *,
    ca_bundle: Path | None,
    timeout: float,
    max_connections: int,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The client every request of the run goes through."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
    )
    # Waiting for a free pooled connection is bounded by the requests holding
    # them, so it gets no timeout of its own.
    timeouts = httpx.Timeout(timeout, pool=None)
    headers = {"User-Agent": USER_AGENT}
    if transport is not None:
        return httpx.Client(transport=transport, timeout=timeouts, headers=headers)
    return httpx.Client(
        verify=trust_for(ca_bundle),
        limits=limits,
        timeout=timeouts,
        headers=headers,
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


def transport_failure(
    error: httpx.TransportError, *, url: str, setting: str
) -> RetryableFailure:
    """What a failed connection means, as a failure the retry loop understands.

    `url` is where we were connecting and `setting` names where it is configured.
    An untrusted certificate is final at once: retrying cannot fix trust.
    """
    if _caused_by(error, ssl.SSLCertVerificationError):
        raise TlsError(
            f"the TLS certificate of {url} is not trusted "
            f"({_certificate_reason(error)}); if the server uses a private CA, point "
            f"{ENV_CA_BUNDLE} or cloud.ca_bundle in reconciler.yaml at its PEM bundle"
        ) from error
    if isinstance(error, httpx.TimeoutException):
        return RetryableFailure(
            f"no answer from {url} in time ({type(error).__name__})"
        )
    if _caused_by(error, ssl.SSLError):
        return RetryableFailure(
            f"the TLS handshake with {url} failed",
            final=TlsError(
                f"the TLS handshake with {url} failed ({error}); check that {setting} "
                "points at an HTTPS endpoint"
            ),
        )
    if _caused_by(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return RetryableFailure(
            f"connection to {url} refused",
            final=ConnectionFailedError(
                f"nothing answers at {url} (connection refused); check {setting} and "
                "that the server is running"
            ),
        )
    if isinstance(error, httpx.ConnectError):
        return RetryableFailure(
            f"cannot connect to {url} ({error})",
            final=ConnectionFailedError(
                f"cannot connect to {url} ({error}); check {setting} and the network"
            ),
        )
    return RetryableFailure(f"the connection to {url} dropped ({type(error).__name__})")


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _certificate_reason(error: BaseException) -> str:
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError):
            return getattr(current, "verify_message", None) or "verification failed"
        current = current.__cause__ or current.__context__
    return "verification failed"


class MsalHttpClient:
    """The run's httpx client in the shape MSAL calls (`get`, `post`, `close`).

    MSAL hands the signed client assertion over as bytes in the form data, which
    httpx would encode as "b'...'" and the identity platform would refuse as not
    a JWT; text is passed on as it is.
    """

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        return self._http.get(url, params=params, headers=headers, **kwargs)

    def post(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if isinstance(data, Mapping):
            data = {
                key: value.decode("ascii") if isinstance(value, bytes) else value
                for key, value in data.items()
            }
        return self._http.post(url, params=params, data=data, headers=headers, **kwargs)

    def close(self) -> None:
        """The run's client outlives every MSAL client; `GraphClient` closes it."""

"""Credentials and tokens: one MSAL confidential client per tenant.

A tenant's credential (a secret from an environment variable, or a PEM file
holding a private key and its certificate) is loaded and checked before any
request. The MSAL client is built on the first need of a token, in the tenant's
own thread, because MSAL resolves its authority with a request while it is being
constructed. All tenants share one token cache and the run's one HTTP client.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import msal
from msal.exceptions import MsalServiceError

from reconciler.config import ENV_AUTHORITY_HOST
from reconciler.desired.models import TenantSpec
from reconciler.live.errors import AuthenticationError, CredentialError, LiveError
from reconciler.live.http import MsalHttpClient, transport_failure
from reconciler.live.retrying import RetryableFailure, RetryPolicy, retrying

logger = logging.getLogger(__name__)

# Graph's app-only scope is its resource with /.default; national clouds have
# their own resource. Anything else (the emulator) answers to the public one.
PUBLIC_GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_RESOURCES = {
    "graph.microsoft.com": PUBLIC_GRAPH_RESOURCE,
    "graph.microsoft.us": "https://graph.microsoft.us",
    "dod-graph.microsoft.us": "https://dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn": "https://microsoftgraph.chinacloudapi.cn",
}

# MSAL replays a failed token request from memory for this long, so retrying
# sooner would only get the same answer without reaching the server.
MSAL_THROTTLE_S = 5.0

_AADSTS = re.compile(r"AADSTS(\d+)")
SECRET_REFUSED = 7000215
SECRET_EXPIRED = 7000222
CERTIFICATE_REFUSED = 700027
NOT_CONSENTED = 700016
UNKNOWN_TENANT = 90002


def graph_scope(graph_url: str) -> str:
    host = (urlsplit(graph_url).hostname or "").lower()
    return GRAPH_RESOURCES.get(host, PUBLIC_GRAPH_RESOURCE) + "/.default"


@dataclass(frozen=True)
class ClientSecret:
    """A client secret read from the environment variable the tenant names."""

    env_var: str
    value: str = field(repr=False)

    def for_msal(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"ClientSecret(env_var={self.env_var!r})"


@dataclass(frozen=True)
class ClientCertificate:
    """A private key and its certificate, from the PEM file the tenant names."""

    path: Path
    private_key_pem: str = field(repr=False)
    certificate_pem: str

    def for_msal(self) -> dict[str, str]:
        # With the certificate and no SHA-1 thumbprint, MSAL signs the assertion
        # with the SHA-256 thumbprint (x5t#S256).
        return {
            "private_key": self.private_key_pem,
            "public_certificate": self.certificate_pem,
        }

    def __repr__(self) -> str:
        return f"ClientCertificate(path={str(self.path)!r})"


Credential = ClientSecret | ClientCertificate


def load_credential(
    spec: TenantSpec, environ: Mapping[str, str] | None = None
) -> Credential:
    """Read and check a tenant's credential; raises `CredentialError`."""
    env = os.environ if environ is None else environ
    source = spec.credential
    if source.secret_env is not None:
        return _load_secret(spec, source.secret_env, env)
    if source.certificate_file is not None:
        return _load_certificate(spec, source.certificate_file)
    raise CredentialError(
        f"tenant {spec.slug}: no credential is configured; set credential.secret_env "
        f"or credential.certificate_file in {spec.location.path}"
    )


def _load_secret(
    spec: TenantSpec, env_var: str, env: Mapping[str, str]
) -> ClientSecret:
    value = env.get(env_var)
    if value is None or not value.strip():
        state = "is not set" if value is None else "is empty"
        raise CredentialError(
            f"tenant {spec.slug}: the environment variable {env_var} {state}; set it "
            f"to the client secret of application {spec.client_id} "
            f"({spec.location.path} names it as credential.secret_env)"
        )
    return ClientSecret(env_var=env_var, value=value.strip())


def _load_certificate(spec: TenantSpec, path: Path) -> ClientCertificate:
    # Imported here: loading cryptography's x509 costs every run about 60 ms of
    # start-up, and only certificate credentials need it.
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    where = f"tenant {spec.slug}: the certificate file {path}"
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = (error.strerror or type(error).__name__).lower()
        raise CredentialError(
            f"{where} cannot be read ({reason}); put a PEM file holding the private "
            f"key and certificate of application {spec.client_id} there, or fix "
            f"credential.certificate_file in {spec.location.path}"
        ) from error

    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError as error:
        raise CredentialError(
            f"{where} holds an encrypted private key; store the key unencrypted "
            "and protect the file instead, since nothing can prompt for a passphrase"
        ) from error
    except ValueError as error:
        raise CredentialError(
            f"{where} holds no readable PEM private key; it must hold both the "
            "private key and the certificate, in PEM"
        ) from error
    try:
        certificate = x509.load_pem_x509_certificates(data)[0]
    except ValueError as error:
        raise CredentialError(
            f"{where} holds no readable PEM certificate; it must hold both the "
            "private key and the certificate, in PEM"
        ) from error

    if certificate.public_key() != key.public_key():
        raise CredentialError(
            f"{where}: its private key does not belong to its certificate; put the "
            "matching pair in the file"
        )
    expiry = certificate.not_valid_after_utc
    if expiry <= datetime.now(UTC):
        raise CredentialError(
            f"{where} holds a certificate that expired on {expiry:%Y-%m-%d}; renew "
            f"it and upload the new certificate to application {spec.client_id}"
        )

    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ClientCertificate(
        path=path,
        private_key_pem=key_pem.decode("ascii"),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(
            "ascii"
        ),
    )


class TokenSource:
    """Tokens for one tenant, from its own MSAL client, cached in the shared cache."""

    def __init__(
        self,
        spec: TenantSpec,
        credential: Credential,
        *,
        authority_host: str,
        graph_url: str,
        http: httpx.Client,
        cache: msal.TokenCache,
        retry: RetryPolicy,
    ) -> None:
        self._spec = spec
        self._credential = credential
        self._authority_host = authority_host
        self._scopes = [graph_scope(graph_url)]
        self._http = http
        self._cache = cache
        self._retry = retry
        self._lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None

    def __repr__(self) -> str:
        return f"TokenSource(tenant={self._spec.slug!r})"

    @property
    def authority(self) -> str:
        return f"{self._authority_host}/{self._spec.tenant_id}"

    @property
    def consent_url(self) -> str:
        """Where an administrator of the tenant grants the application consent."""
        return f"{self.authority}/adminconsent?client_id={self._spec.client_id}"

    def token(self) -> str:
        """A bearer token for Graph; from the cache unless it is close to expiry."""
        with self._lock:
            try:
                return retrying(self._retry, f"{self._spec.slug}: sign-in")(
                    self._attempt
                )
            except RetryableFailure as failure:
                raise failure.exhausted(
                    f"signing in to tenant {self._spec.slug} at {self.authority}"
                ) from None

    def discard(self) -> None:
        """Forget cached tokens, after Graph refused one as invalid."""
        with self._lock:
            if self._app is not None:
                self._app.remove_tokens_for_client()

    def _attempt(self) -> str:
        try:
            if self._app is None:
                self._app = self._build()
            result: dict[str, Any] = self._app.acquire_token_for_client(
                scopes=self._scopes
            )
        except httpx.TransportError as error:
            raise transport_failure(
                error, url=self._authority_host, setting=_AUTHORITY_SETTING
            ) from error
        except MsalServiceError as error:
            raise RetryableFailure(
                f"the identity platform failed ({error.args[0] if error.args else ''})",
                retry_after=MSAL_THROTTLE_S,
            ) from error
        except ValueError as error:
            raise self._refused_configuration(error) from error

        token = result.get("access_token")
        if isinstance(token, str) and token:
            logger.debug(
                "%s: token from %s", self._spec.slug, result.get("token_source", "?")
            )
            return token
        raise self._refusal(result)

    def _build(self) -> msal.ConfidentialClientApplication:
        logger.debug("%s: resolving authority %s", self._spec.slug, self.authority)
        return msal.ConfidentialClientApplication(
            self._spec.client_id,
            client_credential=self._credential.for_msal(),
            authority=self.authority,
            # Always: never ask login.microsoftonline.com about a private host.
            instance_discovery=False,
            http_client=MsalHttpClient(self._http),
            token_cache=self._cache,
        )

    def _refused_configuration(self, error: ValueError) -> LiveError:
        text = str(error)
        if "authority configuration" in text or "Discovery failed" in text:
            return self._unknown_tenant()
        if "https url" in text:
            return AuthenticationError(
                f"the authority host {self._authority_host} is not an https URL; set "
                f"{ENV_AUTHORITY_HOST} or cloud.authority_host to one"
            )
        first_line = text.splitlines()[0] if text else type(error).__name__
        return AuthenticationError(
            f"cannot sign in to tenant {self._spec.slug}: {first_line[:200]}"
        )

    def _unknown_tenant(self) -> AuthenticationError:
        spec = self._spec
        return AuthenticationError(
            f"tenant {spec.slug}: {spec.tenant_id} is not a known tenant at "
            f"{self._authority_host}; check tenant_id in {spec.location.path}"
        )

    def _refusal(self, result: Mapping[str, Any]) -> LiveError:
        spec = self._spec
        code = _error_code(result)
        credential = self._credential
        if code in (SECRET_REFUSED, SECRET_EXPIRED) and isinstance(
            credential, ClientSecret
        ):
            state = "has expired" if code == SECRET_EXPIRED else "was refused"
            return AuthenticationError(
                f"the client secret in ${credential.env_var} {state} for tenant "
                f"{spec.slug}; check it is current"
            )
        if code == CERTIFICATE_REFUSED and isinstance(credential, ClientCertificate):
            return AuthenticationError(
                f"the certificate in {credential.path} was refused for tenant "
                f"{spec.slug}; check that it is the certificate uploaded to "
                f"application {spec.client_id} and that it is current"
            )
        if code == NOT_CONSENTED:
            return AuthenticationError(
                f"application {spec.client_id} is not consented in tenant {spec.slug} "
                f"({spec.tenant_id}); an administrator of that tenant must grant "
                f"consent at {self.consent_url}"
            )
        if code == UNKNOWN_TENANT:
            return self._unknown_tenant()
        return AuthenticationError(
            f"the identity platform refused a token for tenant {spec.slug}: "
            f"{_summary(result)}"
        )


_AUTHORITY_SETTING = f"{ENV_AUTHORITY_HOST} or cloud.authority_host"


def _error_code(result: Mapping[str, Any]) -> int | None:
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    match = _AADSTS.search(str(result.get("error_description", "")))
    return int(match.group(1)) if match else None


def _summary(result: Mapping[str, Any]) -> str:
    """The error and the first sentence of its description, without trace ids."""
    error = str(result.get("error") or "unknown error")
    description = str(result.get("error_description") or "")
    first = description.split("\n")[0].split(" Trace ID:")[0].strip()
    return f"{error}: {first[:300]}" if first else error

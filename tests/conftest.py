"""Shared fixtures: one Graph + identity emulator per test worker, over HTTPS.

Fixtures (names and values are a contract other test folders rely on):

- `emulator_session` (session): the running `EmulatorServer`, one per xdist
  worker, seeded with the demo tenants (reconciler/emulator/data/demo.yaml):
  contoso `5f1c2d3e-0000-4000-8000-000000000001` and fabrikam
  `7a2b9c4d-0000-4000-8000-000000000002`, plus the apps of `emulator_apps`.
- `emulator` (function): the same server after `.reset()`: data back to the
  seed, counters and write log empty, limits back to the defaults (quota 150 per
  minute, no latency, no faults).
- `emulator_env` (function): a copy of os.environ plus what a reconciler
  subprocess needs to reach the emulator: RECONCILER_AUTHORITY_HOST,
  RECONCILER_GRAPH_URL, RECONCILER_CA_BUNDLE, CONTOSO_CLIENT_SECRET,
  FABRIKAM_CLIENT_SECRET (the demo secret).
- `emulator_apps` (session): name -> `SeededApp` (client_id, client_secret,
  certificate_file):
  - "demo": 3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b, secret
    `demo-only-secret-not-for-production`, both ReadWrite roles in both tenants;
  - "certificate": 6b1f3c2a-7d4e-4f5a-9b6c-1d2e3f4a5b6c, no secret; its
    `certificate_file` is one PEM holding the RSA private key and the certificate
    (as a tenant's `credential.certificate_file`); both roles in both tenants;
  - "read_only": a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d, secret `read-only-secret`,
    SecurityIncident.Read.All and SecurityAlert.Read.All in both tenants;
  - "no_roles": 9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f, secret `no-roles-secret`,
    consented in both tenants with no roles (tokens work, Graph answers 403).
- `emulator_tenants` (session): {"contoso": tenant id, "fabrikam": tenant id}.
- `write_certificate` (session): `write_certificate(path) -> path` writes a new
  RSA key and self-signed certificate into one PEM file (a certificate_file).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from reconciler.emulator import EmulatorServer, start_emulator
from reconciler.emulator.seeding import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    demo_seed_mapping,
)

CONTOSO_TENANT_ID = "5f1c2d3e-0000-4000-8000-000000000001"
FABRIKAM_TENANT_ID = "7a2b9c4d-0000-4000-8000-000000000002"
CERTIFICATE_CLIENT_ID = "6b1f3c2a-7d4e-4f5a-9b6c-1d2e3f4a5b6c"
READ_ONLY_CLIENT_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
NO_ROLES_CLIENT_ID = "9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f"
FULL_ROLES = ["SecurityIncident.ReadWrite.All", "SecurityAlert.ReadWrite.All"]
READ_ROLES = ["SecurityIncident.Read.All", "SecurityAlert.Read.All"]


@dataclass(frozen=True)
class SeededApp:
    """An application registered in the session's emulator."""

    client_id: str
    client_secret: str | None = None
    certificate_file: Path | None = None


@pytest.fixture(autouse=True)
def _restore_package_logger() -> Iterator[None]:
    """In-process command runs configure the package logger; undo that after each.

    Without this, a test that captures logs sees nothing once an earlier test in
    the same worker ran the command line in-process.
    """
    logger = logging.getLogger("reconciler")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture(scope="session")
def emulator_tenants() -> dict[str, str]:
    return {"contoso": CONTOSO_TENANT_ID, "fabrikam": FABRIKAM_TENANT_ID}


@pytest.fixture(scope="session")
def write_certificate() -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        _write_key_and_certificate(path)
        return path

    return write


@pytest.fixture(scope="session")
def emulator_apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SeededApp]:
    certificate_file = tmp_path_factory.mktemp("emulator-app") / "certificate-app.pem"
    _write_key_and_certificate(certificate_file)
    return {
        "demo": SeededApp(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        "certificate": SeededApp(CERTIFICATE_CLIENT_ID, None, certificate_file),
        "read_only": SeededApp(READ_ONLY_CLIENT_ID, "read-only-secret"),
        "no_roles": SeededApp(NO_ROLES_CLIENT_ID, "no-roles-secret"),
    }


@pytest.fixture(scope="session")
def emulator_session(
    emulator_apps: dict[str, SeededApp], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorServer]:
    seed = demo_seed_mapping()
    seed["apps"].extend(_extra_apps(emulator_apps))
    state_dir = tmp_path_factory.mktemp("emulator-tls")
    with start_emulator(seed=seed, state_dir=state_dir) as server:
        yield server


@pytest.fixture
def emulator(emulator_session: EmulatorServer) -> EmulatorServer:
    emulator_session.reset()
    return emulator_session


@pytest.fixture
def emulator_env(emulator: EmulatorServer) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RECONCILER_AUTHORITY_HOST=emulator.url,
        RECONCILER_GRAPH_URL=f"{emulator.url}/v1.0",
        RECONCILER_CA_BUNDLE=str(emulator.ca_bundle),
        CONTOSO_CLIENT_SECRET=DEMO_CLIENT_SECRET,
        FABRIKAM_CLIENT_SECRET=DEMO_CLIENT_SECRET,
    )
    return env


def _extra_apps(apps: dict[str, SeededApp]) -> list[dict[str, Any]]:
    tenants = (CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID)
    certificate_file = apps["certificate"].certificate_file
    assert certificate_file is not None
    return [
        {
            "client_id": CERTIFICATE_CLIENT_ID,
            "display_name": "reconciler (certificate)",
            "certificate": _certificate_part(certificate_file.read_text()),
            "consents": dict.fromkeys(tenants, FULL_ROLES),
        },
        {
            "client_id": READ_ONLY_CLIENT_ID,
            "display_name": "read-only auditor",
            "client_secret": apps["read_only"].client_secret,
            "consents": dict.fromkeys(tenants, READ_ROLES),
        },
        {
            "client_id": NO_ROLES_CLIENT_ID,
            "display_name": "consented without roles",
            "client_secret": apps["no_roles"].client_secret,
            "consents": {tenant: [] for tenant in tenants},
        },
    ]


def _certificate_part(pem: str) -> str:
    start = pem.index("-----BEGIN CERTIFICATE-----")
    return pem[start:]


def _write_key_and_certificate(path: Path) -> None:
    """An RSA key and a self-signed certificate in one PEM, as a user would keep it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reconciler test app")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    path.chmod(0o600)

"""Workloads and helpers shared by the reliability tests.

A `Workload` is N generated tenants, each with a number of declared changes
(status, classification, determination and tags everywhere; assignees in the
first tenant only, since one batch may assign in one tenant only), some declared
items already as desired, and some live items nobody declares. It gives the
emulator seed, writes the triage repository, and knows every desired value.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config import Endpoints
from reconciler.emulator import EmulatorServer

CLIENT_ID = "5e1f0a7c-3b2d-4c6e-9f80-00000000a11b"
SECRET_ENV = "SOAK_CLIENT_SECRET"
CLIENT_SECRET = "soak-secret-not-for-production"
ROLES = ["SecurityIncident.ReadWrite.All", "SecurityAlert.ReadWrite.All"]
LIVE_STAMP = "2026-11-30T08:00:00.0000000Z"

# Every declared field differs from the seeded live value (active/new,
# unknown/unknown, no tags, unassigned), so each change writes all its fields.
INCIDENT_PATTERNS: list[dict[str, Any]] = [
    {
        "status": "resolved",
        "classification": "truePositive",
        "determination": "malware",
        "tags": ["soak", "wave-1"],
    },
    {"status": "inProgress", "tags": ["soak"]},
    {
        "status": "resolved",
        "classification": "falsePositive",
        "determination": "notMalicious",
    },
    {
        "classification": "informationalExpectedActivity",
        "determination": "securityTesting",
        "tags": ["red-team"],
    },
]
ALERT_PATTERNS: list[dict[str, Any]] = [
    {"status": "inProgress"},
    {
        "status": "resolved",
        "classification": "truePositive",
        "determination": "phishing",
    },
    {"classification": "falsePositive", "determination": "other"},
]
WIRE = {"tags": "customTags", "assignee": "assignedTo"}

Key = tuple[str, str, str]  # tenant id, kind, item id


@dataclass(frozen=True)
class Workload:
    tenants: int
    changes: int
    # Declared items already as desired, and live items nobody declares.
    quiet: int = 5
    undeclared: int = 10
    quota_per_minute: int = 150

    def slug(self, index: int) -> str:
        return f"soak-{index + 1:02d}"

    def tenant_id(self, index: int) -> str:
        return f"5ea50000-0000-4000-8000-{index + 1:012d}"

    def domain(self, index: int) -> str:
        return f"{self.slug(index)}.example"

    def incident_count(self) -> int:
        return -(-2 * self.changes // 3)

    def incident_id(self, index: int, number: int) -> str:
        return str(1_000_000 * (index + 1) + number)

    def alert_id(self, index: int, number: int) -> str:
        return f"da{index + 1:03d}{number:06d}_-5oak"

    def declared(
        self, index: int, numbers: range | None = None
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """(kind, id) -> YAML fields of the declared changes of one tenant.

        `numbers` narrows them to those changes (0 to changes - 1).
        """
        items: dict[tuple[str, str], dict[str, Any]] = {}
        incidents = self.incident_count()
        for number in numbers if numbers is not None else range(self.changes):
            if number < incidents:
                kind, item_id = "incident", self.incident_id(index, number)
                fields = dict(INCIDENT_PATTERNS[number % len(INCIDENT_PATTERNS)])
            else:
                kind, item_id = "alert", self.alert_id(index, number)
                fields = dict(ALERT_PATTERNS[number % len(ALERT_PATTERNS)])
            if index == 0 and number % 3 == 0:
                fields["assignee"] = f"analyst{number % 5}@{self.domain(index)}"
            items[(kind, item_id)] = fields
        return items

    def expected(self, numbers: range | None = None) -> dict[Key, dict[str, Any]]:
        """What each changed item must look like live, in Graph's wire names."""
        expected: dict[Key, dict[str, Any]] = {}
        for index in range(self.tenants):
            for (kind, item_id), fields in self.declared(index, numbers).items():
                expected[(self.tenant_id(index), kind, item_id)] = {
                    WIRE.get(name, name): sorted(value) if name == "tags" else value
                    for name, value in fields.items()
                }
        return expected

    def seed(self) -> dict[str, Any]:
        tenants = []
        for index in range(self.tenants):
            declared = self.declared(index)
            incidents = [
                {"id": item_id, "lastUpdateDateTime": LIVE_STAMP}
                for kind, item_id in declared
                if kind == "incident"
            ]
            incidents += [
                {"id": self.incident_id(index, 900_000 + number)}
                for number in range(self.quiet + self.undeclared)
            ]
            alerts = [
                {"id": item_id, "lastUpdateDateTime": LIVE_STAMP}
                for kind, item_id in declared
                if kind == "alert"
            ]
            tenants.append(
                {
                    "tenant_id": self.tenant_id(index),
                    "name": self.slug(index),
                    "incidents": incidents,
                    "alerts": alerts,
                }
            )
        consents = {tenant["tenant_id"]: ROLES for tenant in tenants}
        app = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "consents": consents,
        }
        return {"apps": [app], "tenants": tenants}

    def write_repository(self, root: Path, numbers: range | None = None) -> Path:
        """Write (or rewrite) the triage repository declaring `numbers` changes."""
        (root / "state").mkdir(parents=True, exist_ok=True)
        (root / "reconciler.yaml").write_text(
            f"defaults:\n  client_id: {CLIENT_ID}\n"
            f"  quota_per_minute: {self.quota_per_minute}\n"
        )
        for index in range(self.tenants):
            directory = root / "state" / self.slug(index)
            directory.mkdir(exist_ok=True)
            (directory / "tenant.yaml").write_text(
                f"tenant_id: {self.tenant_id(index)}\n"
                f"display_name: Soak {index + 1}\n"
                f"credential:\n  secret_env: {SECRET_ENV}\n"
                f"assignees:\n  domains: [{self.domain(index)}]\n"
            )
            declared = self.declared(index, numbers)
            quiet = {
                ("incident", self.incident_id(index, 900_000 + number)): {
                    "status": "active"
                }
                for number in range(self.quiet)
            }
            for kind, top in (("incident", "incidents"), ("alert", "alerts")):
                lines = [f"{top}:"]
                for (item_kind, item_id), fields in {**declared, **quiet}.items():
                    if item_kind != kind:
                        continue
                    lines.append(f'  "{item_id}":')
                    lines += [
                        f"    {name}: {json.dumps(value)}"
                        for name, value in fields.items()
                    ]
                (directory / f"{top}.yaml").write_text("\n".join(lines) + "\n")
        return root


def endpoints_of(emulator: EmulatorServer) -> Endpoints:
    return Endpoints(
        authority_host=emulator.url,
        graph_url=f"{emulator.url}/v1.0",
        ca_bundle=emulator.ca_bundle,
    )


def command_env(emulator: EmulatorServer, **extra: str) -> dict[str, str]:
    """The environment a reconciler process needs to reach this emulator."""
    env = dict(os.environ)
    env.update(
        RECONCILER_AUTHORITY_HOST=emulator.url,
        RECONCILER_GRAPH_URL=f"{emulator.url}/v1.0",
        RECONCILER_CA_BUNDLE=str(emulator.ca_bundle),
    )
    env[SECRET_ENV] = CLIENT_SECRET
    env.update(extra)
    return env


def reconciler_command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "--root", str(root), *args]


def run_reconciler(
    root: Path, *args: str, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        reconciler_command(root, *args),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def live_fields(emulator: EmulatorServer, key: Key, names: list[str]) -> dict[str, Any]:
    """The named fields of one live item, tags sorted for comparing."""
    tenant_id, kind, item_id = key
    item = emulator.store.item(tenant_id, kind, item_id)  # type: ignore[arg-type]
    return {
        name: sorted(item[name]) if name == "customTags" else item[name]
        for name in names
    }


def write_key(write: Mapping[str, Any]) -> Key:
    return (write["tenant_id"], write["kind"], write["id"])


def write_fields(write: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: sorted(value) if name == "customTags" else value
        for name, value in write["fields"].items()
    }


def journal_records(root: Path) -> list[dict[str, Any]]:
    """Every complete record of every apply journal under the repository."""
    records = []
    for path in sorted((root / ".reconciler" / "journal").glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a killed run
            if isinstance(record, dict):
                records.append(record)
    return records


class CountingHandler(logging.Handler):
    """Counts log records by logger name, whatever other handlers are set."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.name] += 1


@contextmanager
def counting(logger_name: str) -> Iterator[CountingHandler]:
    logger = logging.getLogger(logger_name)
    handler = CountingHandler()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

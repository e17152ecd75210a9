"""Seeds: the demo data, seed files (YAML or JSON), mappings, and generated tenants.

Items are Graph-shaped; only `id` is required and anything missing gets a
realistic default. Enum values are accepted in any casing and stored camelCase.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, cast

import yaml

from reconciler.emulator import enums
from reconciler.emulator.errors import SeedError
from reconciler.emulator.identity import thumbprints
from reconciler.emulator.store import App, Item, Kind, SeedData, Tenant
from reconciler.emulator.timestamps import TICKS_PER_SECOND, format_ticks, to_ticks

DEMO_CLIENT_ID = "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
# Published on purpose: it only opens the emulator's demo data.
DEMO_CLIENT_SECRET = "demo-only-secret-not-for-production"  # noqa: S105
FULL_ROLES = ("SecurityIncident.ReadWrite.All", "SecurityAlert.ReadWrite.All")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SLUG = re.compile(r"^[a-z0-9-]+$")
# Items without dates are spread back from this moment, one hour apart.
_EPOCH = to_ticks("2026-11-20T09:00:00Z") or 0
_HOUR = 3600 * TICKS_PER_SECOND


def demo_seed() -> SeedData:
    """The two demo tenants the repository's own state/ describes."""
    return parse_seed(demo_seed_mapping(), source="demo.yaml")


def demo_seed_mapping() -> dict[str, Any]:
    """The demo seed as a mapping, for callers that add apps or items to it."""
    text = resources.files("reconciler.emulator").joinpath("data/demo.yaml")
    data: dict[str, Any] = _load_yaml(text.read_text(encoding="utf-8"), "demo.yaml")
    return data


def load_seed_file(path: Path) -> SeedData:
    """Read a YAML or JSON seed file; SeedError names the place and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError(f"cannot read seed file {path}: {error}") from error
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SeedError(
                f"{path}:{error.lineno}:{error.colno}: error: invalid JSON: {error.msg}"
            ) from error
    else:
        data = _load_yaml(text, str(path))
    return parse_seed(data, source=str(path), base_dir=path.parent)


def parse_seed(
    data: Any, *, source: str = "seed", base_dir: Path | None = None
) -> SeedData:
    """Turn a seed mapping into apps and indexed tenants."""
    reader = _Reader(source, base_dir or Path.cwd())
    return reader.seed(data)


def generate_seed(tenant_count: int, incidents_per_tenant: int) -> SeedData:
    """T tenants (tenant-001...) of N incidents with 1-3 alerts each; deterministic.

    One app, the demo client id and secret, is consented in every tenant.
    """
    tenants = tuple(
        _generated_tenant(number, incidents_per_tenant)
        for number in range(1, tenant_count + 1)
    )
    app = App(
        client_id=DEMO_CLIENT_ID,
        display_name="reconciler",
        client_secret=DEMO_CLIENT_SECRET,
        certificates={},
        consents={tenant.tenant_id: FULL_ROLES for tenant in tenants},
    )
    return SeedData(apps=(app,), tenants=tenants)


def incident_defaults(item_id: str, tenant_id: str, created: str) -> Item:
    return {
        "id": item_id,
        "tenantId": tenant_id,
        "displayName": f"Suspicious activity on multiple endpoints ({item_id})",
        "description": "",
        "summary": None,
        "severity": "medium",
        "status": "active",
        "classification": "unknown",
        "determination": "unknown",
        "assignedTo": None,
        "customTags": [],
        "systemTags": [],
        "comments": [],
        "redirectIncidentId": None,
        "resolvingComment": None,
        "lastModifiedBy": None,
        "priorityScore": None,
        "incidentWebUrl": (
            f"https://security.microsoft.com/incidents/{item_id}?tid={tenant_id}"
        ),
        "createdDateTime": created,
        "lastUpdateDateTime": created,
    }


def alert_defaults(item_id: str, tenant_id: str, created: str) -> Item:
    return {
        "id": item_id,
        "providerAlertId": item_id,
        "incidentId": None,
        "tenantId": tenant_id,
        "title": "Suspicious process execution",
        "description": "",
        "recommendedActions": "",
        "category": "Execution",
        "severity": "medium",
        "status": "new",
        "classification": "unknown",
        "determination": "unknown",
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": "microsoftDefenderForEndpoint",
        "detectorId": "e0da400f-affd-43ef-b1d5-afc2eb6f2756",
        "productName": "Microsoft Defender for Endpoint",
        "assignedTo": None,
        "actorDisplayName": None,
        "threatDisplayName": None,
        "threatFamilyName": None,
        "mitreTechniques": [],
        "alertWebUrl": (
            f"https://security.microsoft.com/alerts/{item_id}?tid={tenant_id}"
        ),
        "incidentWebUrl": None,
        "createdDateTime": created,
        "lastUpdateDateTime": created,
        "firstActivityDateTime": created,
        "lastActivityDateTime": created,
        "resolvedDateTime": None,
        "lastModifiedBy": None,
        "comments": [],
        "evidence": [],
        "systemTags": [],
    }


class _Located(dict[str, Any]):
    """A YAML mapping that remembers where it started (1-based)."""

    line = 0
    column = 0


class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys and keeps mapping positions."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Located:
    mapping = _Located()
    mapping.line = node.start_mark.line + 1
    mapping.column = node.start_mark.column + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            mark = key_node.start_mark
            raise SeedError(
                f"{loader.name}:{mark.line + 1}:{mark.column + 1}: error: duplicate "
                f"key {key!r}; remove one of them."
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _load_yaml(text: str, name: str) -> Any:
    loader = _Loader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise SeedError(f"{where}: error: invalid YAML: {error.problem}") from error
    finally:
        loader.dispose()


class _Reader:
    """Checks a seed mapping, naming the place of each problem."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self._source = source
        self._base_dir = base_dir

    def seed(self, data: Any) -> SeedData:
        root = self._mapping(data, "the seed", None)
        self._only_keys(root, {"apps", "tenants"}, "the seed")
        tenants = tuple(
            self._tenant(entry, index, root)
            for index, entry in enumerate(
                self._list(root.get("tenants"), "tenants", root)
            )
        )
        seen: set[str] = set()
        for tenant in tenants:
            if tenant.tenant_id in seen:
                self._fail(root, f"tenant {tenant.tenant_id} is listed twice")
            seen.add(tenant.tenant_id)
        apps = tuple(
            self._app(entry, index, seen, root)
            for index, entry in enumerate(
                self._list(root.get("apps", []), "apps", root)
            )
        )
        return SeedData(apps=apps, tenants=tenants)

    def _tenant(self, data: Any, index: int, parent: Any) -> Tenant:
        where = f"tenants[{index}]"
        entry = self._mapping(data, where, parent)
        self._only_keys(entry, {"tenant_id", "name", "incidents", "alerts"}, where)
        tenant_id = self._guid(entry, "tenant_id", where)
        name = entry.get("name", f"tenant-{index + 1:03d}")
        if not isinstance(name, str) or not _SLUG.match(name):
            self._fail(entry, f"{where}.name must match [a-z0-9-]+, got {name!r}")
        tenant = Tenant(tenant_id=tenant_id, name=name, incidents={}, alerts={})
        for kind, key in (("incident", "incidents"), ("alert", "alerts")):
            items = tenant.items(kind)  # type: ignore[arg-type]
            for position, raw in enumerate(self._list(entry.get(key, []), key, entry)):
                item = self._item(raw, kind, tenant_id, position, f"{where}.{key}")  # type: ignore[arg-type]
                if item["id"] in items:
                    self._fail(raw, f"{where}.{key}: id {item['id']!r} is listed twice")
                items[item["id"]] = item
        tenant.index()
        return tenant

    def _item(
        self, data: Any, kind: Kind, tenant_id: str, position: int, where: str
    ) -> Item:
        entry = self._mapping(data, f"{where}[{position}]", None)
        raw_id = entry.get("id")
        if (
            not isinstance(raw_id, str | int)
            or isinstance(raw_id, bool)
            or raw_id == ""
        ):
            self._fail(entry, f"{where}[{position}] needs an 'id' (a string)")
        item_id = str(raw_id)
        created = _hours_before(position)
        defaults = (incident_defaults if kind == "incident" else alert_defaults)(
            item_id, tenant_id, created
        )
        item = {**defaults, **entry, "id": item_id}
        if "lastUpdateDateTime" not in entry:
            item["lastUpdateDateTime"] = item["createdDateTime"]
        if kind == "alert" and item["incidentId"] is not None:
            item["incidentId"] = str(item["incidentId"])
            if "incidentWebUrl" not in entry:
                item["incidentWebUrl"] = (
                    "https://security.microsoft.com/incidents/"
                    f"{item['incidentId']}?tid={tenant_id}"
                )
        members_of = enums.INCIDENT_ENUMS if kind == "incident" else enums.ALERT_ENUMS
        for name, members in members_of.items():
            value = item.get(name)
            member = enums.canonical(members, value) if isinstance(value, str) else None
            if member is None:
                self._fail(
                    entry,
                    f"{where}[{position}].{name}: {value!r} is not one of "
                    f"{', '.join(members)}",
                )
            item[name] = member
        for name in ("createdDateTime", "lastUpdateDateTime"):
            if not isinstance(item[name], str) or to_ticks(item[name]) is None:
                self._fail(
                    entry,
                    f"{where}[{position}].{name}: {item[name]!r} is not an ISO 8601 "
                    "date and time such as 2026-11-20T09:00:00Z",
                )
        return item

    def _app(self, data: Any, index: int, tenant_ids: set[str], parent: Any) -> App:
        where = f"apps[{index}]"
        entry = self._mapping(data, where, parent)
        self._only_keys(
            entry,
            {
                "client_id",
                "display_name",
                "client_secret",
                "certificate",
                "certificate_file",
                "consents",
            },
            where,
        )
        client_id = self._guid(entry, "client_id", where)
        secret = entry.get("client_secret")
        if secret is not None and not isinstance(secret, str):
            self._fail(entry, f"{where}.client_secret must be a string")
        consents = self._mapping(entry.get("consents", {}), f"{where}.consents", entry)
        granted: dict[str, tuple[str, ...]] = {}
        for tenant_id, roles in consents.items():
            tenant_key = str(tenant_id).lower()
            if tenant_key not in tenant_ids:
                self._fail(
                    consents, f"{where}.consents names unknown tenant {tenant_id}"
                )
            if not isinstance(roles, list) or not all(
                isinstance(r, str) for r in roles
            ):
                self._fail(consents, f"{where}.consents.{tenant_id} must be a list")
            granted[tenant_key] = tuple(roles)
        return App(
            client_id=client_id,
            display_name=str(entry.get("display_name", "app")),
            client_secret=secret,
            certificates=self._certificates(entry, where),
            consents=granted,
        )

    def _certificates(self, entry: Mapping[str, Any], where: str) -> dict[str, bytes]:
        pem: bytes | None = None
        if isinstance(entry.get("certificate"), str):
            pem = entry["certificate"].encode()
        elif isinstance(entry.get("certificate_file"), str):
            path = self._base_dir / entry["certificate_file"]
            try:
                pem = path.read_bytes()
            except OSError as error:
                self._fail(
                    entry, f"{where}.certificate_file: cannot read {path}: {error}"
                )
        if pem is None:
            return {}
        try:
            sha1, sha256 = thumbprints(pem)
        except ValueError as error:
            self._fail(
                entry, f"{where}: the certificate is not a PEM certificate: {error}"
            )
        return {sha1: pem, sha256: pem}

    def _guid(self, entry: Mapping[str, Any], key: str, where: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not _GUID.match(value):
            self._fail(entry, f"{where}.{key} must be a GUID, got {value!r}")
        return value.lower()

    def _mapping(self, data: Any, where: str, parent: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self._fail(parent if data is None else data, f"{where} must be a mapping")
        return cast(dict[str, Any], data)

    def _list(self, data: Any, where: str, parent: Any) -> list[Any]:
        if not isinstance(data, list):
            self._fail(parent, f"{where} must be a list")
        return data

    def _only_keys(
        self, entry: Mapping[str, Any], allowed: set[str], where: str
    ) -> None:
        unknown = sorted(str(key) for key in entry if key not in allowed)
        if unknown:
            self._fail(
                entry,
                f"{where}: unknown key {unknown[0]!r}; expected one of "
                f"{', '.join(sorted(allowed))}",
            )

    def _fail(self, node: Any, message: str) -> NoReturn:
        if isinstance(node, _Located):
            raise SeedError(
                f"{self._source}:{node.line}:{node.column}: error: {message}"
            )
        raise SeedError(f"{self._source}: error: {message}")


_ASSIGNEES = ("kai", "morgan", "sam", "alex", "robin")
_TAGS = ("ransomware", "escalated", "phishing-wave", "vip", "false-alarm", "pentest")
_PAIRS = (
    ("unknown", "unknown"),
    ("truePositive", "malware"),
    ("truePositive", "multiStagedAttack"),
    ("truePositive", "phishing"),
    ("falsePositive", "notMalicious"),
    ("informationalExpectedActivity", "securityTesting"),
)


@lru_cache(maxsize=65536)
def _hours_before(hours: float) -> str:
    """A stamp `hours` before the default epoch; every tenant reuses the same ones."""
    return format_ticks(_EPOCH - int(hours * _HOUR))


def _generated_tenant(number: int, incident_count: int) -> Tenant:
    rng = random.Random(f"tenant-{number}")
    tenant_id = f"00000000-0000-4000-a000-{number:012d}"
    name = f"tenant-{number:03d}"
    tenant = Tenant(tenant_id=tenant_id, name=name, incidents={}, alerts={})
    for index in range(incident_count):
        incident_id = str(100_000 + index)
        created = _hours_before(incident_count - index)
        updated = _hours_before((incident_count - index) / 2)
        classification, determination = rng.choice(_PAIRS)
        incident = incident_defaults(incident_id, tenant_id, created)
        incident.update(
            severity=rng.choice(("low", "medium", "high", "informational")),
            status=rng.choice(("active", "active", "inProgress", "resolved")),
            classification=classification,
            determination=determination,
            assignedTo=(
                None
                if rng.random() < 0.4
                else f"{rng.choice(_ASSIGNEES)}@{name}.example.com"
            ),
            customTags=[tag for tag in _TAGS if rng.random() < 0.15],
            lastUpdateDateTime=updated,
        )
        tenant.incidents[incident_id] = incident
        for alert_number in range(rng.randint(1, 3)):
            alert_id = f"da{number:04d}{index:08d}_{alert_number}"
            alert = alert_defaults(alert_id, tenant_id, created)
            alert.update(
                incidentId=incident_id,
                incidentWebUrl=incident["incidentWebUrl"],
                severity=incident["severity"],
                status=rng.choice(("new", "inProgress", "resolved")),
                assignedTo=incident["assignedTo"],
                lastUpdateDateTime=updated,
            )
            tenant.alerts[alert_id] = alert
    tenant.index()
    return tenant

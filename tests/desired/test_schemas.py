"""JSON Schemas: generated from the loader's own rules, committed up to date."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.desired.items import (
    CLASSIFICATION_VALUES,
    DETERMINATION_VALUES,
    STATUS_VALUES,
)
from reconciler.desired.models import ALERT_FIELDS, INCIDENT_FIELDS
from reconciler.desired.schema import render_schemas
from reconciler.desired.settings import CLOUD_KEYS, DEFAULTS_KEYS, SETTINGS_KEYS
from reconciler.desired.tenants import ASSIGNEE_KEYS, CREDENTIAL_KEYS, TENANT_KEYS

PROJECT = Path(__file__).resolve().parents[2]


def schemas() -> dict[str, dict]:  # type: ignore[type-arg]
    return {name: json.loads(text) for name, text in render_schemas().items()}


def test_the_committed_schemas_are_what_the_command_writes() -> None:
    for name, text in render_schemas().items():
        committed = (PROJECT / "schemas" / name).read_text(encoding="utf-8")
        assert committed == text, f"schemas/{name} is stale: run `reconciler schema`"


def test_the_schema_command_writes_every_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--out", str(tmp_path / "out")])

    names = ["reconciler", "tenant", "incidents", "alerts"]
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"Wrote {tmp_path / 'out' / name}.schema.json" for name in names
    ]
    for name, text in render_schemas().items():
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == text


def test_the_schema_command_defaults_to_schemas_under_the_root(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(tmp_path), "schema"])

    assert result.exit_code == 0
    assert sorted(path.name for path in (tmp_path / "schemas").iterdir()) == [
        "alerts.schema.json",
        "incidents.schema.json",
        "reconciler.schema.json",
        "tenant.schema.json",
    ]


def test_an_unwritable_destination_is_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    result = CliRunner().invoke(main, ["schema", "--out", str(blocker / "sub")])

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write the schemas to {blocker}/sub")


def test_schema_keys_are_the_keys_the_loader_accepts() -> None:
    rendered = schemas()
    tenant = rendered["tenant.schema.json"]
    settings = rendered["reconciler.schema.json"]
    definitions = tenant["$defs"]

    assert set(tenant["properties"]) == set(TENANT_KEYS)
    assert set(definitions["Assignees"]["properties"]) == set(ASSIGNEE_KEYS)
    assert {
        key
        for name in ("SecretCredential", "CertificateCredential")
        for key in definitions[name]["properties"]
    } == set(CREDENTIAL_KEYS)
    assert set(settings["properties"]) == set(SETTINGS_KEYS)
    assert set(settings["$defs"]["Cloud"]["properties"]) == set(CLOUD_KEYS)
    assert set(settings["$defs"]["Defaults"]["properties"]) == set(DEFAULTS_KEYS)


def test_item_schemas_allow_exactly_the_declarable_values() -> None:
    rendered = schemas()
    incident = rendered["incidents.schema.json"]["$defs"]["IncidentFields"]
    alert = rendered["alerts.schema.json"]["$defs"]["AlertFields"]

    assert set(incident["properties"]) == set(INCIDENT_FIELDS)
    assert set(alert["properties"]) == set(ALERT_FIELDS)
    assert incident["properties"]["status"]["enum"] == sorted(STATUS_VALUES["incident"])
    assert alert["properties"]["status"]["enum"] == ["inProgress", "new", "resolved"]
    for fields in (incident, alert):
        properties = fields["properties"]
        assert properties["classification"]["enum"] == sorted(CLASSIFICATION_VALUES)
        assert properties["determination"]["enum"] == sorted(DETERMINATION_VALUES)
        assert "apt" not in properties["determination"]["enum"]
        assert fields["additionalProperties"] is False


def test_demo_state_files_point_at_the_committed_schemas() -> None:
    for path in sorted((PROJECT / "state").glob("*/*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == (
            f"# yaml-language-server: $schema=../../schemas/{path.stem}.schema.json"
        )
        assert (path.parent / "../../schemas" / f"{path.stem}.schema.json").is_file()

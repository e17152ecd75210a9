"""Seeds: files, mappings, defaults, --generate, and the demo data."""

from __future__ import annotations

import json

import pytest

from reconciler.emulator import start_emulator
from reconciler.emulator.errors import EmulatorError, SeedError
from reconciler.emulator.seeding import (
    demo_seed,
    generate_seed,
    load_seed_file,
    parse_seed,
)

TENANT = "11111111-2222-4333-8444-555555555555"


def minimal(**incident):
    return {
        "tenants": [
            {
                "tenant_id": TENANT,
                "name": "acme",
                "incidents": [{"id": "1", **incident}],
            }
        ]
    }


def test_missing_fields_get_realistic_defaults():
    tenant = parse_seed(minimal()).tenants[0]

    incident = tenant.incidents["1"]
    assert incident["tenantId"] == TENANT
    assert incident["severity"] == "medium"
    assert incident["status"] == "active"
    assert incident["classification"] == "unknown"
    assert incident["assignedTo"] is None
    assert incident["customTags"] == []
    assert incident["incidentWebUrl"] == (
        f"https://security.microsoft.com/incidents/1?tid={TENANT}"
    )
    assert incident["lastUpdateDateTime"] == incident["createdDateTime"]


def test_enum_values_in_a_seed_are_read_in_any_casing():
    """graph-api.md 1.3: doc examples use PascalCase ("TruePositive", "Active")."""
    tenant = parse_seed(
        minimal(status="Active", classification="TruePositive", determination="Malware")
    ).tenants[0]

    incident = tenant.incidents["1"]
    assert (
        incident["status"],
        incident["classification"],
        incident["determination"],
    ) == (
        "active",
        "truePositive",
        "malware",
    )


def test_unknown_enum_value_names_file_line_and_column(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(
        "tenants:\n"
        f"  - tenant_id: {TENANT}\n"
        "    name: acme\n"
        "    incidents:\n"
        "      - id: '7'\n"
        "        status: closed\n"
    )

    with pytest.raises(SeedError) as raised:
        load_seed_file(path)

    assert str(raised.value) == (
        f"{path}:5:9: error: tenants[0].incidents[0].status: 'closed' is not one of "
        "active, resolved, inProgress, redirected, unknownFutureValue, awaitingAction"
    )


def test_duplicate_keys_are_refused_with_position(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(f"tenants:\n  - tenant_id: {TENANT}\n    tenant_id: {TENANT}\n")

    with pytest.raises(SeedError, match=r"seed.yaml:3:5: error: duplicate key"):
        load_seed_file(path)


def test_item_without_id_is_refused():
    data = minimal()
    del data["tenants"][0]["incidents"][0]["id"]

    with pytest.raises(SeedError, match=r"tenants\[0\].incidents\[0\] needs an 'id'"):
        parse_seed(data)


def test_consent_for_an_unknown_tenant_is_refused():
    data = {
        **minimal(),
        "apps": [
            {
                "client_id": TENANT,
                "consents": {"0" * 8 + "-0000-4000-8000-" + "0" * 12: []},
            }
        ],
    }

    with pytest.raises(SeedError, match="consents names unknown tenant"):
        parse_seed(data)


def test_json_seed_files_are_read(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(minimal(severity="High")))

    assert load_seed_file(path).tenants[0].incidents["1"]["severity"] == "high"


def test_certificate_file_is_read_relative_to_the_seed(tmp_path, write_certificate):
    write_certificate(tmp_path / "app.pem")
    path = tmp_path / "seed.yaml"
    path.write_text(
        f"apps:\n  - client_id: {TENANT}\n    certificate_file: app.pem\n"
        f"tenants:\n  - tenant_id: {TENANT}\n"
    )

    app = load_seed_file(path).apps[0]

    assert len(app.certificates) == 2


def test_generate_makes_named_tenants_with_one_to_three_alerts_per_incident():
    seed = generate_seed(3, 20)

    assert [t.name for t in seed.tenants] == ["tenant-001", "tenant-002", "tenant-003"]
    for tenant in seed.tenants:
        assert len(tenant.incidents) == 20
        per_incident = [len(tenant.alerts_of.get(i, [])) for i in tenant.incidents]
        assert min(per_incident) >= 1
        assert max(per_incident) <= 3
    assert [sorted(app.consents) for app in seed.apps] == [
        sorted(t.tenant_id for t in seed.tenants)
    ]


def test_generate_is_deterministic():
    first, second = generate_seed(2, 30), generate_seed(2, 30)

    assert [t.incidents for t in first.tenants] == [t.incidents for t in second.tenants]
    assert [t.alerts for t in first.tenants] == [t.alerts for t in second.tenants]


def test_demo_seed_has_the_declared_items_and_the_special_ones():
    contoso, fabrikam = demo_seed().tenants

    assert {"2972395", "2972401", "2972415", "2972420"} <= set(contoso.incidents)
    assert {"418", "421", "433"} <= set(fabrikam.incidents)
    assert contoso.incidents["2972409"]["status"] == "redirected"
    assert contoso.incidents["2972412"]["status"] == "awaitingAction"
    assert {
        "da637551227677560813_-961444813",
        "da637551227677560814_-116173492",
    } <= set(contoso.alerts)
    assert {"fa8e1d2c3b4a5f6e_1284307652", "fa8e1d2c3b4a5f6e_1284307699"} <= set(
        fabrikam.alerts
    )


def test_start_emulator_refuses_seed_and_generate_together():
    with pytest.raises(EmulatorError, match="not both"):
        start_emulator(seed=minimal(), generate=(1, 1))


def test_generated_emulator_describes_its_tenants_and_app(tmp_path):
    with start_emulator(generate=(2, 3), state_dir=tmp_path) as server:
        description = server.description()

    assert description["tenants"] == [
        {"name": "tenant-001", "tenant_id": "00000000-0000-4000-a000-000000000001"},
        {"name": "tenant-002", "tenant_id": "00000000-0000-4000-a000-000000000002"},
    ]
    assert description["apps"] == [
        {
            "client_id": "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
            "client_secret": "demo-only-secret-not-for-production",
        }
    ]
    assert description["ca_bundle"] == str(tmp_path / "ca.pem")

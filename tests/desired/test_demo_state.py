"""The demo tenants this repository ships with are valid state."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.loading import load_repository

PROJECT = Path(__file__).resolve().parents[2]


def test_the_demo_state_of_this_repository_is_valid() -> None:
    state = load_repository(PROJECT, use_cache=False)

    assert sorted(state.tenants) == ["contoso", "fabrikam"]
    contoso, fabrikam = state.tenants["contoso"], state.tenants["fabrikam"]
    assert list(contoso.incidents) == [
        "2972395",
        "2972401",
        "2972415",
        "2972420",
        "2972409",
    ]
    assert list(contoso.alerts) == [
        "da637551227677560813_-961444813",
        "da637551227677560814_-116173492",
    ]
    assert list(fabrikam.incidents) == ["418", "421", "433"]
    assert list(fabrikam.alerts) == [
        "fa8e1d2c3b4a5f6e_1284307652",
        "fa8e1d2c3b4a5f6e_1284307699",
    ]
    assert fabrikam.spec.assignees is not None
    assert fabrikam.spec.assignees.roster == ("soc-lead@fabrikam.onmicrosoft.com",)
    assert state.settings.defaults.client_id == "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"

"""Graph's enums: wire names, what may be declared, and what pairs with what."""

from __future__ import annotations

import pytest

from reconciler.desired.enums import (
    ALLOWED_DETERMINATIONS,
    DECLARABLE_ALERT_STATUSES,
    DECLARABLE_INCIDENT_STATUSES,
    DEPRECATED_DETERMINATIONS,
    AlertStatus,
    Classification,
    Determination,
    IncidentStatus,
    normalize_enum,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TruePositive", "truePositive"),
        ("truepositive", "truePositive"),
        ("truePositive", "truePositive"),
        ("MultiStagedAttack", None),
        ("positive", None),
    ],
)
def test_any_casing_normalizes_to_the_wire_name(raw: str, expected: str | None) -> None:
    assert normalize_enum(Classification, raw) == expected


def test_normalizing_reads_members_after_the_sentinel() -> None:
    assert normalize_enum(IncidentStatus, "AwaitingAction") == "awaitingAction"
    assert normalize_enum(Determination, "MultiStagedAttack") == "multiStagedAttack"


def test_graph_enums_have_their_csdl_members() -> None:
    assert len(Determination) == 16
    assert [member.value for member in AlertStatus] == [
        "unknown",
        "new",
        "inProgress",
        "resolved",
        "unknownFutureValue",
    ]


def test_declarable_statuses_leave_out_what_the_service_sets() -> None:
    assert {str(status) for status in DECLARABLE_INCIDENT_STATUSES} == {
        "active",
        "inProgress",
        "resolved",
    }
    assert {str(status) for status in DECLARABLE_ALERT_STATUSES} == {
        "new",
        "inProgress",
        "resolved",
    }


def test_other_and_unknown_fit_every_declarable_classification() -> None:
    for classification, allowed in ALLOWED_DETERMINATIONS.items():
        if classification == Classification.UNKNOWN_FUTURE_VALUE:
            assert allowed == frozenset()
        else:
            assert {Determination.OTHER, Determination.UNKNOWN} <= allowed


def test_deprecated_determinations_fit_no_classification() -> None:
    for allowed in ALLOWED_DETERMINATIONS.values():
        assert not allowed & DEPRECATED_DETERMINATIONS


def test_the_true_positive_set_follows_the_defender_matrix() -> None:
    assert ALLOWED_DETERMINATIONS[Classification.TRUE_POSITIVE] == {
        Determination.MULTI_STAGED_ATTACK,
        Determination.MALICIOUS_USER_ACTIVITY,
        Determination.COMPROMISED_ACCOUNT,
        Determination.MALWARE,
        Determination.PHISHING,
        Determination.UNWANTED_SOFTWARE,
        Determination.OTHER,
        Determination.UNKNOWN,
    }

"""Graph's triage enums, by their camelCase wire names, and which may be declared.

Members follow the v1.0 CSDL (the generated SDKs), not the docs' prose, which
uses older names such as `compromisedUser` or `clean` that Graph does not take.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TypeVar


class IncidentStatus(StrEnum):
    ACTIVE = "active"
    IN_PROGRESS = "inProgress"
    RESOLVED = "resolved"
    REDIRECTED = "redirected"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"
    AWAITING_ACTION = "awaitingAction"


class AlertStatus(StrEnum):
    UNKNOWN = "unknown"
    NEW = "new"
    IN_PROGRESS = "inProgress"
    RESOLVED = "resolved"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class Classification(StrEnum):
    UNKNOWN = "unknown"
    FALSE_POSITIVE = "falsePositive"
    TRUE_POSITIVE = "truePositive"
    INFORMATIONAL_EXPECTED_ACTIVITY = "informationalExpectedActivity"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class Determination(StrEnum):
    UNKNOWN = "unknown"
    APT = "apt"
    MALWARE = "malware"
    SECURITY_PERSONNEL = "securityPersonnel"
    SECURITY_TESTING = "securityTesting"
    UNWANTED_SOFTWARE = "unwantedSoftware"
    OTHER = "other"
    MULTI_STAGED_ATTACK = "multiStagedAttack"
    COMPROMISED_ACCOUNT = "compromisedAccount"
    PHISHING = "phishing"
    MALICIOUS_USER_ACTIVITY = "maliciousUserActivity"
    NOT_MALICIOUS = "notMalicious"
    NOT_ENOUGH_DATA_TO_VALIDATE = "notEnoughDataToValidate"
    CONFIRMED_ACTIVITY = "confirmedActivity"
    LINE_OF_BUSINESS_APPLICATION = "lineOfBusinessApplication"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


# Retired by Microsoft around 2022-08-29; still in Graph's enum, refused on write.
DEPRECATED_DETERMINATIONS: frozenset[Determination] = frozenset(
    {Determination.APT, Determination.SECURITY_PERSONNEL}
)

# `other` and `unknown` fit every classification (the design's rule); the rest is
# the Defender XDR matrix mapped to CSDL names. Graph itself publishes no matrix,
# and the sentinel classification allows nothing because it is never declarable.
_FITS_ALL = frozenset({Determination.UNKNOWN, Determination.OTHER})
ALLOWED_DETERMINATIONS: dict[Classification, frozenset[Determination]] = {
    Classification.UNKNOWN: _FITS_ALL,
    Classification.TRUE_POSITIVE: _FITS_ALL
    | {
        Determination.MULTI_STAGED_ATTACK,
        Determination.MALICIOUS_USER_ACTIVITY,
        Determination.COMPROMISED_ACCOUNT,
        Determination.MALWARE,
        Determination.PHISHING,
        Determination.UNWANTED_SOFTWARE,
    },
    Classification.INFORMATIONAL_EXPECTED_ACTIVITY: _FITS_ALL
    | {
        Determination.SECURITY_TESTING,
        Determination.LINE_OF_BUSINESS_APPLICATION,
        Determination.CONFIRMED_ACTIVITY,
    },
    Classification.FALSE_POSITIVE: _FITS_ALL
    | {Determination.NOT_MALICIOUS, Determination.NOT_ENOUGH_DATA_TO_VALIDATE},
    Classification.UNKNOWN_FUTURE_VALUE: frozenset(),
}

# `redirected` is set by the service on merge, `awaitingAction` only by Defender
# Experts, and `unknownFutureValue` is Graph's placeholder: none may be declared.
DECLARABLE_INCIDENT_STATUSES: frozenset[IncidentStatus] = frozenset(
    {IncidentStatus.ACTIVE, IncidentStatus.IN_PROGRESS, IncidentStatus.RESOLVED}
)
DECLARABLE_ALERT_STATUSES: frozenset[AlertStatus] = frozenset(
    {AlertStatus.NEW, AlertStatus.IN_PROGRESS, AlertStatus.RESOLVED}
)
DECLARABLE_CLASSIFICATIONS: frozenset[Classification] = frozenset(
    member for member in Classification if member != Classification.UNKNOWN_FUTURE_VALUE
)
DECLARABLE_DETERMINATIONS: frozenset[Determination] = frozenset(
    member
    for member in Determination
    if member != Determination.UNKNOWN_FUTURE_VALUE
    and member not in DEPRECATED_DETERMINATIONS
)

EnumT = TypeVar("EnumT", bound=StrEnum)


def normalize_enum(enum_cls: type[EnumT], raw: str) -> str | None:
    """The camelCase wire value for `raw` in any casing, or None if not a member.

    Graph's own examples mix `TruePositive` and `truePositive`; reads compare
    without case and writes always send camelCase.
    """
    return _by_folded_value(enum_cls).get(raw.casefold())


@cache
def _by_folded_value(enum_cls: type[StrEnum]) -> dict[str, str]:
    return {member.value.casefold(): member.value for member in enum_cls}

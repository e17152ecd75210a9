"""Graph's enum members as the emulator knows them (graph-api.md 1.3, 1.5, 1.6).

The emulator keeps its own copy on purpose: it plays the service, so it must not
share a vocabulary with the client it is testing.
"""

from __future__ import annotations

SENTINEL = "unknownFutureValue"

INCIDENT_STATUS = (
    "active",
    "resolved",
    "inProgress",
    "redirected",
    SENTINEL,
    "awaitingAction",
)
ALERT_STATUS = ("unknown", "new", "inProgress", "resolved", SENTINEL)
CLASSIFICATION = (
    "unknown",
    "falsePositive",
    "truePositive",
    "informationalExpectedActivity",
    SENTINEL,
)
DETERMINATION = (
    "unknown",
    "apt",
    "malware",
    "securityPersonnel",
    "securityTesting",
    "unwantedSoftware",
    "other",
    "multiStagedAttack",
    "compromisedAccount",
    "phishing",
    "maliciousUserActivity",
    "notMalicious",
    "notEnoughDataToValidate",
    "confirmedActivity",
    "lineOfBusinessApplication",
    SENTINEL,
)
SEVERITY = ("unknown", "informational", "low", "medium", "high", SENTINEL)
SERVICE_SOURCE = (
    "unknown",
    "microsoftDefenderForEndpoint",
    "microsoftDefenderForIdentity",
    "microsoftDefenderForCloudApps",
    "microsoftDefenderForOffice365",
    "microsoft365Defender",
    "azureAdIdentityProtection",
    "microsoftAppGovernance",
    "dataLossPrevention",
    SENTINEL,
    "microsoftDefenderForCloud",
    "microsoftSentinel",
    "microsoftInsiderRiskManagement",
    "microsoftThreatIntelligence",
    "microsoftSecurityForAI",
)
DETECTION_SOURCE = (
    "unknown",
    "microsoftDefenderForEndpoint",
    "antivirus",
    "smartScreen",
    "customTi",
    "microsoftDefenderForOffice365",
    "automatedInvestigation",
    "microsoftThreatExperts",
    "customDetection",
    "microsoftDefenderForIdentity",
    "cloudAppSecurity",
    "microsoft365Defender",
    "azureAdIdentityProtection",
    "manual",
    "microsoftDataLossPrevention",
    "appGovernancePolicy",
    "appGovernanceDetection",
    SENTINEL,
    "microsoftDefenderForCloud",
    "microsoftDefenderForIoT",
    "microsoftDefenderForServers",
    "microsoftDefenderForStorage",
    "microsoftDefenderForDNS",
    "microsoftDefenderForDatabases",
    "microsoftDefenderForContainers",
    "microsoftDefenderForNetwork",
    "microsoftDefenderForAppService",
    "microsoftDefenderForKeyVault",
    "microsoftDefenderForResourceManager",
    "microsoftDefenderForApiManagement",
    "nrtAlerts",
    "scheduledAlerts",
    "microsoftDefenderThreatIntelligenceAnalytics",
    "builtInMl",
    "microsoftInsiderRiskManagement",
    "microsoftThreatIntelligence",
    "microsoftDefenderForAIServices",
    "securityCopilot",
    "microsoftSentinel",
)

# Enum-typed properties of each resource, by wire name.
INCIDENT_ENUMS: dict[str, tuple[str, ...]] = {
    "status": INCIDENT_STATUS,
    "classification": CLASSIFICATION,
    "determination": DETERMINATION,
    "severity": SEVERITY,
}
ALERT_ENUMS: dict[str, tuple[str, ...]] = {
    "status": ALERT_STATUS,
    "classification": CLASSIFICATION,
    "determination": DETERMINATION,
    "severity": SEVERITY,
    "serviceSource": SERVICE_SOURCE,
    "detectionSource": DETECTION_SOURCE,
}

# Statuses a client may PATCH. Graph's update page omits inProgress for incidents,
# but the member exists and the portal sets it; redirected and awaitingAction belong
# to the service (merges, Defender Experts).
WRITABLE_INCIDENT_STATUS = frozenset({"active", "inProgress", "resolved"})
WRITABLE_ALERT_STATUS = frozenset({"new", "inProgress", "resolved"})

# Retired "around August 29, 2022" (graph-api.md 1.6); still in the enum.
DEPRECATED_DETERMINATIONS = frozenset({"apt", "securityPersonnel"})

# The Defender XDR matrix (graph-api.md 1.6) in CSDL names. `other` and `unknown`
# fit every classification; an unknown classification takes nothing more specific.
_FITS_ANY = frozenset({"unknown", "other"})
ALLOWED_DETERMINATIONS: dict[str, frozenset[str]] = {
    "unknown": _FITS_ANY,
    "truePositive": _FITS_ANY
    | {
        "multiStagedAttack",
        "maliciousUserActivity",
        "compromisedAccount",
        "malware",
        "phishing",
        "unwantedSoftware",
    },
    "informationalExpectedActivity": _FITS_ANY
    | {"securityTesting", "lineOfBusinessApplication", "confirmedActivity"},
    "falsePositive": _FITS_ANY | {"notMalicious", "notEnoughDataToValidate"},
}


def canonical(members: tuple[str, ...], raw: str) -> str | None:
    """The member `raw` names, compared case-insensitively, or None."""
    return _LOOKUP[members].get(raw.lower())


def hidden_members(members: tuple[str, ...]) -> frozenset[str]:
    """Members after the sentinel: sent only to clients that opt in."""
    return frozenset(members[members.index(SENTINEL) + 1 :])


_ALL = (
    INCIDENT_STATUS,
    ALERT_STATUS,
    CLASSIFICATION,
    DETERMINATION,
    SEVERITY,
    SERVICE_SOURCE,
    DETECTION_SOURCE,
)
_LOOKUP: dict[tuple[str, ...], dict[str, str]] = {
    members: {m.lower(): m for m in members} for members in _ALL
}

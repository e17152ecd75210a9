"""incidents.yaml and alerts.yaml: each refusal with its message and position."""

from __future__ import annotations

import pytest
from desired_repo import Repository

INCIDENTS = "state/contoso/incidents.yaml"
ALERTS = "state/contoso/alerts.yaml"


def incident(fields: str, item_id: str = '"2972395"') -> str:
    body = "".join(f"    {line}\n" for line in fields.splitlines())
    return f"incidents:\n  {item_id}:\n{body}"


def alert(fields: str) -> str:
    body = "".join(f"    {line}\n" for line in fields.splitlines())
    return f"alerts:\n  da637551227677560813_-961444813:\n{body}"


def test_declared_fields_become_wire_fields_and_absent_ones_stay_unmanaged(
    repo: Repository,
) -> None:
    repo.write(INCIDENTS, incident("assignee: KAI@Contoso.com\ntags: [b, a]"))

    item = repo.load().tenants["contoso"].incidents["2972395"]

    assert item.kind == "incident"
    assert item.fields == {"assignedTo": "KAI@Contoso.com", "customTags": ("a", "b")}
    assert str(item.location) == f"{INCIDENTS}:2:3"


def test_unquoted_numeric_ids_keep_their_written_form(repo: Repository) -> None:
    repo.write(
        INCIDENTS,
        "incidents:\n  2972395:\n    status: active\n  0x1A:\n    status: active\n",
    )

    assert list(repo.load().tenants["contoso"].incidents) == ["2972395", "0x1A"]


def test_null_assignee_means_unassigned(repo: Repository) -> None:
    repo.write(INCIDENTS, incident("assignee: ~") + '  "2":\n    assignee: null\n')

    incidents = repo.load().tenants["contoso"].incidents

    assert incidents["2972395"].fields == {"assignedTo": None}
    assert incidents["2"].fields == {"assignedTo": None}


def test_empty_item_files_declare_nothing(repo: Repository) -> None:
    repo.write(INCIDENTS, "")
    repo.write(ALERTS, "alerts:\n")

    tenant = repo.load().tenants["contoso"]

    assert tenant.incidents == {}
    assert tenant.alerts == {}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            "status: actve",
            "3:13: error: 'actve' is not a status an incident can be given: "
            "did you mean 'active'? (allowed: active, inProgress, resolved)",
            id="misspelt-status",
        ),
        pytest.param(
            "status: Active",
            "3:13: error: 'Active' is not a status an incident can be given: "
            "did you mean 'active'? (allowed: active, inProgress, resolved)",
            id="status-in-another-casing",
        ),
        pytest.param(
            "status: redirected",
            "3:13: error: status 'redirected' cannot be declared: the service sets it "
            "when an incident is merged into another "
            "(declare one of: active, inProgress, resolved)",
            id="redirected",
        ),
        pytest.param(
            "status: awaitingAction",
            "3:13: error: status 'awaitingAction' cannot be declared: only Microsoft "
            "Defender Experts set it, while they wait on the customer "
            "(declare one of: active, inProgress, resolved)",
            id="awaiting-action",
        ),
        pytest.param(
            "status: unknownFutureValue",
            "3:13: error: status 'unknownFutureValue' cannot be declared: Graph's "
            "placeholder for values it cannot name, and cannot be declared "
            "(declare one of: active, inProgress, resolved)",
            id="sentinel-status",
        ),
        pytest.param(
            "classification: TruePositive",
            "3:21: error: 'TruePositive' is not a classification: did you mean "
            "'truePositive'? (allowed: falsePositive, informationalExpectedActivity, "
            "truePositive, unknown)",
            id="pascal-case-classification",
        ),
        pytest.param(
            "classification: unknownFutureValue",
            "3:21: error: classification 'unknownFutureValue' is Graph's placeholder "
            "for values it cannot name, and cannot be declared (declare one of: "
            "falsePositive, informationalExpectedActivity, truePositive, unknown)",
            id="sentinel-classification",
        ),
        pytest.param(
            "classification: truePositive\ndetermination: apt",
            "4:20: error: determination 'apt' was retired by Microsoft in August 2022 "
            "and Graph no longer accepts it; choose a current one such as "
            "'multiStagedAttack', 'compromisedAccount' or 'other'",
            id="deprecated-apt",
        ),
        pytest.param(
            "classification: truePositive\ndetermination: securityPersonnel",
            "4:20: error: determination 'securityPersonnel' was retired by Microsoft "
            "in August 2022 and Graph no longer accepts it; choose a current one such "
            "as 'multiStagedAttack', 'compromisedAccount' or 'other'",
            id="deprecated-security-personnel",
        ),
        pytest.param(
            "classification: truePositive\ndetermination: compromisedUser",
            "4:20: error: 'compromisedUser' is not a determination: did you mean "
            "'compromisedAccount'? (allowed: compromisedAccount, confirmedActivity, "
            "lineOfBusinessApplication, maliciousUserActivity, malware, "
            "multiStagedAttack, notEnoughDataToValidate, notMalicious, other, "
            "phishing, securityTesting, unknown, unwantedSoftware)",
            id="docs-alias-determination",
        ),
        pytest.param(
            "classification: falsePositive\ndetermination: malware",
            "4:20: error: determination 'malware' does not fit classification "
            "'falsePositive' (it fits: truePositive; falsePositive allows: "
            "notEnoughDataToValidate, notMalicious, other, unknown)",
            id="determination-does-not-fit",
        ),
        pytest.param(
            "determination: malware",
            "3:20: error: determination 'malware' needs a classification in the same "
            "incident, because Graph pairs the two (it fits: truePositive)",
            id="determination-alone",
        ),
        pytest.param(
            "status: [active]",
            "3:13: error: status must be text, not a list",
            id="status-as-list",
        ),
        pytest.param(
            "status:",
            "3:12: error: status must be text, not null",
            id="status-null",
        ),
        pytest.param(
            "tags: escalated",
            "3:11: error: tags must be a list, not text",
            id="tags-as-text",
        ),
        pytest.param(
            "tags: null",
            "3:11: error: tags must be a list; write [] to remove every tag, not null",
            id="tags-null",
        ),
        pytest.param(
            "tags: [vip, '', escalated]",
            "3:17: error: each entry of tags must not be empty",
            id="empty-tag",
        ),
        pytest.param(
            "tags: [vip, ~]",
            "3:17: error: each entry of tags must be text, not null",
            id="null-tag",
        ),
        pytest.param(
            "tags: [vip, escalated, vip]",
            "3:28: error: tag 'vip' is listed twice (first at line 3, column 12); "
            "keep one",
            id="duplicate-tag",
        ),
        pytest.param(
            'assignee: ""',
            "3:15: error: assignee must not be empty",
            id="empty-assignee",
        ),
        pytest.param(
            'assignee: " kai@contoso.com"',
            "3:15: error: assignee has spaces around it; remove them",
            id="assignee-with-spaces",
        ),
        pytest.param(
            "asignee: kai@contoso.com",
            "3:5: error: unknown key 'asignee' in incident '2972395': did you mean "
            "'assignee'? (allowed: assignee, classification, determination, status, "
            "tags)",
            id="misspelt-key",
        ),
        pytest.param(
            "severity: high",
            "3:5: error: unknown key 'severity' in incident '2972395' (allowed: "
            "assignee, classification, determination, status, tags)",
            id="unmanaged-key",
        ),
    ],
)
def test_invalid_incident_fields_are_refused(
    repo: Repository, fields: str, expected: str
) -> None:
    repo.write(INCIDENTS, incident(fields))

    assert repo.problems() == [f"{INCIDENTS}:{expected}"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            "tags: [vip]",
            "3:5: error: alerts have no custom tags in Graph; declare tags on the "
            "alert's incident instead",
            id="tags",
        ),
        pytest.param(
            "status: active",
            "3:13: error: 'active' is not a status an alert can be given "
            "(allowed: inProgress, new, resolved)",
            id="incident-status",
        ),
        pytest.param(
            "status: unknown",
            "3:13: error: status 'unknown' cannot be declared: it is what Graph "
            "reports for an alert without a status (declare one of: inProgress, new, "
            "resolved)",
            id="unknown-status",
        ),
    ],
)
def test_invalid_alert_fields_are_refused(
    repo: Repository, fields: str, expected: str
) -> None:
    repo.write(ALERTS, alert(fields))

    assert repo.problems() == [f"{ALERTS}:{expected}"]


def test_every_determination_pairs_as_the_matrix_says(repo: Repository) -> None:
    repo.write(
        INCIDENTS,
        "incidents:\n"
        '  "1": {classification: unknown, determination: other}\n'
        '  "2": {classification: unknown, determination: unknown}\n'
        '  "3": {classification: truePositive, determination: compromisedAccount}\n'
        '  "4": {classification: informationalExpectedActivity,'
        " determination: lineOfBusinessApplication}\n"
        '  "5": {classification: falsePositive, determination: notMalicious}\n'
        '  "6": {classification: unknown, determination: malware}\n',
    )

    assert repo.problems() == [
        f"{INCIDENTS}:7:49: error: determination 'malware' does not fit "
        "classification 'unknown' (it fits: truePositive; unknown allows: other, "
        "unknown)"
    ]


def test_an_item_without_fields_is_refused(repo: Repository) -> None:
    repo.write(INCIDENTS, 'incidents:\n  "1":\n  "2": {}\n  "3": active\n')

    assert repo.problems() == [
        f"{INCIDENTS}:2:3: error: incident '1' declares no fields: declare at least "
        "one of assignee, status, classification, determination, tags, or remove it",
        f"{INCIDENTS}:3:3: error: incident '2' declares no fields: declare at least "
        "one of assignee, status, classification, determination, tags, or remove it",
        f"{INCIDENTS}:4:8: error: incident '3' must be a mapping of fields, not text",
    ]


def test_ids_that_cannot_be_graph_ids_are_refused(repo: Repository) -> None:
    repo.write(INCIDENTS, 'incidents:\n  "12/../34":\n    status: active\n')

    assert repo.problems() == [
        f"{INCIDENTS}:2:3: error: '12/../34' is not a valid incident id: use the id "
        "shown in the Defender portal (letters, digits, '_', '-' and '.', "
        "not dots alone, at most 128)"
    ]


def test_ids_of_dots_alone_are_refused_because_they_would_address_another_path(
    repo: Repository,
) -> None:
    repo.write(INCIDENTS, 'incidents:\n  "..":\n    status: active\n')
    repo.write(ALERTS, 'alerts:\n  ".":\n    status: new\n')

    assert repo.problems() == [
        f"{INCIDENTS}:2:3: error: '..' is not a valid incident id: use the id "
        "shown in the Defender portal (letters, digits, '_', '-' and '.', "
        "not dots alone, at most 128)",
        f"{ALERTS}:2:3: error: '.' is not a valid alert id: use the id shown in "
        "the Defender portal (letters, digits, '_', '-' and '.', not dots alone, "
        "at most 128)",
    ]


def test_the_top_level_key_must_name_the_kind(repo: Repository) -> None:
    repo.write(ALERTS, "alert:\n  x:\n    status: new\n")
    repo.write(INCIDENTS, "incidents: [1, 2]\n")

    assert repo.problems() == [
        f"{INCIDENTS}:1:12: error: 'incidents' (each incident id to its fields) "
        "must be a mapping, not a list",
        f"{ALERTS}:1:1: error: unknown key 'alert': did you mean 'alerts'? "
        "(alerts.yaml holds one key, 'alerts', mapping each alert id to its fields)",
    ]


def test_the_same_id_may_be_an_incident_and_an_alert(repo: Repository) -> None:
    repo.write(INCIDENTS, 'incidents:\n  "77":\n    status: active\n')
    repo.write(ALERTS, 'alerts:\n  "77":\n    status: new\n')

    tenant = repo.load().tenants["contoso"]

    assert tenant.incidents["77"].kind == "incident"
    assert tenant.alerts["77"].kind == "alert"


class TestAssigneePolicy:
    def test_domains_and_roster_are_compared_without_case(
        self, repo: Repository
    ) -> None:
        repo.write(
            "state/fabrikam/tenant.yaml",
            "tenant_id: 7a2b9c4d-0000-4000-8000-000000000002\n"
            "credential: {secret_env: FABRIKAM_CLIENT_SECRET}\n"
            "assignees:\n  domains: [Fabrikam.com]\n"
            "  roster: [SOC-Lead@fabrikam.onmicrosoft.com]\n",
        )
        repo.write(
            "state/fabrikam/incidents.yaml",
            'incidents:\n  "1": {assignee: Dana@FABRIKAM.COM}\n'
            '  "2": {assignee: soc-lead@Fabrikam.OnMicrosoft.com}\n',
        )

        incidents = repo.load().tenants["fabrikam"].incidents

        assert incidents["1"].fields == {"assignedTo": "Dana@FABRIKAM.COM"}
        assert incidents["2"].fields == {
            "assignedTo": "soc-lead@Fabrikam.OnMicrosoft.com"
        }

    def test_someone_outside_the_policy_is_refused_with_the_fix(
        self, repo: Repository
    ) -> None:
        repo.write(
            INCIDENTS,
            'incidents:\n  "1": {assignee: kai@contoso.com.evil}\n'
            '  "2": {assignee: yes}\n',
        )
        repo.write(ALERTS, alert("assignee: dana@fabrikam.com"))

        assert repo.problems() == [
            f"{INCIDENTS}:2:19: error: assignee 'kai@contoso.com.evil' is not allowed "
            "in tenant 'contoso' (allowed: an address at contoso.com; use null to "
            "unassign, or extend assignees in state/contoso/tenant.yaml)",
            f"{INCIDENTS}:3:19: error: assignee 'yes' is not allowed in tenant "
            "'contoso' (allowed: an address at contoso.com; use null to unassign, "
            "or extend assignees in state/contoso/tenant.yaml)",
            f"{ALERTS}:3:15: error: assignee 'dana@fabrikam.com' is not allowed in "
            "tenant 'contoso' (allowed: an address at contoso.com; use null to "
            "unassign, or extend assignees in state/contoso/tenant.yaml)",
        ]

    def test_a_near_miss_on_the_roster_is_suggested(self, repo: Repository) -> None:
        repo.write(
            "state/fabrikam/tenant.yaml",
            "tenant_id: 7a2b9c4d-0000-4000-8000-000000000002\n"
            "credential: {secret_env: FABRIKAM_CLIENT_SECRET}\n"
            "assignees:\n  roster: [soc-lead@fabrikam.onmicrosoft.com]\n",
        )
        repo.write(
            "state/fabrikam/alerts.yaml",
            "alerts:\n  x1:\n    assignee: soc-leed@fabrikam.onmicrosoft.com\n",
        )

        assert repo.problems() == [
            "state/fabrikam/alerts.yaml:3:15: error: assignee "
            "'soc-leed@fabrikam.onmicrosoft.com' is not allowed in tenant 'fabrikam': "
            "did you mean 'soc-lead@fabrikam.onmicrosoft.com'? (allowed: one of "
            "soc-lead@fabrikam.onmicrosoft.com; use null to unassign, or extend "
            "assignees in state/fabrikam/tenant.yaml)"
        ]

    def test_without_a_policy_any_assignee_text_is_accepted(
        self, repo: Repository
    ) -> None:
        repo.write(
            "state/fabrikam/incidents.yaml", 'incidents:\n  "1": {assignee: yes}\n'
        )

        incidents = repo.load().tenants["fabrikam"].incidents

        assert incidents["1"].fields == {"assignedTo": "yes"}

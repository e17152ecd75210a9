"""tenant.yaml and reconciler.yaml: identity, credentials, policy and settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from desired_repo import CLIENT_ID, CONTOSO_ID, FABRIKAM_ID, Repository

from reconciler.desired.models import (
    AssigneePolicy,
    CloudSettings,
    Credential,
    Defaults,
    SourceLocation,
    TenantSpec,
)

TENANT = "state/fabrikam/tenant.yaml"


def test_a_tenant_file_becomes_its_spec(repo: Repository) -> None:
    spec = repo.load().tenants["contoso"].spec

    assert spec == TenantSpec(
        slug="contoso",
        tenant_id=CONTOSO_ID,
        display_name="Contoso",
        client_id=CLIENT_ID,
        credential=Credential(secret_env="CONTOSO_CLIENT_SECRET"),
        assignees=AssigneePolicy(domains=("contoso.com",)),
        quota_per_minute=150,
        location=SourceLocation("state/contoso/tenant.yaml", 1, 1),
    )


def test_a_tenant_overrides_the_defaults_and_ids_are_lower_cased(
    repo: Repository,
) -> None:
    repo.write(
        TENANT,
        f"tenant_id: {FABRIKAM_ID.upper()}\n"
        "client_id: 0B7C6D5E-4F3A-4B2C-9D1E-000000000B01\n"
        "quota_per_minute: 60\n"
        "credential:\n  certificate_file: certs/fabrikam.pem\n",
    )

    spec = repo.load().tenants["fabrikam"].spec

    assert spec.tenant_id == FABRIKAM_ID
    assert spec.client_id == "0b7c6d5e-4f3a-4b2c-9d1e-000000000b01"
    assert spec.quota_per_minute == 60
    assert spec.display_name == "fabrikam"
    assert spec.credential == Credential(
        certificate_file=(repo.root / "certs/fabrikam.pem").resolve()
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "",
            "1:1: error: tenant.yaml is empty; it needs tenant_id and credential "
            "(and client_id unless reconciler.yaml sets defaults.client_id)",
            id="empty",
        ),
        pytest.param(
            "tenant_id: 7a2b9c4d\ncredential: {secret_env: X}\n",
            "1:12: error: tenant_id '7a2b9c4d' is not a GUID; copy it from the Entra "
            "admin center, written as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            id="short-guid",
        ),
        pytest.param(
            "credential: {secret_env: X}\n",
            "1:1: error: tenant.yaml is missing 'tenant_id'; add it",
            id="no-tenant-id",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential:\n  secret: s3cr3t-value\n",
            "3:3: error: unknown key 'secret' in credential: did you mean "
            "'secret_env'? (secrets never go in the repository: put the secret in an "
            "environment variable and name it with secret_env, or use "
            "certificate_file)",
            id="inline-secret",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential:\n  secret_env: abc~DEF.123-x\n",
            "3:15: error: secret_env must be the name of an environment variable "
            "(letters, digits and '_', not starting with a digit); secrets never go "
            "in the repository: put the secret in an environment variable and name it "
            "with secret_env, or use certificate_file",
            id="secret-in-secret-env",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential:\n  secret_env: X\n"
            "  certificate_file: a.pem\n",
            "3:3: error: credential needs exactly one of secret_env (an environment "
            "variable holding the client secret) and certificate_file (a PEM file "
            "path)",
            id="two-credentials",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential:\n  certificate_file: /etc/k.pem\n",
            "3:21: error: certificate_file '/etc/k.pem' must be a path inside the "
            "repository, relative to its root (such as certs/contoso.pem)",
            id="absolute-certificate",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential:\n  certificate_file: ../k.pem\n",
            "3:21: error: certificate_file '../k.pem' must be a path inside the "
            "repository, relative to its root (such as certs/contoso.pem)",
            id="escaping-certificate",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential: {{secret_env: X}}\n"
            "assignees:\n  roster: [dana@fabrikam.com]\n  domain: [x.com]\n",
            "5:3: error: unknown key 'domain' in assignees: did you mean 'domains'? "
            "(allowed: domains, roster)",
            id="misspelt-assignees-key",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential: {{secret_env: X}}\n"
            "assignees: {roster: []}\n",
            "3:12: error: assignees allows no one: list domains and/or roster, or "
            "remove assignees to allow any assignee",
            id="nobody-allowed",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential: {{secret_env: X}}\n"
            "quota_per_minute: 0x96\n",
            "3:19: error: quota_per_minute must be a whole number, not '0x96'",
            id="hex-quota",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential: {{secret_env: X}}\n"
            "quota_per_minute: 0\n",
            "3:19: error: quota_per_minute must be between 1 and 10000, not 0",
            id="zero-quota",
        ),
        pytest.param(
            f"tenant_id: {FABRIKAM_ID}\ncredential: {{secret_env: X}}\ntenantid: x\n",
            "3:1: error: unknown key 'tenantid' in tenant.yaml: did you mean "
            "'tenant_id'? (allowed: assignees, client_id, credential, display_name, "
            "quota_per_minute, tenant_id)",
            id="misspelt-key",
        ),
    ],
)
def test_invalid_tenant_files_are_refused(
    repo: Repository, text: str, expected: str
) -> None:
    repo.write(TENANT, text)

    assert repo.problems() == [f"{TENANT}:{expected}"]


def test_a_roster_entry_that_is_not_an_address_is_refused(repo: Repository) -> None:
    repo.write(
        TENANT,
        f"tenant_id: {FABRIKAM_ID}\ncredential: {{secret_env: X}}\n"
        "assignees:\n  roster: [kai, dana@fabrikam.com]\n  domains: ['@x.com']\n",
    )

    assert repo.problems() == [
        f"{TENANT}:4:12: error: 'kai' in roster is not an email address",
        f"{TENANT}:5:13: error: '@x.com' in domains is not a domain such as "
        "contoso.com",
    ]


def test_an_inline_secret_never_appears_in_a_message(repo: Repository) -> None:
    secret = "Zq8~fake-client-secret.value"
    repo.write(
        TENANT,
        f"tenant_id: {FABRIKAM_ID}\ncredential:\n  secret_env: {secret}\n"
        f"  client_secret: {secret}\n",
    )

    problems = repo.problems()

    assert len(problems) == 2
    assert not any(secret in problem for problem in problems)


def test_a_missing_client_id_is_refused_when_there_is_no_default(
    repo: Repository,
) -> None:
    repo.write("reconciler.yaml", "# no defaults\n")

    assert repo.problems() == [
        "state/contoso/tenant.yaml:1:1: error: no client_id: set client_id here, or "
        "defaults.client_id in reconciler.yaml for an app shared by every tenant",
        "state/fabrikam/tenant.yaml:1:1: error: no client_id: set client_id here, or "
        "defaults.client_id in reconciler.yaml for an app shared by every tenant",
    ]


def test_two_tenants_naming_the_same_tenant_id_are_refused(repo: Repository) -> None:
    repo.write(
        TENANT,
        f"credential: {{secret_env: X}}\ntenant_id: {CONTOSO_ID.upper()}\n",
    )

    assert repo.problems() == [
        f"{TENANT}:2:12: error: tenant_id {CONTOSO_ID} is already used by tenant "
        "'contoso' (state/contoso/tenant.yaml); each tenant directory must name a "
        "different tenant"
    ]


def test_a_certificate_symlinked_outside_the_repository_is_refused(
    repo: Repository, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "key.pem"
    outside.write_text("not a key")
    (repo.root / "certs").mkdir()
    os.symlink(outside, repo.root / "certs" / "fabrikam.pem")
    repo.write(
        TENANT,
        f"tenant_id: {FABRIKAM_ID}\n"
        "credential:\n  certificate_file: certs/fabrikam.pem\n",
    )

    assert repo.problems() == [
        f"{TENANT}:3:21: error: certificate_file 'certs/fabrikam.pem' is a symlink "
        "leading outside the repository; keep the certificate file inside it"
    ]


class TestSettings:
    def test_every_setting_is_read(self, repo: Repository) -> None:
        repo.write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n")
        repo.write(
            "reconciler.yaml",
            "cloud:\n  authority_host: https://login.microsoftonline.us/\n"
            "  graph_url: https://graph.microsoft.us/v1.0\n  ca_bundle: certs/ca.pem\n"
            f"defaults:\n  client_id: {CLIENT_ID}\n  quota_per_minute: 100\n",
        )

        settings = repo.load().settings

        assert settings.cloud == CloudSettings(
            authority_host="https://login.microsoftonline.us",
            graph_url="https://graph.microsoft.us/v1.0",
            ca_bundle=(repo.root / "certs/ca.pem").resolve(),
        )
        assert settings.defaults == Defaults(client_id=CLIENT_ID, quota_per_minute=100)
        assert repo.load().tenants["fabrikam"].spec.quota_per_minute == 100

    def test_a_missing_settings_file_means_public_cloud_defaults(
        self, repo: Repository
    ) -> None:
        (repo.root / "reconciler.yaml").unlink()
        repo.write(
            TENANT,
            f"tenant_id: {FABRIKAM_ID}\nclient_id: {CLIENT_ID}\n"
            "credential: {secret_env: X}\n",
        )

        state = repo.load(["fabrikam"])

        assert state.settings.cloud == CloudSettings()
        assert state.settings.defaults == Defaults()

    def test_bad_settings_are_refused(self, repo: Repository) -> None:
        repo.write(
            "reconciler.yaml",
            "cloud:\n  authority_host: http://login.example.com/tenant\n"
            "  graph_url: graph.microsoft.com\n  ca_bundle: missing.pem\n"
            "  proxy: x\ndefaults:\n  quota_per_minute: many\n",
        )

        assert repo.problems() == [
            "reconciler.yaml:2:19: error: cloud.authority_host "
            "'http://login.example.com/tenant' must be an https URL of the form "
            "https://HOST",
            "reconciler.yaml:3:14: error: cloud.graph_url 'graph.microsoft.com' must "
            "be an https URL of the form https://HOST[/PATH]",
            "reconciler.yaml:4:14: error: cloud.ca_bundle 'missing.pem' is not a "
            "file; give the path of a PEM bundle (relative to the repository root, "
            "or absolute), or null",
            "reconciler.yaml:5:3: error: unknown key 'proxy' in cloud "
            "(allowed: authority_host, ca_bundle, graph_url)",
            "reconciler.yaml:7:21: error: defaults.quota_per_minute must be a whole "
            "number, not 'many'",
            "state/contoso/tenant.yaml:1:1: error: no client_id: set client_id here, "
            "or defaults.client_id in reconciler.yaml for an app shared by every "
            "tenant",
            "state/fabrikam/tenant.yaml:1:1: error: no client_id: set client_id here, "
            "or defaults.client_id in reconciler.yaml for an app shared by every "
            "tenant",
        ]


def test_the_credential_model_holds_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Credential()
    with pytest.raises(ValueError, match="exactly one"):
        Credential(secret_env="X", certificate_file=Path("/x.pem"))

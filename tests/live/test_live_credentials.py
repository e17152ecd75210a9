"""A tenant's credential is loaded and checked before any request."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_support import CLIENT_ID, SECRET_ENV, make_spec, write_pem

from reconciler.live import CredentialError
from reconciler.live.auth import ClientCertificate, ClientSecret, load_credential


def test_a_secret_is_read_from_the_named_environment_variable() -> None:
    credential = load_credential(make_spec(), {SECRET_ENV: "s3cr3t"})

    assert credential == ClientSecret(env_var=SECRET_ENV, value="s3cr3t")
    assert credential.for_msal() == "s3cr3t"


def test_a_secrets_repr_names_its_variable_but_not_its_value() -> None:
    credential = load_credential(make_spec(), {SECRET_ENV: "s3cr3t"})

    assert repr(credential) == "ClientSecret(env_var='CONTOSO_CLIENT_SECRET')"
    assert "s3cr3t" not in str(credential)


def test_a_missing_secret_variable_names_the_tenant_and_what_to_set() -> None:
    with pytest.raises(CredentialError) as caught:
        load_credential(make_spec(), {})

    assert str(caught.value) == (
        "tenant contoso: the environment variable CONTOSO_CLIENT_SECRET is not set; "
        f"set it to the client secret of application {CLIENT_ID} "
        "(state/contoso/tenant.yaml names it as credential.secret_env)"
    )


def test_an_empty_secret_variable_is_refused() -> None:
    with pytest.raises(CredentialError) as caught:
        load_credential(make_spec(), {SECRET_ENV: "  "})

    assert "CONTOSO_CLIENT_SECRET is empty;" in str(caught.value)


def test_a_certificate_file_gives_msal_the_key_and_certificate(tmp_path: Path) -> None:
    pem = tmp_path / "contoso.pem"
    key_pem, cert_pem = write_pem(pem)

    credential = load_credential(make_spec(certificate_file=pem), {})

    assert isinstance(credential, ClientCertificate)
    assert credential.for_msal() == {
        "private_key": key_pem,
        "public_certificate": cert_pem,
    }
    assert repr(credential) == f"ClientCertificate(path={str(pem)!r})"


def test_an_unreadable_certificate_file_says_where_to_put_one(tmp_path: Path) -> None:
    pem = tmp_path / "missing.pem"

    with pytest.raises(CredentialError) as caught:
        load_credential(make_spec(certificate_file=pem), {})

    assert str(caught.value) == (
        f"tenant contoso: the certificate file {pem} cannot be read (no such file or "
        "directory); put a PEM file holding the private key and certificate of "
        f"application {CLIENT_ID} there, or fix credential.certificate_file in "
        "state/contoso/tenant.yaml"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"encrypted": True}, "holds an encrypted private key;"),
        ({"key_only": True}, "holds no readable PEM certificate;"),
        ({"mismatched": True}, "its private key does not belong to its certificate;"),
        ({"expired": True}, "holds a certificate that expired on"),
    ],
)
def test_unusable_certificate_files_are_refused_before_any_request(
    tmp_path: Path, options: dict[str, bool], expected: str
) -> None:
    pem = tmp_path / "contoso.pem"
    write_pem(pem, **options)

    with pytest.raises(CredentialError) as caught:
        load_credential(make_spec(certificate_file=pem), {})

    assert str(caught.value).startswith(f"tenant contoso: the certificate file {pem}")
    assert expected in str(caught.value)


def test_a_file_without_a_private_key_is_refused(tmp_path: Path) -> None:
    pem = tmp_path / "contoso.pem"
    _, cert_pem = write_pem(pem)
    pem.write_text(cert_pem)

    with pytest.raises(CredentialError) as caught:
        load_credential(make_spec(certificate_file=pem), {})

    assert "holds no readable PEM private key;" in str(caught.value)

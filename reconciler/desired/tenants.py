"""Validating state/<tenant>/tenant.yaml: who the tenant is and how to reach it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.desired import checks
from reconciler.desired.models import (
    MAX_QUOTA_PER_MINUTE,
    AssigneePolicy,
    Credential,
    Defaults,
    SourceLocation,
    TenantSpec,
)
from reconciler.desired.nodes import Mapping, Node, Scalar
from reconciler.desired.problems import FileProblems
from reconciler.desired.sources import escapes_root

TENANT_KEYS = (
    "tenant_id",
    "display_name",
    "client_id",
    "credential",
    "assignees",
    "quota_per_minute",
)
CREDENTIAL_KEYS = ("secret_env", "certificate_file")
ASSIGNEE_KEYS = ("domains", "roster")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_NO_INLINE_SECRETS = (
    "secrets never go in the repository: put the secret in an environment "
    "variable and name it with secret_env, or use certificate_file"
)


@dataclass(frozen=True, slots=True)
class TenantFile:
    """Where tenant.yaml is and what it is checked against."""

    slug: str
    source: str
    repo_root: Path
    defaults: Defaults


@dataclass(frozen=True, slots=True)
class TenantRead:
    spec: TenantSpec
    # Where tenant_id is written, to point at when another tenant repeats it.
    tenant_id_at: Scalar


def validate_tenant(
    root: Node | None, where: TenantFile, problems: FileProblems
) -> TenantRead | None:
    """The tenant's spec, or None after recording every problem in the file."""
    if root is None or (isinstance(root, Scalar) and root.is_null()):
        problems.add(
            1,
            1,
            "tenant.yaml is empty; it needs tenant_id and credential (and "
            "client_id unless reconciler.yaml sets defaults.client_id)",
        )
        return None
    document = checks.mapping(problems, root, "tenant.yaml")
    if document is None:
        return None
    for name, (key, _) in document.entries.items():
        if name not in TENANT_KEYS:
            checks.unknown_key(problems, key, "tenant.yaml", TENANT_KEYS)

    tenant_id_node = _required(document, "tenant_id", problems)
    tenant_id = checks.guid(problems, tenant_id_node, "tenant_id")
    display_name = _display_name(document, where.slug, problems)
    client_id = _client_id(document, where.defaults, problems)
    credential = _credential(document, where, problems)
    assignees_valid, assignees = _assignees(document, problems)
    quota = _quota(document, where.defaults, problems)

    if (
        tenant_id is None
        or display_name is None
        or client_id is None
        or credential is None
        or not assignees_valid
        or quota is None
        or problems
    ):
        return None
    assert isinstance(tenant_id_node, Scalar)
    spec = TenantSpec(
        slug=where.slug,
        tenant_id=tenant_id,
        display_name=display_name,
        client_id=client_id,
        credential=credential,
        assignees=assignees,
        quota_per_minute=quota,
        location=SourceLocation(where.source, 1, 1),
    )
    return TenantRead(spec, tenant_id_node)


def _required(document: Mapping, key: str, problems: FileProblems) -> Node | None:
    entry = document.entries.get(key)
    if entry is None:
        problems.add(
            document.line, document.column, f"tenant.yaml is missing '{key}'; add it"
        )
        return None
    return entry[1]


def _value(document: Mapping, key: str) -> Node | None:
    entry = document.entries.get(key)
    return entry[1] if entry else None


def _display_name(document: Mapping, slug: str, problems: FileProblems) -> str | None:
    if "display_name" not in document.entries:
        return slug
    scalar = checks.text(problems, _value(document, "display_name"), "display_name")
    return scalar.value if scalar else None


def _client_id(
    document: Mapping, defaults: Defaults, problems: FileProblems
) -> str | None:
    if "client_id" in document.entries:
        return checks.guid(problems, _value(document, "client_id"), "client_id")
    if defaults.client_id is None:
        problems.add(
            document.line,
            document.column,
            "no client_id: set client_id here, or defaults.client_id in "
            "reconciler.yaml for an app shared by every tenant",
        )
    return defaults.client_id


def _quota(document: Mapping, defaults: Defaults, problems: FileProblems) -> int | None:
    if "quota_per_minute" not in document.entries:
        return defaults.quota_per_minute
    return checks.whole_number(
        problems,
        _value(document, "quota_per_minute"),
        "quota_per_minute",
        1,
        MAX_QUOTA_PER_MINUTE,
    )


def _credential(
    document: Mapping, where: TenantFile, problems: FileProblems
) -> Credential | None:
    section = checks.mapping(
        problems, _required(document, "credential", problems), "credential"
    )
    if section is None:
        return None
    unknown = False
    for name, (key, _) in section.entries.items():
        if name not in CREDENTIAL_KEYS:
            unknown = True
            problems.add(
                key.line,
                key.column,
                f"unknown key '{name}' in credential"
                f"{checks.did_you_mean(name, CREDENTIAL_KEYS)} ({_NO_INLINE_SECRETS})",
            )
    given = [name for name in CREDENTIAL_KEYS if name in section.entries]
    if not given and unknown:
        return None
    if len(given) != 1:
        problems.add(
            section.line,
            section.column,
            "credential needs exactly one of secret_env (an environment variable "
            "holding the client secret) and certificate_file (a PEM file path)",
        )
        return None
    if given == ["secret_env"]:
        secret_env = _secret_env(_value(section, "secret_env"), problems)
        return Credential(secret_env=secret_env) if secret_env else None
    certificate = _certificate_file(
        _value(section, "certificate_file"), where, problems
    )
    return Credential(certificate_file=certificate) if certificate else None


def _secret_env(node: Node | None, problems: FileProblems) -> str | None:
    scalar = checks.text(problems, node, "secret_env")
    if scalar is None:
        return None
    # Never echo the value: someone may have pasted the secret itself here.
    if not ENV_NAME.fullmatch(scalar.value):
        problems.add(
            scalar.line,
            scalar.column,
            "secret_env must be the name of an environment variable (letters, "
            f"digits and '_', not starting with a digit); {_NO_INLINE_SECRETS}",
        )
        return None
    return scalar.value


def _certificate_file(
    node: Node | None, where: TenantFile, problems: FileProblems
) -> Path | None:
    scalar = checks.text(problems, node, "certificate_file")
    if scalar is None:
        return None
    relative = PurePosixPath(scalar.value)
    if relative.is_absolute() or ".." in relative.parts:
        problems.add(
            scalar.line,
            scalar.column,
            f"certificate_file '{scalar.value}' must be a path inside the repository, "
            "relative to its root (such as certs/contoso.pem)",
        )
        return None
    path = where.repo_root / relative
    if escapes_root(where.repo_root, path):
        problems.add(
            scalar.line,
            scalar.column,
            f"certificate_file '{scalar.value}' is a symlink leading outside the "
            "repository; keep the certificate file inside it",
        )
        return None
    return path.resolve()


def _assignees(
    document: Mapping, problems: FileProblems
) -> tuple[bool, AssigneePolicy | None]:
    """Whether the section is valid, and its policy (None when there is none)."""
    if "assignees" not in document.entries:
        return True, None
    section = checks.mapping(problems, _value(document, "assignees"), "assignees")
    if section is None:
        return False, None
    for name, (key, _) in section.entries.items():
        if name not in ASSIGNEE_KEYS:
            checks.unknown_key(problems, key, "assignees", ASSIGNEE_KEYS)
    domains = _addresses(
        section, "domains", checks.DOMAIN, "a domain such as contoso.com", problems
    )
    roster = _addresses(section, "roster", checks.EMAIL, "an email address", problems)
    if domains is None or roster is None:
        return False, None
    if not domains and not roster:
        problems.add(
            section.line,
            section.column,
            "assignees allows no one: list domains and/or roster, or remove "
            "assignees to allow any assignee",
        )
        return False, None
    return True, AssigneePolicy(domains=domains, roster=roster)


def _addresses(
    section: Mapping,
    key: str,
    pattern: re.Pattern[str],
    expected: str,
    problems: FileProblems,
) -> tuple[str, ...] | None:
    if key not in section.entries:
        return ()
    entries = checks.text_list(problems, _value(section, key), key)
    if entries is None:
        return None
    clean = True
    for entry in entries:
        if not pattern.fullmatch(entry.value.casefold()):
            problems.add(
                entry.line,
                entry.column,
                f"'{entry.value}' in {key} is not {expected}",
            )
            clean = False
    if not clean:
        return None
    return tuple(dict.fromkeys(entry.value.casefold() for entry in entries))

"""Validating reconciler.yaml: cloud endpoints and defaults, every key optional."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from reconciler.desired import checks
from reconciler.desired.models import (
    DEFAULT_QUOTA_PER_MINUTE,
    MAX_QUOTA_PER_MINUTE,
    CloudSettings,
    Defaults,
    RepositorySettings,
)
from reconciler.desired.nodes import Mapping, Node, Scalar
from reconciler.desired.problems import FileProblems

SETTINGS_KEYS = ("cloud", "defaults")
CLOUD_KEYS = ("authority_host", "graph_url", "ca_bundle")
DEFAULTS_KEYS = ("client_id", "quota_per_minute")


def validate_settings(
    root: Node | None, repo_root: Path, problems: FileProblems
) -> RepositorySettings:
    """The settings; defaults for whatever is absent or wrong (problems say what)."""
    if root is None or (isinstance(root, Scalar) and root.is_null()):
        return RepositorySettings()
    document = checks.mapping(problems, root, "reconciler.yaml")
    if document is None:
        return RepositorySettings()
    _known_keys(document, "reconciler.yaml", SETTINGS_KEYS, problems)
    return RepositorySettings(
        cloud=_cloud(_section(document, "cloud", problems), repo_root, problems),
        defaults=_defaults(_section(document, "defaults", problems), problems),
    )


def _known_keys(
    section: Mapping, where: str, allowed: tuple[str, ...], problems: FileProblems
) -> None:
    for name, (key, _) in section.entries.items():
        if name not in allowed:
            checks.unknown_key(problems, key, where, allowed)


def _section(document: Mapping, key: str, problems: FileProblems) -> Mapping | None:
    entry = document.entries.get(key)
    if entry is None or entry[1] is None:
        return None
    if isinstance(entry[1], Scalar) and entry[1].is_null():
        return None
    return checks.mapping(problems, entry[1], key)


def _cloud(
    section: Mapping | None, repo_root: Path, problems: FileProblems
) -> CloudSettings:
    if section is None:
        return CloudSettings()
    _known_keys(section, "cloud", CLOUD_KEYS, problems)
    return CloudSettings(
        authority_host=_url(section, "authority_host", problems, path_allowed=False),
        graph_url=_url(section, "graph_url", problems, path_allowed=True),
        ca_bundle=_ca_bundle(section, repo_root, problems),
    )


def _optional(section: Mapping, key: str) -> Node | None:
    """The value under `key`, or None when absent or written as null."""
    entry = section.entries.get(key)
    if entry is None or entry[1] is None:
        return None
    if isinstance(entry[1], Scalar) and entry[1].is_null():
        return None
    return entry[1]


def _url(
    section: Mapping, key: str, problems: FileProblems, *, path_allowed: bool
) -> str | None:
    scalar = checks.text(problems, _optional(section, key), f"cloud.{key}")
    if scalar is None:
        return None
    parts = urlsplit(scalar.value)
    shape = "https://HOST" + ("[/PATH]" if path_allowed else "")
    # MSAL refuses authorities that are not https, and tokens must not travel
    # in the clear to Graph either.
    if (
        parts.scheme != "https"
        or not parts.netloc
        or parts.query
        or parts.fragment
        or (not path_allowed and parts.path not in ("", "/"))
    ):
        problems.add(
            scalar.line,
            scalar.column,
            f"cloud.{key} '{scalar.value}' must be an https URL of the form {shape}",
        )
        return None
    return scalar.value.rstrip("/")


def _ca_bundle(
    section: Mapping, repo_root: Path, problems: FileProblems
) -> Path | None:
    scalar = checks.text(problems, _optional(section, "ca_bundle"), "cloud.ca_bundle")
    if scalar is None:
        return None
    path = (repo_root / scalar.value).resolve()
    try:
        is_file = path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        problems.add(
            scalar.line,
            scalar.column,
            f"cloud.ca_bundle '{scalar.value}' is not a file; give the path of a PEM "
            "bundle (relative to the repository root, or absolute), or null",
        )
        return None
    return path


def _defaults(section: Mapping | None, problems: FileProblems) -> Defaults:
    if section is None:
        return Defaults()
    _known_keys(section, "defaults", DEFAULTS_KEYS, problems)
    client_id = None
    client_node = _optional(section, "client_id")
    if client_node is not None:
        client_id = checks.guid(problems, client_node, "defaults.client_id")
    quota = DEFAULT_QUOTA_PER_MINUTE
    quota_node = _optional(section, "quota_per_minute")
    if quota_node is not None:
        quota = (
            checks.whole_number(
                problems,
                quota_node,
                "defaults.quota_per_minute",
                1,
                MAX_QUOTA_PER_MINUTE,
            )
            or DEFAULT_QUOTA_PER_MINUTE
        )
    return Defaults(client_id=client_id, quota_per_minute=quota)

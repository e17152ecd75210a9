"""The content cache: same state warm as cold, and never a bad entry used."""

from __future__ import annotations

from pathlib import Path

import pytest
from desired_repo import Repository

from reconciler.desired.caching import CACHE_DIR
from reconciler.desired.loading import ValidationFailed, load_repository


def entries(repo: Repository) -> list[Path]:
    return sorted((repo.root / CACHE_DIR).glob("*.json"))


def test_a_warm_load_gives_the_same_state_as_a_cold_one(repo: Repository) -> None:
    cold = load_repository(repo.root)
    warm = load_repository(repo.root)

    assert len(entries(repo)) == 2
    assert warm == cold
    assert warm == repo.load()


def test_files_with_problems_are_not_cached(repo: Repository) -> None:
    repo.write("state/contoso/alerts.yaml", "alerts:\n  x: {status: open}\n")

    with pytest.raises(ValidationFailed):
        load_repository(repo.root)

    assert len(entries(repo)) == 1


def test_a_corrupt_entry_is_ignored_and_rewritten(repo: Repository) -> None:
    cold = load_repository(repo.root)
    for entry in entries(repo):
        entry.write_bytes(entry.read_bytes()[:-7])

    assert load_repository(repo.root) == cold
    assert load_repository(repo.root) == cold


def test_an_edited_entry_fails_its_checksum_and_is_ignored(repo: Repository) -> None:
    cold = load_repository(repo.root)
    for entry in entries(repo):
        entry.write_bytes(entry.read_bytes().replace(b"active", b"bogus!"))

    assert load_repository(repo.root) == cold


def test_a_changed_assignee_policy_revalidates_the_items(repo: Repository) -> None:
    load_repository(repo.root)
    repo.write(
        "state/contoso/tenant.yaml",
        "tenant_id: 5f1c2d3e-0000-4000-8000-000000000001\n"
        "credential: {secret_env: CONTOSO_CLIENT_SECRET}\n"
        "assignees: {domains: [fabrikam.com]}\n",
    )

    with pytest.raises(ValidationFailed) as failure:
        load_repository(repo.root)

    assert str(failure.value) == (
        "state/contoso/incidents.yaml:3:15: error: assignee 'kai@contoso.com' is not "
        "allowed in tenant 'contoso' (allowed: an address at fabrikam.com; use null "
        "to unassign, or extend assignees in state/contoso/tenant.yaml)"
    )


def test_an_unwritable_cache_only_keeps_loading_cold(repo: Repository) -> None:
    (repo.root / ".reconciler").write_text("not a directory")

    assert load_repository(repo.root) == repo.load()


def test_the_cache_can_be_turned_off(repo: Repository) -> None:
    load_repository(repo.root, use_cache=False)

    assert entries(repo) == []

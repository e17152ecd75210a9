"""The repository's layout: tenant directories, their files, and what leaves it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from desired_repo import Repository

from reconciler.desired.loading import ValidationFailed, load_repository


def test_every_problem_in_every_file_is_reported_in_one_run(repo: Repository) -> None:
    repo.write("reconciler.yaml", "default:\n  client_id: x\n")
    repo.write(
        "state/contoso/incidents.yaml",
        'incidents:\n  "1": {status: open}\n  "2": {status: closed}\n',
    )
    repo.write("state/contoso/alerts.yaml", "alerts:\n  x: {status: [new]\n")
    repo.write("state/fabrikam/alerts.yaml", "alerts:\n  y: {tags: [a]}\n")

    no_client_id = (
        "1:1: error: no client_id: set client_id here, or defaults.client_id in "
        "reconciler.yaml for an app shared by every tenant"
    )
    assert repo.problems() == [
        "reconciler.yaml:1:1: error: unknown key 'default' in reconciler.yaml: "
        "did you mean 'defaults'? (allowed: cloud, defaults)",
        f"state/contoso/tenant.yaml:{no_client_id}",
        "state/contoso/incidents.yaml:2:17: error: 'open' is not a status an "
        "incident can be given (allowed: active, inProgress, resolved)",
        "state/contoso/incidents.yaml:3:17: error: 'closed' is not a status an "
        "incident can be given (allowed: active, inProgress, resolved)",
        "state/contoso/alerts.yaml:3:1: error: YAML syntax error: did not find "
        "expected ',' or '}' (while parsing a flow mapping started at line 2, "
        "column 6); check quoting and indentation here",
        f"state/fabrikam/tenant.yaml:{no_client_id}",
        "state/fabrikam/alerts.yaml:2:7: error: alerts have no custom tags in Graph; "
        "declare tags on the alert's incident instead",
    ]


def test_a_tenant_directory_needs_a_tenant_file(repo: Repository) -> None:
    repo.write("state/northwind/incidents.yaml", "incidents:\n")

    assert repo.problems() == [
        "state/northwind/tenant.yaml:1:1: error: tenant directory 'northwind' has no "
        "tenant.yaml; create it with at least tenant_id and credential"
    ]


def test_an_empty_tenant_file_is_refused(repo: Repository) -> None:
    repo.write("state/fabrikam/tenant.yaml", "")

    assert repo.problems() == [
        "state/fabrikam/tenant.yaml:1:1: error: tenant.yaml is empty; it needs "
        "tenant_id and credential (and client_id unless reconciler.yaml sets "
        "defaults.client_id)"
    ]


def test_tenant_directories_must_be_slugs(repo: Repository) -> None:
    repo.write("state/Contoso EU/tenant.yaml", "")

    assert repo.problems() == [
        "state/Contoso EU:1:1: error: tenant directory 'Contoso EU' is not a valid "
        "slug; rename it using only lower-case letters, digits and '-' (such as "
        "contoso-eu)"
    ]


def test_stray_files_are_refused_and_hidden_ones_ignored(repo: Repository) -> None:
    repo.write("state/contoso.yaml", "incidents:\n")
    repo.write("state/.gitkeep", "")
    repo.write("state/contoso/incident.yaml", "incidents:\n")
    repo.write("state/contoso/README.md", "notes\n")

    assert repo.problems() == [
        "state/contoso.yaml:1:1: error: state/ holds only tenant directories; "
        "move this file out",
        "state/contoso/incident.yaml:1:1: error: unknown file 'incident.yaml' is not "
        "read: did you mean 'incidents.yaml'? (a tenant directory holds tenant.yaml, "
        "incidents.yaml, alerts.yaml)",
    ]


def test_symlinks_leaving_the_repository_are_refused(
    repo: Repository, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "incidents.yaml").write_text("incidents:\n")
    (outside / "tenant").mkdir()
    (repo.root / "state/contoso/incidents.yaml").unlink()
    os.symlink(outside / "incidents.yaml", repo.root / "state/contoso/incidents.yaml")
    os.symlink(outside / "tenant", repo.root / "state/northwind")

    assert repo.problems() == [
        "state/northwind:1:1: error: a symlink leading outside the repository; "
        "state must live inside it",
        "state/contoso/incidents.yaml:1:1: error: this path is a symlink that leads "
        "outside the repository; state files must live inside it, so replace the "
        "link with the file",
    ]


def test_symlinks_inside_the_repository_are_followed(repo: Repository) -> None:
    shared = repo.write("shared/alerts.yaml", "alerts:\n  z1: {status: new}\n")
    (repo.root / "state/contoso/alerts.yaml").unlink()
    os.symlink(shared, repo.root / "state/contoso/alerts.yaml")

    assert list(repo.load().tenants["contoso"].alerts) == ["z1"]


def test_a_state_file_that_is_a_directory_is_refused(repo: Repository) -> None:
    (repo.root / "state/contoso/alerts.yaml").unlink()
    (repo.root / "state/contoso/alerts.yaml").mkdir()

    assert repo.problems() == [
        "state/contoso/alerts.yaml:1:1: error: not a regular file; "
        "replace it with a YAML file"
    ]


def test_a_repository_without_state_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as failure:
        load_repository(tmp_path)

    assert str(failure.value) == (
        "state:1:1: error: no state/ directory in the repository; create "
        "state/<tenant>/tenant.yaml for each tenant"
    )


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_root_that_is_not_a_directory_is_refused(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "repo"
    if kind == "file":
        root.write_text("")
    reason = "does not exist" if kind == "missing" else "is not a directory"

    with pytest.raises(ValidationFailed) as failure:
        load_repository(root)

    assert str(failure.value) == (
        f"{root}:1:1: error: the repository root {reason}; pass --root with the "
        "directory that holds state/ and reconciler.yaml"
    )


def test_an_unreadable_state_directory_is_a_problem_not_a_crash(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_for(monkeypatch, "iterdir", "state")

    assert repo.problems() == [
        "state:1:1: error: cannot list state/ (Permission denied)"
    ]


class TestSelection:
    def test_only_the_chosen_tenants_are_loaded(self, repo: Repository) -> None:
        repo.write("state/fabrikam/incidents.yaml", "incidents: broken\n")

        state = repo.load(["contoso"])

        assert list(state.tenants) == ["contoso"]

    def test_an_unknown_tenant_is_a_problem_with_a_suggestion(
        self, repo: Repository
    ) -> None:
        assert repo.problems(["contosso", "contoso"]) == [
            "state:1:1: error: no tenant 'contosso' (no directory state/contosso): "
            "did you mean 'contoso'? (tenants: contoso, fabrikam)"
        ]


class TestUnreadable:
    """As root, permissions cannot be taken away; the failures are injected."""

    def test_an_unreadable_state_file_is_a_problem(
        self, repo: Repository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refuse_for(monkeypatch, "stat", "tenant.yaml")

        assert repo.problems(["fabrikam"]) == [
            "state/fabrikam/tenant.yaml:1:1: error: cannot read the file "
            "(Permission denied); check that it exists and is readable"
        ]

    def test_an_unreadable_tenant_directory_is_a_problem(
        self, repo: Repository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refuse_for(monkeypatch, "is_dir", "fabrikam")

        assert repo.problems() == [
            "state/fabrikam:1:1: error: cannot read this entry (Permission denied)"
        ]

    def test_an_unlistable_tenant_directory_is_a_problem(
        self, repo: Repository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refuse_for(monkeypatch, "iterdir", "contoso")

        assert repo.problems(["contoso"]) == [
            "state/contoso:1:1: error: cannot list the directory (Permission denied)"
        ]


def refuse_for(monkeypatch: pytest.MonkeyPatch, method: str, name: str) -> None:
    original = getattr(Path, method)

    def refuse(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == name:
            raise PermissionError(13, "Permission denied")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(Path, method, refuse)

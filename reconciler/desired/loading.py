"""Loading a triage repository: every file read strictly, every problem reported.

Nothing is returned unless the whole selection is valid; otherwise
`ValidationFailed` carries every problem in every file, in file order.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.collector import collector_paused
from reconciler.desired import checks, fastpath, sources
from reconciler.desired.caching import ItemCache, content_key
from reconciler.desired.items import TOP_KEY, AssigneeRule, ItemRecord, validate_items
from reconciler.desired.models import (
    DesiredItem,
    DesiredState,
    Kind,
    RepositorySettings,
    SourceLocation,
    TenantState,
)
from reconciler.desired.nodes import Node
from reconciler.desired.problems import FileProblems, Problem, ValidationFailed
from reconciler.desired.settings import validate_settings
from reconciler.desired.tenants import TenantFile, TenantRead, validate_tenant
from reconciler.desired.yamlreader import parse

__all__ = ["Problem", "ValidationFailed", "load_repository"]

logger = logging.getLogger(__name__)

SETTINGS_FILE = "reconciler.yaml"
STATE_DIR = "state"
TENANT_FILE = "tenant.yaml"
SLUG = re.compile(r"[a-z0-9-]+")
KINDS: tuple[Kind, ...] = ("incident", "alert")
TENANT_DIR_FILES = (TENANT_FILE, *(f"{top}.yaml" for top in TOP_KEY.values()))


def load_repository(
    root: Path, tenants: Sequence[str] | None = None, *, use_cache: bool = True
) -> DesiredState:
    """The desired state under `root`, narrowed to `tenants` when given."""
    loader = _Loader(root, use_cache)
    with collector_paused():
        state = loader.load(tenants)
    if loader.problems or state is None:
        raise ValidationFailed(loader.problems)
    logger.info(
        "loaded %d tenants, %d incidents, %d alerts (%d item files from cache)",
        len(state.tenants),
        state.count("incident"),
        state.count("alert"),
        loader.cache.hits,
    )
    return state


@dataclass
class _Loader:
    root: Path
    use_cache: bool
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cache = ItemCache(self.root if self.use_cache else None)

    def load(self, selection: Sequence[str] | None) -> DesiredState | None:
        if not self._root_is_usable():
            return None
        settings = self._settings()
        state_dir = self.root / STATE_DIR
        slugs = self._tenant_dirs(state_dir)
        if slugs is None:
            return None
        chosen = self._select(slugs, selection)
        loaded = {
            slug: self._tenant(state_dir / slug, slug, settings) for slug in chosen
        }
        self._check_unique_tenant_ids(loaded)
        if self.problems:
            return None
        tenants = {
            slug: tenant for slug, (_, tenant) in loaded.items() if tenant is not None
        }
        return DesiredState(root=self.root, settings=settings, tenants=tenants)

    def _add(self, path: str, message: str) -> None:
        self.problems.append(Problem(SourceLocation(path, 1, 1), message))

    def _collect(self, problems: FileProblems) -> None:
        self.problems.extend(problems.report())

    def _root_is_usable(self) -> bool:
        try:
            if self.root.is_dir():
                return True
            reason = "is not a directory" if self.root.exists() else "does not exist"
        except OSError as error:
            reason = f"cannot be read ({error.strerror or error})"
        self._add(
            str(self.root),
            f"the repository root {reason}; pass --root with the directory that "
            "holds state/ and reconciler.yaml",
        )
        return False

    def _settings(self) -> RepositorySettings:
        path = self.root / SETTINGS_FILE
        if not sources.is_present(path):
            return RepositorySettings()
        problems = FileProblems(SETTINGS_FILE)
        settings = validate_settings(self._parse(path, problems), self.root, problems)
        self._collect(problems)
        return settings

    def _parse(self, path: Path, problems: FileProblems) -> Node | None:
        data = sources.read_bytes(self.root, path, problems)
        if data is None:
            return None
        text = sources.decode(data, problems)
        return parse(text, problems) if text is not None else None

    def _tenant_dirs(self, state_dir: Path) -> list[str] | None:
        """The valid tenant slugs under state/; problems for anything else there."""
        try:
            entries = sorted(state_dir.iterdir())
        except FileNotFoundError:
            self._add(
                STATE_DIR,
                f"no {STATE_DIR}/ directory in the repository; create "
                f"{STATE_DIR}/<tenant>/{TENANT_FILE} for each tenant",
            )
            return None
        except OSError as error:
            self._add(
                STATE_DIR, f"cannot list {STATE_DIR}/ ({error.strerror or error})"
            )
            return None
        slugs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                slug = self._tenant_dir(entry)
            except OSError as error:
                self._add(
                    f"{STATE_DIR}/{entry.name}",
                    f"cannot read this entry ({error.strerror or error})",
                )
                continue
            if slug is not None:
                slugs.append(slug)
        return slugs

    def _tenant_dir(self, entry: Path) -> str | None:
        """The entry's slug if it is a valid tenant directory; else a problem."""
        name = f"{STATE_DIR}/{entry.name}"
        if sources.escapes_root(self.root, entry):
            self._add(
                name,
                "a symlink leading outside the repository; state must live inside it",
            )
        elif not entry.is_dir():
            self._add(
                name, f"{STATE_DIR}/ holds only tenant directories; move this file out"
            )
        elif not SLUG.fullmatch(entry.name):
            self._add(
                name,
                f"tenant directory '{entry.name}' is not a valid slug; rename it "
                "using only lower-case letters, digits and '-' (such as contoso-eu)",
            )
        else:
            return entry.name
        return None

    def _select(self, slugs: list[str], selection: Sequence[str] | None) -> list[str]:
        if selection is None:
            return slugs
        chosen = []
        for slug in dict.fromkeys(selection):
            if slug in slugs:
                chosen.append(slug)
                continue
            known = ", ".join(slugs) or "none"
            self._add(
                STATE_DIR,
                f"no tenant '{slug}' (no directory {STATE_DIR}/{slug})"
                f"{checks.did_you_mean(slug, slugs)} (tenants: {known})",
            )
        return chosen

    def _tenant(
        self, directory: Path, slug: str, settings: RepositorySettings
    ) -> tuple[TenantRead | None, TenantState | None]:
        self._check_tenant_files(directory, slug)
        read = self._tenant_spec(directory, slug, settings)
        rule = None
        if read is not None and read.spec.assignees is not None:
            rule = AssigneeRule(read.spec.assignees, slug, read.spec.location.path)
        items = {kind: self._items(directory, slug, kind, rule) for kind in KINDS}
        if read is None or any(found is None for found in items.values()):
            return read, None
        return read, TenantState(
            spec=read.spec,
            incidents=items["incident"] or {},
            alerts=items["alert"] or {},
        )

    def _check_tenant_files(self, directory: Path, slug: str) -> None:
        try:
            names = sorted(entry.name for entry in directory.iterdir())
        except OSError as error:
            self._add(
                f"{STATE_DIR}/{slug}",
                f"cannot list the directory ({error.strerror or error})",
            )
            return
        for name in names:
            if name in TENANT_DIR_FILES or not name.endswith((".yaml", ".yml")):
                continue
            self._add(
                f"{STATE_DIR}/{slug}/{name}",
                f"unknown file '{name}' is not read"
                f"{checks.did_you_mean(name, TENANT_DIR_FILES)} (a tenant "
                f"directory holds {', '.join(TENANT_DIR_FILES)})",
            )

    def _tenant_spec(
        self, directory: Path, slug: str, settings: RepositorySettings
    ) -> TenantRead | None:
        path = directory / TENANT_FILE
        source = sources.relative_name(self.root, path)
        if not sources.is_present(path):
            self._add(
                source,
                f"tenant directory '{slug}' has no {TENANT_FILE}; create it with "
                "at least tenant_id and credential",
            )
            return None
        problems = FileProblems(source)
        where = TenantFile(slug, source, self.root, settings.defaults)
        root = self._parse(path, problems)
        # An unreadable file has said why; it is not also an empty one.
        read = (
            None
            if root is None and problems
            else validate_tenant(root, where, problems)
        )
        self._collect(problems)
        return read

    def _items(
        self, directory: Path, slug: str, kind: Kind, rule: AssigneeRule | None
    ) -> dict[str, DesiredItem] | None:
        path = directory / f"{TOP_KEY[kind]}.yaml"
        if not sources.is_present(path):
            return {}
        source = sources.relative_name(self.root, path)
        problems = FileProblems(source)
        records = self._records(path, source, kind, rule, problems)
        self._collect(problems)
        if records is None:
            return None
        return {
            item_id: DesiredItem(
                kind, item_id, fields, SourceLocation(source, line, column)
            )
            for item_id, line, column, fields in records
        }

    def _records(
        self,
        path: Path,
        source: str,
        kind: Kind,
        rule: AssigneeRule | None,
        problems: FileProblems,
    ) -> list[ItemRecord] | None:
        data = sources.read_bytes(self.root, path, problems)
        if data is None:
            return None
        key = content_key(data, _context(kind, rule))
        cached = self.cache.get(source, key)
        if cached is not None:
            logger.debug("%s: %d items from the cache", source, len(cached))
            return cached
        text = sources.decode(data, problems)
        if text is None:
            return None
        records = fastpath.read_items(text, kind, rule)
        if records is None:
            logger.debug("%s: read by the strict reader", source)
            records = validate_items(parse(text, problems), kind, rule, problems)
        if problems:
            return None
        logger.debug("%s: %d items", source, len(records))
        self.cache.put(source, key, records)
        return records

    def _check_unique_tenant_ids(
        self, loaded: dict[str, tuple[TenantRead | None, TenantState | None]]
    ) -> None:
        owners: dict[str, TenantRead] = {}
        for read, _ in loaded.values():
            if read is None:
                continue
            first = owners.setdefault(read.spec.tenant_id, read)
            if first is read:
                continue
            at = read.tenant_id_at
            self.problems.append(
                Problem(
                    SourceLocation(read.spec.location.path, at.line, at.column),
                    f"tenant_id {read.spec.tenant_id} is already used by tenant "
                    f"'{first.spec.slug}' ({first.spec.location.path}); each tenant "
                    "directory must name a different tenant",
                )
            )


def _context(kind: Kind, rule: AssigneeRule | None) -> str:
    policy = None
    if rule is not None:
        policy = [list(rule.policy.domains), list(rule.policy.roster)]
    return json.dumps([kind, policy])

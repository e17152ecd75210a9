"""Plan files: written atomically, read strictly.

A plan file is the approval of exactly what it holds, so reading one refuses
anything doubtful (malformed, another format version, edited, expired, made for
other endpoints or other tenants) with a message that says what to do. Writing
never leaves a partial file: a reader sees the old file or the whole new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.config import Endpoints
from reconciler.desired.models import TenantSpec
from reconciler.engine.plans import FORMAT_VERSION, MAX_LIFETIME, Plan, content_hash
from reconciler.errors import ReconcilerError

FILE_MODE = 0o600
# Far above any real plan (a million changes is about 400 MB); a bigger file is
# not one of ours, and reading it whole would exhaust memory first.
MAX_BYTES = 1 << 30


class PlanFileError(ReconcilerError):
    """A plan file that cannot be written, or is refused when read."""


def plan_text(plan: Plan) -> str:
    """The plan file's exact text; one space per level keeps diffs readable."""
    return plan.model_dump_json(indent=1) + "\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Write `plan` to `path` (mode 0600) so that no partial file is ever seen."""
    data = plan_text(plan).encode()
    directory = path.parent
    try:
        fd, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise PlanFileError(
            f"cannot write plan file {path}: {error.strerror}; check that "
            f"{directory} exists and is writable"
        ) from error
    try:
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), FILE_MODE)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        _sync_directory(directory)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise PlanFileError(
            f"cannot write plan file {path}: {error.strerror}"
        ) from error


def read_plan(path: Path) -> Plan:
    """Parse a plan file and prove it unchanged since it was written."""
    raw = _parse_json(path, _read_bytes(path))
    if not isinstance(raw, dict):
        raise PlanFileError(
            f"{path} is not a plan file: it holds JSON but not an object; "
            f"{_remake(path)}"
        )
    _check_version(path, raw)
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as error:
        raise PlanFileError(
            f"{path} is not a valid plan: {_first_problem(error)}; {_remake(path)}"
        ) from None
    if plan.content_hash != content_hash(plan):
        raise PlanFileError(
            f"{path} was changed after it was written (its content hash does not "
            f"match); {_remake(path)}"
        )
    return plan


def check_binding(
    plan: Plan,
    path: Path,
    *,
    endpoints: Endpoints,
    specs: Mapping[str, TenantSpec],
    now: datetime,
) -> None:
    """Refuse a plan that expired or was made for other endpoints or tenants."""
    if plan.is_expired(now):
        raise PlanFileError(
            f"{path} expired at {_moment(plan.expires_at)} "
            f"({_elapsed(now - plan.expires_at)} ago); plans expire because "
            f"triage state changes within minutes; {_remake(path)}"
        )
    lifetime = plan.expires_at - plan.created_at
    if lifetime > MAX_LIFETIME:
        raise PlanFileError(
            f"{path} claims to stay valid for {_elapsed(lifetime)}, longer than any "
            f"plan may ({_elapsed(MAX_LIFETIME)}); {_remake(path)}"
        )

    made_for = (plan.endpoints.authority_host, plan.endpoints.graph_url)
    current = (endpoints.authority_host, endpoints.graph_url)
    if made_for != current:
        raise PlanFileError(
            f"{path} was made for {made_for[0]} and {made_for[1]}, but this run "
            f"uses {current[0]} and {current[1]}; apply it where it was made, or "
            "make a new plan against these endpoints"
        )

    seen: set[str] = set()
    for tenant in plan.tenants:
        if tenant.slug in seen:
            raise PlanFileError(
                f"{path} lists tenant {tenant.slug} twice; {_remake(path)}"
            )
        seen.add(tenant.slug)
        spec = specs.get(tenant.slug)
        if spec is None:
            raise PlanFileError(
                f"{path} is for tenant {tenant.slug}, which is not in this "
                f"repository's state/; apply it from the repository it was made in"
            )
        bound = (tenant.tenant_id.lower(), tenant.client_id.lower())
        if bound != (spec.tenant_id.lower(), spec.client_id.lower()):
            raise PlanFileError(
                f"{path} is for tenant {tenant.slug} as tenant id "
                f"{tenant.tenant_id} with client id {tenant.client_id}, but "
                f"{spec.location.path} now says {spec.tenant_id} with "
                f"{spec.client_id}; {_remake(path)}"
            )


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise PlanFileError(
            f"cannot read plan file {path}: {error.strerror}"
        ) from error
    if len(data) > MAX_BYTES:
        raise PlanFileError(
            f"{path} is not a plan file: it is larger than {MAX_BYTES >> 20} MiB"
        )
    return data


def _parse_json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanFileError(
            f"{path} is not a plan file: it is not UTF-8 text; {_remake(path)}"
        ) from None
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"{path} is not a plan file: invalid JSON at line {error.lineno} "
            f"column {error.colno} ({error.msg}); {_remake(path)}"
        ) from None
    except RecursionError:
        # json nests one Python call per level; a plan is a few levels deep.
        raise PlanFileError(
            f"{path} is not a plan file: its JSON is nested far deeper than a "
            f"plan's; {_remake(path)}"
        ) from None


def _check_version(path: Path, raw: Mapping[str, Any]) -> None:
    version = raw.get("format_version")
    if version == FORMAT_VERSION and type(version) is int:
        return
    found = "no format_version" if version is None else f"format_version {version!r}"
    raise PlanFileError(
        f"{path} has {found}, but this reconciler reads format_version "
        f"{FORMAT_VERSION} only; {_remake(path)} using this version"
    )


def _first_problem(error: ValidationError) -> str:
    problems = error.errors(include_url=False, include_input=False)
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _remake(path: Path) -> str:
    return f"make the plan again with `reconciler plan --out {path}`"


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _elapsed(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry itself is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Whatever a plan file holds, only the project's errors come out.

The plan reader is fed arbitrary bytes, arbitrary JSON, and valid plans with a
part replaced by arbitrary JSON (resealed or not), followed by the checks apply
runs before writing. Anything but success or a `ReconcilerError` is a bug. (The
state loader's fuzzing lives with it, in tests/desired/test_loader_properties.py.)
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import BASE_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.config import Endpoints
from reconciler.desired.loading import load_repository
from reconciler.desired.models import TenantSpec
from reconciler.engine.guards import check_plan
from reconciler.engine.planfile import PlanFileError, check_binding, read_plan
from reconciler.engine.plans import Plan
from reconciler.errors import ReconcilerError

ENDPOINTS = Endpoints("https://login.example.test", "https://graph.example.test/v1.0")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "repo"
    shutil.copytree(BASE_DIR, root)
    return root


@FUZZ
@given(data=st.binary(max_size=400) | json_values.map(json.dumps).map(str.encode))
def test_any_plan_file_content_is_refused_with_a_plan_file_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzzed.plan.json"
    path.write_bytes(data)

    with pytest.raises(PlanFileError):
        read_plan(path)


@FUZZ
@given(replacement=json_values, where=st.data(), reseal=st.booleans())
def test_a_plan_with_any_part_replaced_is_applied_only_if_every_check_passes(
    tmp_path_factory: pytest.TempPathFactory,
    repo: Path,
    replacement: Any,
    where: st.DataObject,
    reseal: bool,
) -> None:
    document = _valid_plan_document()
    _replace_somewhere(document, replacement, where)
    if reseal:
        _seal(document)
    path = tmp_path_factory.getbasetemp() / "mutated.plan.json"
    path.write_text(json.dumps(document))

    try:
        plan = read_plan(path)
        specs = _specs(repo)
        check_binding(plan, path, endpoints=ENDPOINTS, specs=specs, now=_now())
        check_plan(plan, specs=specs)
    except ReconcilerError:
        return


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _specs(repo: Path) -> dict[str, TenantSpec]:
    state = load_repository(repo, use_cache=False)
    return {slug: tenant.spec for slug, tenant in state.tenants.items()}


def _valid_plan_document() -> dict[str, Any]:
    now = _now()
    change = {
        "kind": "incident",
        "id": "2972395",
        "changes": [{"field": "status", "before": "active", "after": "inProgress"}],
        "fingerprint": "sha256:0",
        "last_update": "2021-09-30T09:35:45.1133333Z",
        "source": "state/contoso/incidents.yaml:2:3",
        "matching": {"customTags": ["ransomware"]},
    }
    tenant = {
        "slug": "contoso",
        "tenant_id": "5f1c2d3e-0000-4000-8000-000000000001",
        "display_name": "Contoso",
        "client_id": "3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
        "quota_per_minute": 150,
        "watermarks": {"incident": None, "alert": None},
        "changes": [change],
        "notices": [],
        "read_requests": 1,
        "error": None,
    }
    document = {
        "format_version": 1,
        "created_at": now.isoformat(),
        "expires_at": (now + timedelta(hours=1)).isoformat(),
        "endpoints": {
            "authority_host": ENDPOINTS.authority_host,
            "graph_url": ENDPOINTS.graph_url,
        },
        "commit": None,
        "tenants": [tenant],
        "content_hash": "",
    }
    _seal(document)
    return document


def _seal(document: dict[str, Any]) -> None:
    try:
        document["content_hash"] = Plan.model_validate(document).sealed().content_hash
    except (ValidationError, TypeError, ValueError):
        # Not a plan at all: nothing to seal, and the reader must say so.
        return


def _replace_somewhere(node: Any, replacement: Any, data: st.DataObject) -> None:
    """Replace one value, anywhere in the document, by `replacement`."""
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        descend = isinstance(child, dict | list) and child and data.draw(st.booleans())
        if not descend:
            node[key] = replacement
            return
        node = child

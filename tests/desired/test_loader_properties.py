"""Whatever a state file holds, loading returns the state or ValidationFailed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from desired_repo import make_repository
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired.loading import ValidationFailed, load_repository
from reconciler.desired.models import DesiredState

FILES = [
    "reconciler.yaml",
    "state/contoso/tenant.yaml",
    "state/contoso/incidents.yaml",
    "state/contoso/alerts.yaml",
]
FRAGMENTS = [
    "incidents:",
    "alerts:",
    "tenant_id:",
    "credential:",
    "secret_env: X",
    "assignees:",
    "domains: [contoso.com]",
    "cloud:",
    "defaults:",
    "client_id: 3d2f1a0b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
    "quota_per_minute: 150",
    '"2972395":',
    "status: active",
    "classification: truePositive",
    "determination: malware",
    "tags: [a, b]",
    "assignee: kai@contoso.com",
    "assignee: ~",
    "\n",
    "\n  ",
    "\n    ",
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    "|\n",
    "#",
    "---\n",
    "'",
    '"',
    "\\",
    "\t",
    "\x00",
    "\ufeff",
    "é",
    "%YAML 1.1\n",
]
yamlish = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=40
).map("".join)


def load_with(relative: str, content: bytes) -> DesiredState | ValidationFailed:
    """The state, or the failure; any other exception fails the test."""
    with tempfile.TemporaryDirectory() as directory:
        repo = make_repository(Path(directory))
        repo.write(relative, content)
        try:
            return load_repository(repo.root)
        except ValidationFailed as failed:
            return failed


def assert_state_or_problems(result: DesiredState | ValidationFailed) -> None:
    if isinstance(result, ValidationFailed):
        assert result.problems
        assert all("\n" not in str(problem) for problem in result.problems)
    else:
        assert isinstance(result, DesiredState)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES), st.binary(max_size=400))
def test_arbitrary_bytes_give_the_state_or_validation_problems(
    relative: str, content: bytes
) -> None:
    assert_state_or_problems(load_with(relative, content))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES), yamlish)
def test_arbitrary_yamlish_text_gives_the_state_or_validation_problems(
    relative: str, text: str
) -> None:
    assert_state_or_problems(load_with(relative, text.encode("utf-8")))

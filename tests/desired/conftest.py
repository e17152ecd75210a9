"""Fixtures for the desired-state tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from desired_repo import Repository, make_repository


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return make_repository(tmp_path)

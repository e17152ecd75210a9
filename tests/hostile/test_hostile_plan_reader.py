"""Plan files that are not plans are refused with the project's own error."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine.planfile import PlanFileError, read_plan


def test_deeply_nested_json_is_refused_without_a_recursion_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)

    with pytest.raises(PlanFileError) as refused:
        read_plan(path)

    assert str(refused.value) == (
        f"{path} is not a plan file: its JSON is nested far deeper than a plan's; "
        f"make the plan again with `reconciler plan --out {path}`"
    )

"""Options of `plan` and `apply` that need no tenant to check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
import pytest

from reconciler.cli.plan import Duration, command_prefix


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [
        ("1h", timedelta(hours=1)),
        ("45m", timedelta(minutes=45)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("24h", timedelta(hours=24)),
    ],
)
def test_a_plan_lifetime_is_written_in_hours_minutes_and_seconds(
    text: str, lifetime: timedelta
) -> None:
    assert Duration().convert(text, None, None) == lifetime


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2d", "'2d' is not a duration; write it like 45m, 2h or 1h30m"),
        ("", "'' is not a duration; write it like 45m, 2h or 1h30m"),
        ("30s", "'30s' is out of range; choose from 1m to 24h"),
        ("25h", "'25h' is out of range; choose from 1m to 24h"),
    ],
)
def test_a_lifetime_out_of_shape_or_range_is_refused(text: str, message: str) -> None:
    with pytest.raises(click.BadParameter) as refused:
        Duration().convert(text, None, None)

    assert refused.value.message == message


def test_suggested_commands_carry_the_root_they_were_given() -> None:
    assert command_prefix(Path(".")) == "reconciler"
    assert command_prefix(Path("../my triage")) == "reconciler --root '../my triage'"

"""`python -m benchmarks --tiny` runs every scenario and prints its JSON line.

Only the harness is proven here: the lines, their keys and the figures that
follow from the tiny workloads' sizes (benchmarks/sizes.py). Speed is the
benchmarks' business and is never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

EXPECTED_KEYS = {
    "quota": {
        "scenario",
        "requests",
        "floor_requests",
        "wall_s",
        "quota_floor_s",
        "throttled",
    },
    "latency": {
        "scenario",
        "wall_s",
        "requests",
        "naive_wall_s",
        "naive_requests",
        "wall_s_median",
    },
    "scale": {
        "scenario",
        "items",
        "cpu_s",
        "peak_rss_mb",
        "items_small",
        "cpu_s_small",
        "warm_cpu_s",
        "warm_peak_rss_mb",
    },
    "load": {
        "scenario",
        "items",
        "cpu_s",
        "peak_rss_mb",
        "warm_cpu_s",
        "warm_peak_rss_mb",
    },
    "emulator": {
        "scenario",
        "gets_per_s",
        "requests",
        "threads",
        "failures",
        "served",
        "seconds",
    },
    "startup": {"scenario", "version_s"},
    "hostile": {"scenario", "cases", "max_s", "max_rss_mb", "max_cpu_s", "slowest"},
}


@pytest.fixture(scope="module")
def lines() -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", *EXPECTED_KEYS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    return {line["scenario"]: line for line in parsed}


def test_each_scenario_prints_one_line_with_its_keys(
    lines: dict[str, dict[str, Any]],
) -> None:
    assert {name: set(line) for name, line in lines.items()} == EXPECTED_KEYS


def test_quota_floor_follows_from_the_workload_and_nothing_is_throttled(
    lines: dict[str, dict[str, Any]],
) -> None:
    quota = lines["quota"]
    # 2 tenants: min(ceil(120 / 50), 60) pages + 1 staleness check + 25 changes.
    assert quota["floor_requests"] == 58
    assert quota["quota_floor_s"] == 0.29
    assert quota["throttled"] == 0
    assert quota["requests"] >= quota["floor_requests"]


def test_latency_counts_the_naive_loop_one_get_per_item_and_one_patch_per_change(
    lines: dict[str, dict[str, Any]],
) -> None:
    latency = lines["latency"]
    # 2 tenants of 40 declared incidents, 5 of them changed.
    assert latency["naive_requests"] == 2 * 40 + 2 * 5
    assert 0 < latency["requests"] < latency["naive_requests"]


def test_scale_counts_every_declared_item_at_both_sizes(
    lines: dict[str, dict[str, Any]],
) -> None:
    scale = lines["scale"]
    # 40 incidents and 10 alerts per tenant; 2 tenants, then 1.
    assert (scale["items"], scale["items_small"]) == (100, 50)
    assert scale["peak_rss_mb"] > 0


def test_emulator_rate_load_and_startup_report_their_sizes(
    lines: dict[str, dict[str, Any]],
) -> None:
    assert lines["load"]["items"] == 2 * 50
    assert lines["emulator"]["failures"] == 0
    assert lines["emulator"]["requests"] == 50
    assert lines["startup"]["version_s"] > 0


def test_hostile_runs_the_first_cases_of_the_corpus_each_refused_in_its_own_process(
    lines: dict[str, dict[str, Any]],
) -> None:
    hostile = lines["hostile"]
    assert hostile["cases"] == 3
    assert hostile["max_rss_mb"] > 0

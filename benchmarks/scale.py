"""Scale: the engine's own CPU and memory on 100 tenants of 2,000 items each.

Live state is supplied in-process (no HTTP), so what is measured is loading,
validation, diffing, plan building and JSON rendering. Each size runs in a fresh
subprocess, so that its peak RSS is its own: the full size and a tenth of it,
both cold (no loader cache yet), then the full size again with the loader's
content cache warm from the cold run, as a second run of `reconciler plan` on
unchanged files would find it. Each figure is the best of three runs, since a
busy machine slows a run by more than a tenth of the size costs. Prints one
JSON line:
{"scenario": "scale", "items", "cpu_s", "peak_rss_mb", "items_small",
"cpu_s_small", "warm_cpu_s", "warm_peak_rss_mb"}. Targets (cold): cpu_s <= 10,
peak_rss_mb <= 1000, cpu_s / cpu_s_small <= 11.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.commands import REPO_ROOT
from benchmarks.workload import Workload, write_repository
from reconciler.desired.caching import CACHE_DIR

# Per tenant: 1,600 incidents (200 of them to change) and 400 alerts.
WORKLOAD = Workload(
    tenants=100, live=1600, declared=1600, changed=200, quota_per_minute=150, alerts=400
)
SMALL_TENANTS = 10
RUNS = 3


def run(
    workload: Workload = WORKLOAD,
    small_tenants: int = SMALL_TENANTS,
    runs: int = RUNS,
) -> dict[str, Any]:
    small = dataclasses.replace(workload, tenants=small_tenants)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        full_root = Path(scratch) / "full"
        small_root = Path(scratch) / "small"
        for root, sized in ((full_root, workload), (small_root, small)):
            root.mkdir()
            write_repository(sized, root)
        cold = _best(runs, lambda: _measure(_emptied(full_root), workload))
        cold_small = _best(runs, lambda: _measure(_emptied(small_root), small))
        warm = _best(runs, lambda: _measure(full_root, workload))
    return {
        "scenario": "scale",
        "items": cold["items"],
        "cpu_s": cold["cpu_s"],
        "peak_rss_mb": cold["peak_rss_mb"],
        "items_small": cold_small["items"],
        "cpu_s_small": cold_small["cpu_s"],
        "warm_cpu_s": warm["cpu_s"],
        "warm_peak_rss_mb": warm["peak_rss_mb"],
    }


def _best(runs: int, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return min((measure() for _ in range(runs)), key=lambda run: run["cpu_s"])


def _emptied(root: Path) -> Path:
    """`root` without the loader's content cache, so that it loads cold."""
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    return root


def _measure(root: Path, workload: Workload) -> dict[str, Any]:
    """One size in a fresh interpreter."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scale_run",
            str(root),
            json.dumps(dataclasses.asdict(workload)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scale run failed:\n{result.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(result.stdout)
    return measured


if __name__ == "__main__":
    print(json.dumps(run()), flush=True)

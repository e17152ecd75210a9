"""Loading the desired state: 100 tenants of 2,000 declared items each, validated.

Target: 200,000 declared items loaded and validated in under 5 CPU-seconds and
under 500 MB peak RSS on one core. Each tenant declares 1,600 incidents with all
five fields (assignee, status, classification, determination, tags) and 400
alerts with the four an alert has, under an assignee policy, as analysts write
them.

Each load runs in a fresh interpreter pinned to one core, so its peak RSS is
its own: first cold (no cache; it fills the content cache as a first run
does), then warm (the same files again, served from the cache).

Prints one JSON line: {"scenario": "load", "items": N, "cpu_s": cold CPU-s,
"peak_rss_mb": cold peak, "warm_cpu_s": ..., "warm_peak_rss_mb": ...}.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TENANTS = 100
ITEMS_PER_TENANT = 2_000
ALERT_SHARE = 0.2
CLIENT_ID = "0b7c6d5e-4f3a-4b2c-9d1e-000000000b01"

STATUSES = ["active", "inProgress", "resolved"]
ALERT_STATUSES = ["new", "inProgress", "resolved"]
VERDICTS = [
    ("truePositive", "malware"),
    ("truePositive", "phishing"),
    ("truePositive", "multiStagedAttack"),
    ("truePositive", "compromisedAccount"),
    ("falsePositive", "notMalicious"),
    ("falsePositive", "notEnoughDataToValidate"),
    ("informationalExpectedActivity", "securityTesting"),
    ("informationalExpectedActivity", "lineOfBusinessApplication"),
    ("unknown", "other"),
]
TAGS = [
    "ransomware",
    "escalated",
    "vip",
    "phishing-campaign",
    "needs-review",
    "customer-notified",
    "red-team",
    "finance",
]
ANALYSTS = [f"analyst{number:02d}" for number in range(30)]


def run(
    tenants: int = TENANTS, items_per_tenant: int = ITEMS_PER_TENANT
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reconciler-load-") as directory:
        root = Path(directory)
        items = generate(root, tenants, items_per_tenant)
        cold = _measure_in_child(root)
        warm = _measure_in_child(root)
    if cold["items"] != items or warm["items"] != items:
        raise RuntimeError(
            f"loaded {cold['items']} and {warm['items']} of {items} items"
        )
    return {
        "scenario": "load",
        "items": items,
        "cpu_s": cold["cpu_s"],
        "peak_rss_mb": cold["peak_rss_mb"],
        "warm_cpu_s": warm["cpu_s"],
        "warm_peak_rss_mb": warm["peak_rss_mb"],
    }


def generate(root: Path, tenants: int, items_per_tenant: int) -> int:
    """Write a triage repository; the number of items it declares."""
    rng = random.Random(20240829)
    alerts = int(items_per_tenant * ALERT_SHARE)
    incidents = items_per_tenant - alerts
    (root / "reconciler.yaml").write_text(f"defaults:\n  client_id: {CLIENT_ID}\n")
    for index in range(tenants):
        slug = f"tenant-{index + 1:03d}"
        domain = f"{slug}.example.com"
        directory = root / "state" / slug
        directory.mkdir(parents=True)
        (directory / "tenant.yaml").write_text(
            f"tenant_id: 00000000-0000-4000-8000-{index + 1:012d}\n"
            f"display_name: Tenant {index + 1}\n"
            f"credential:\n  secret_env: {slug.upper().replace('-', '_')}_SECRET\n"
            f"assignees:\n  domains: [{domain}]\n"
        )
        (directory / "incidents.yaml").write_text(
            _incidents(rng, index, incidents, domain)
        )
        (directory / "alerts.yaml").write_text(_alerts(rng, index, alerts, domain))
    return tenants * items_per_tenant


def _incidents(rng: random.Random, tenant: int, count: int, domain: str) -> str:
    lines = [
        "# Incidents under management; absent fields are left alone.",
        "incidents:",
    ]
    for number in range(count):
        classification, determination = rng.choice(VERDICTS)
        tags = ", ".join(rng.sample(TAGS, rng.randint(0, 3)))
        lines += [
            f'  "{100_000 * (tenant + 1) + number}":',
            f"    assignee: {_assignee(rng, domain)}",
            f"    status: {rng.choice(STATUSES)}",
            f"    classification: {classification}",
            f"    determination: {determination}",
            f"    tags: [{tags}]",
        ]
    return "\n".join(lines) + "\n"


def _alerts(rng: random.Random, tenant: int, count: int, domain: str) -> str:
    lines = ["# Alerts under management; absent fields are left alone.", "alerts:"]
    for number in range(count):
        classification, determination = rng.choice(VERDICTS)
        lines += [
            f"  da{tenant + 1:04d}{number:014d}_{rng.randrange(10**9)}:",
            f"    assignee: {_assignee(rng, domain)}",
            f"    status: {rng.choice(ALERT_STATUSES)}",
            f"    classification: {classification}",
            f"    determination: {determination}",
        ]
    return "\n".join(lines) + "\n"


def _assignee(rng: random.Random, domain: str) -> str:
    return "null" if rng.random() < 0.1 else f"{rng.choice(ANALYSTS)}@{domain}"


def _measure_in_child(root: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.load_state", "--measure", str(root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    measured: dict[str, Any] = json.loads(result.stdout)
    return measured


def measure(root: Path) -> dict[str, Any]:
    """Load `root` once in this process: CPU time of the load, peak RSS so far."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from reconciler.desired.loading import load_repository

    started = time.process_time()
    state = load_repository(root)
    cpu = time.process_time() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "items": state.count("incident") + state.count("alert"),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak_kib / 1024, 1),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(Path(sys.argv[2]))), flush=True)
    else:
        print(json.dumps(run()), flush=True)

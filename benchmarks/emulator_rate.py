"""How many authenticated single-item GETs per second the emulator serves over HTTPS.

Runs the emulator in-process with the quota off and drives it from threads
sharing one httpx.Client on the same machine, so client and server share the CPU
(and the GIL): a floor for what the server does alone. Threads rather than an
AsyncClient because httpx's async path, without the optional sniffio package,
retries a failing import on every request and would measure that instead.
Prints one JSON line: {"scenario": "emulator", "gets_per_s": ...}.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from typing import Any

import httpx

from reconciler.emulator import start_emulator
from reconciler.emulator.seeding import DEMO_CLIENT_ID

CONTOSO = "5f1c2d3e-0000-4000-8000-000000000001"
INCIDENTS = ("2972395", "2972401", "2972415", "2972420")
THREADS = 8
WARMUP = 300
REQUESTS = 4000


def run(requests: int = REQUESTS, threads: int = THREADS) -> dict[str, Any]:
    with start_emulator(quota_per_minute=0) as server:
        token = server.issue_token(CONTOSO, DEMO_CLIENT_ID)
        context = ssl.create_default_context(cafile=str(server.ca_bundle))
        with httpx.Client(
            base_url=f"{server.url}/v1.0",
            verify=context,
            limits=httpx.Limits(max_connections=threads),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as client:
            _gets(client, WARMUP, threads)
            started = time.perf_counter()
            failures = _gets(client, requests, threads)
            elapsed = time.perf_counter() - started
        served = server.stats()["totals"]["requests"].get("GET item", 0)
    return {
        "scenario": "emulator",
        "gets_per_s": round(requests / elapsed, 1),
        "requests": requests,
        "threads": threads,
        "failures": failures,
        "served": served,
        "seconds": round(elapsed, 3),
    }


def _gets(client: httpx.Client, total: int, threads: int) -> int:
    """GET incidents from `threads` threads until `total` are done; failures."""
    numbers = count()
    lock = threading.Lock()
    failures = 0

    def worker() -> None:
        nonlocal failures
        while True:
            with lock:
                number = next(numbers)
            if number >= total:
                return
            incident = INCIDENTS[number % len(INCIDENTS)]
            response = client.get(f"/security/incidents/{incident}")
            if response.status_code != 200:
                with lock:
                    failures += 1

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return failures


if __name__ == "__main__":
    print(json.dumps(run()))

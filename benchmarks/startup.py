"""Start-up: how long `reconciler --version` takes as a fresh process.

The best of five runs, so that a busy machine's one slow start does not count.
Prints one JSON line: {"scenario": "startup", "version_s": ...}. Target: under
0.3 s.
"""

from __future__ import annotations

import json
import os
from typing import Any

from benchmarks.commands import compile_bytecode, reconciler_command, timed_run

RUNS = 5


def run(runs: int = RUNS) -> dict[str, Any]:
    compile_bytecode()
    command = [*reconciler_command(), "--version"]
    best = min(timed_run(command, env=os.environ)[0] for _ in range(runs))
    return {"scenario": "startup", "version_s": round(best, 3)}


if __name__ == "__main__":
    print(json.dumps(run()), flush=True)

"""Refusing hostile input: wall time and peak memory of each corpus case.

Every case of tests/hostile/corpus runs in a fresh `python -m reconciler`
process against an in-process emulator; its wall time (interpreter start
included), CPU time and peak resident memory (wait4's rusage of that one
process) are measured. A case that is not refused as its manifest says stops
the benchmark: a fast wrong answer is no result.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from reconciler.emulator import EmulatorServer, start_emulator
from reconciler.emulator.seeding import DEMO_CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[1]
CORPUS_MODULE = ROOT / "tests" / "hostile" / "hostile_corpus.py"

# Linux carries the peak RSS of the process that spawned a program into the
# program's own peak, so spawning from this process (emulator and all) would
# report our size; a small launcher spawns each case and reports its wait4.
_LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    json.dump({
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_kb": usage.ru_maxrss,
        "exit_code": os.waitstatus_to_exitcode(status),
    }, report)
"""


@dataclass(frozen=True)
class Usage:
    wall_s: float
    cpu_s: float
    max_rss_kb: int


def run(limit: int | None = None) -> dict[str, Any]:
    """Every case of the corpus, or its first `limit` cases."""
    corpus = _load_corpus_module()
    cases = corpus.load_cases()[:limit]
    usages: dict[str, Usage] = {}
    with (
        tempfile.TemporaryDirectory(prefix="hostile-bench-") as scratch,
        start_emulator(state_dir=Path(scratch)) as emulator,
    ):
        env = _environment(emulator)
        for number, case in enumerate(cases):
            emulator.reset()
            prepared = corpus.prepare(
                case,
                Path(scratch) / f"case-{number}",
                (emulator.url, f"{emulator.url}/v1.0"),
            )
            usage, code, stdout, stderr = _measure(
                [sys.executable, "-m", "reconciler", *prepared.argv()],
                env,
                Path(scratch) / f"case-{number}",
            )
            problems = corpus.mismatches(case, code, stdout, stderr)
            if emulator.writes() or prepared.out.exists():
                problems.append("something was written")
            if problems:
                raise RuntimeError(f"case {case.name}: {'; '.join(problems)}")
            usages[case.name] = usage
    slowest = max(usages, key=lambda name: usages[name].wall_s)
    return {
        "scenario": "hostile",
        "cases": len(cases),
        "max_s": round(usages[slowest].wall_s, 3),
        "max_rss_mb": round(max(u.max_rss_kb for u in usages.values()) / 1024, 1),
        # CPU time does not grow when other work shares the machine; wall does.
        "max_cpu_s": round(max(u.cpu_s for u in usages.values()), 3),
        "slowest": slowest,
    }


def _load_corpus_module() -> ModuleType:
    # tests/ is not a package; load the corpus module by its path.
    spec = importlib.util.spec_from_file_location("hostile_corpus", CORPUS_MODULE)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {CORPUS_MODULE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _environment(emulator: EmulatorServer) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RECONCILER_AUTHORITY_HOST=emulator.url,
        RECONCILER_GRAPH_URL=f"{emulator.url}/v1.0",
        RECONCILER_CA_BUNDLE=str(emulator.ca_bundle),
        CONTOSO_CLIENT_SECRET=DEMO_CLIENT_SECRET,
        FABRIKAM_CLIENT_SECRET=DEMO_CLIENT_SECRET,
    )
    return env


def _measure(
    command: list[str], env: dict[str, str], work: Path
) -> tuple[Usage, int, str, str]:
    """What one run cost, its exit code, stdout and stderr."""
    out_path, err_path = work / "stdout.txt", work / "stderr.txt"
    report = work / "usage.json"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(report), *command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            check=True,
        )
    measured = json.loads(report.read_text())
    return (
        Usage(measured["wall_s"], measured["cpu_s"], measured["max_rss_kb"]),
        measured["exit_code"],
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
    )


if __name__ == "__main__":
    print(json.dumps(run()))

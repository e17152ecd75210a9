"""Running the real command line against an emulator, as a user would."""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import reconciler
from benchmarks.workload import CLIENT_SECRET, SECRET_ENV
from reconciler.emulator import EmulatorServer

# Where `python -m benchmarks.*` finds this package, whatever the caller's cwd.
REPO_ROOT = Path(__file__).resolve().parent.parent


class CommandFailed(RuntimeError):
    """A command of a benchmark exited with an unexpected code."""


def reconciler_command() -> list[str]:
    """The installed `reconciler` script beside this interpreter, else `-m`."""
    script = Path(sys.executable).parent / "reconciler"
    if script.is_file():
        return [str(script)]
    found = shutil.which("reconciler")
    return [found] if found else [sys.executable, "-m", "reconciler"]


def compile_bytecode() -> None:
    """Give the reconciler package the bytecode an installed package has.

    pip compiles a package's modules when it installs it; an editable checkout
    gets bytecode on its first import, unless PYTHONDONTWRITEBYTECODE is set, as
    it may be on a build machine. Without it every command would compile about
    50 modules from source (about 60 ms), which no installed copy does.
    """
    compileall.compile_dir(Path(reconciler.__file__).parent, quiet=1)


def emulator_env(server: EmulatorServer) -> dict[str, str]:
    """The environment a reconciler process needs to reach `server`."""
    env = dict(os.environ)
    env.update(
        {
            "RECONCILER_AUTHORITY_HOST": server.url,
            "RECONCILER_GRAPH_URL": f"{server.url}/v1.0",
            "RECONCILER_CA_BUNDLE": str(server.ca_bundle),
            SECRET_ENV: CLIENT_SECRET,
        }
    )
    return env


def timed_run(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path = REPO_ROOT,
    expect: Sequence[int] = (0,),
) -> tuple[float, str]:
    """Run a command to its end; its wall time in seconds and its stdout."""
    started = time.perf_counter()
    result = subprocess.run(
        list(args), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode not in expect:
        raise CommandFailed(
            f"{' '.join(args)} exited {result.returncode}:\n{result.stderr[-2000:]}"
        )
    return elapsed, result.stdout


def plan_and_apply(root: Path, env: Mapping[str, str]) -> float:
    """`reconciler plan --out FILE`, then `reconciler apply FILE`; their wall time."""
    plan_file = root / "plan.json"
    base = [*reconciler_command(), "--root", str(root)]
    plan_s, _ = timed_run([*base, "plan", "--out", str(plan_file)], env=env)
    apply_s, _ = timed_run([*base, "apply", str(plan_file)], env=env)
    return plan_s + apply_s


def graph_requests(server: EmulatorServer) -> dict[str, dict[str, int]]:
    """Per tenant id: Graph requests (each batch item once) and throttled ones."""
    tenants = server.stats()["tenants"]
    return {
        tenant_id: {
            "requests": counters["graph_requests"],
            "throttled": counters["throttled"],
        }
        for tenant_id, counters in tenants.items()
    }

"""`make bench`: every benchmark, one JSON line each on stdout.

    python -m benchmarks           the full sizes (a few minutes)
    python -m benchmarks --tiny    every scenario at a tiny size, in seconds

Figures are printed, never judged here: the targets are in each module's
docstring. A scenario that fails prints {"scenario": NAME, "error": ...} and
the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

from benchmarks import sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--tiny", action="store_true", help="run every scenario at a tiny size"
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"run only these ({', '.join(sizes.NAMES)})",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.scenarios) - set(sizes.NAMES))
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}")

    chosen = sizes.tiny() if args.tiny else sizes.full()
    failed = False
    for name, scenario in chosen.items():
        if args.scenarios and name not in args.scenarios:
            continue
        line = _run(name, scenario)
        failed = failed or "error" in line
        print(json.dumps(line), flush=True)
    return 1 if failed else 0


def _run(name: str, scenario: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return scenario()
    except Exception as error:  # one broken scenario must not hide the others
        traceback.print_exc(file=sys.stderr)
        return {"scenario": name, "error": f"{type(error).__name__}: {error}"}


if __name__ == "__main__":
    sys.exit(main())

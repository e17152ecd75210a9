"""The hostile-input corpus: each case as a repository and a command line to refuse.

A case is a directory under corpus/ holding `case.json` (what it is, the command,
the expected exit code, message fragment and place), `files/` (laid over the
valid repository in base/) and, for plan-file cases, `plan.json`. What cannot
live in git is made when the case is prepared: huge files, symlinks, named
pipes, and plan files sealed for the endpoints of the run.

Plan templates may use @AUTHORITY@, @GRAPH@ (the run's endpoints), @NOW@,
@LATER@ (an hour on), @PAST@ (an hour ago) and @LONG_AGO@ (two hours ago).
`"plan": {"seal": true}` fills in the content hash as `reconciler plan` would,
then `tamper` pairs replace text in the sealed file.

Used by tests/hostile/test_hostile_corpus.py and benchmarks/hostile.py.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.engine.plans import Plan

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
BASE_DIR = HERE / "base"


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    args: list[str]
    exit: int
    message: str
    place: str | None
    directory: Path
    # Values that must appear nowhere in the output (a secret written inline).
    never_shown: list[str] = field(default_factory=list)
    setup: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] | None = None


@dataclass(frozen=True)
class Prepared:
    """A case made real under a work directory: run `reconciler --root root *args`."""

    root: Path
    args: list[str]
    # Where a plan would be written (`{out}`); it must not exist afterwards.
    out: Path

    def argv(self) -> list[str]:
        """The command line after `reconciler`."""
        return ["--root", str(self.root), *self.args]


def load_cases() -> list[Case]:
    cases = []
    for directory in sorted(CORPUS_DIR.iterdir()):
        manifest = json.loads((directory / "case.json").read_text(encoding="utf-8"))
        cases.append(
            Case(
                name=directory.name,
                about=manifest["about"],
                args=manifest["args"],
                exit=manifest["exit"],
                message=manifest["message"],
                place=manifest["place"],
                directory=directory,
                never_shown=manifest.get("never_shown", []),
                setup=manifest.get("setup", []),
                plan=manifest.get("plan"),
            )
        )
    return cases


def prepare(case: Case, work: Path, endpoints: tuple[str, str]) -> Prepared:
    """Lay the case out under `work` (which must be empty or absent)."""
    root = work / "repo"
    outside = work / "outside"
    shutil.copytree(BASE_DIR, root)
    _write_outside(outside)
    overlay = case.directory / "files"
    if overlay.is_dir():
        shutil.copytree(overlay, root, dirs_exist_ok=True)
    names = {"root": str(root), "outside": str(outside)}
    for step in case.setup:
        _set_up(step, root, names)

    plan_file = work / "plan.json"
    if case.plan is not None:
        plan_file.write_bytes(_plan_bytes(case, endpoints))
    out = work / "out.plan.json"
    values = {"out": str(out), "plan_file": str(plan_file)}
    args = [arg.format(**values) for arg in case.args]
    return Prepared(root=root, args=args, out=out)


def mismatches(case: Case, exit_code: int, stdout: str, stderr: str) -> list[str]:
    """How a run differs from what the case expects; empty when it was refused right."""
    found = []
    output = stdout + stderr
    if exit_code != case.exit:
        found.append(f"exit code {exit_code}, expected {case.exit}")
    if "Traceback" in output:
        found.append("a traceback was printed")
    if case.place is not None:
        expected = f"{case.place}: error: "
        lines = [line for line in stderr.splitlines() if line.startswith(expected)]
        if not any(case.message in line for line in lines):
            found.append(f"no line starting {expected!r} says {case.message!r}")
    elif case.message not in stderr:
        found.append(f"stderr does not say {case.message!r}")
    found.extend(
        f"the output shows {value!r}" for value in case.never_shown if value in output
    )
    return found


def _write_outside(outside: Path) -> None:
    """Valid state files outside the repository, for symlinks to lead to."""
    (outside / "evil").mkdir(parents=True)
    (outside / "incidents.yaml").write_text(
        'incidents:\n  "2972395":\n    status: resolved\n'
    )
    (outside / "evil" / "tenant.yaml").write_text(
        (BASE_DIR / "state" / "contoso" / "tenant.yaml").read_text()
    )


def _set_up(step: dict[str, Any], root: Path, names: dict[str, str]) -> None:
    if "huge" in step:
        _write_huge(
            root / step["huge"], step["bytes"], one_line=step.get("line", False)
        )
    elif "symlink" in step:
        link = root / step["symlink"]
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(step["to"].format(**names))
    elif "remove" in step:
        shutil.rmtree(root / step["remove"])
    elif "fifo" in step:
        (root / step["fifo"]).unlink()
        os.mkfifo(root / step["fifo"])
    else:
        raise ValueError(f"unknown setup step {step!r}")


def _write_huge(path: Path, size: int, *, one_line: bool) -> None:
    """A well-formed file of about `size` bytes: one long scalar or many items."""
    if one_line:
        path.write_text("display_name: " + "x" * size + "\n")
        return
    lines = ["incidents:"]
    number = 0
    written = 0
    while written < size:
        line = f'  "{number}":\n    status: active\n'
        lines.append(line.rstrip("\n"))
        written += len(line)
        number += 1
    path.write_text("\n".join(lines) + "\n")


def _plan_bytes(case: Case, endpoints: tuple[str, str]) -> bytes:
    assert case.plan is not None
    raw = (case.directory / "plan.json").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    now = datetime.now(UTC).replace(microsecond=0)
    values = {
        "@AUTHORITY@": endpoints[0],
        "@GRAPH@": endpoints[1],
        "@NOW@": now.isoformat(),
        "@LATER@": (now + timedelta(hours=1)).isoformat(),
        "@PAST@": (now - timedelta(hours=1)).isoformat(),
        "@LONG_AGO@": (now - timedelta(hours=2)).isoformat(),
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    if case.plan.get("seal"):
        # The hash is taken as `reconciler plan` takes it, but the document keeps
        # its values as written, so that what the reader sees is what the case says.
        document = json.loads(text)
        document["content_hash"] = Plan.model_validate(document).sealed().content_hash
        text = json.dumps(document, indent=1)
    for old, new in case.plan.get("tamper", []):
        if old not in text:
            raise ValueError(f"{case.name}: nothing to tamper with: {old!r}")
        text = text.replace(old, new, 1)
    return text.encode("utf-8")

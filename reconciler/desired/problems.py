"""Validation problems: what is wrong, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.desired.models import SourceLocation
from reconciler.errors import ReconcilerError

# A hostile or broken file (thousands of aliases, say) must not flood the output;
# past this many problems in one file the rest are summarised in one line.
MAX_PROBLEMS_PER_FILE = 100

_VISIBLE = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}


@dataclass(frozen=True, slots=True)
class Problem:
    location: SourceLocation
    message: str

    def __str__(self) -> str:
        return f"{self.location}: error: {self.message}"


class ValidationFailed(ReconcilerError):
    """The desired state is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class FileProblems:
    """Collects the problems of one file, positions given 1-based."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.suppressed = 0

    def add(self, line: int, column: int, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS_PER_FILE:
            self.suppressed += 1
            return
        # Messages quote what the file says; keep each on one line and never let
        # a crafted key send escape sequences to the terminal.
        clean = message.translate(_VISIBLE)
        self.problems.append(Problem(SourceLocation(self.path, line, column), clean))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def report(self) -> list[Problem]:
        """The problems in file order, with a closing line if some were left out."""
        ordered = sorted(
            self.problems,
            key=lambda problem: (problem.location.line, problem.location.column),
        )
        if not self.suppressed:
            return ordered
        last = ordered[-1].location
        summary = Problem(
            last,
            f"{self.suppressed} more problems in this file not shown "
            f"(at most {MAX_PROBLEMS_PER_FILE} per file); fix these and run again",
        )
        return [*ordered, summary]

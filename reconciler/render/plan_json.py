"""Plans and apply reports as JSON for machines (docs/plan-format.md).

The plan document is the plan file itself: the same text `plan --out` writes, so
what a pipeline inspects is exactly what apply will run.
"""

from __future__ import annotations

from reconciler.engine.plans import Plan
from reconciler.engine.results import ApplyReport

# As the plan file is written (engine/planfile.py): one space per level keeps it
# readable in a diff viewer at little cost in size.
INDENT = 1


def render_plan(plan: Plan) -> str:
    """The versioned plan document, ending in a newline."""
    return plan.model_dump_json(indent=INDENT) + "\n"


def render_apply(report: ApplyReport) -> str:
    """The apply report: every item's outcome, per tenant, ending in a newline."""
    return report.model_dump_json(indent=INDENT) + "\n"

"""Plans and apply reports as JSON for machines (docs/plan-format.md).

The plan document is the plan file itself: the same text `plan --out` writes, so
what a pipeline inspects is exactly what apply will run.
"""

from __future__ import annotations

from reconciler.engine.planfile import plan_text
from reconciler.engine.plans import Plan
from reconciler.engine.results import ApplyReport


def render_plan(plan: Plan) -> str:
    """The versioned plan document, ending in a newline."""
    return plan_text(plan)


def render_apply(report: ApplyReport) -> str:
    """The apply report: every item's outcome, per tenant, ending in a newline."""
    return report.model_dump_json(indent=1) + "\n"

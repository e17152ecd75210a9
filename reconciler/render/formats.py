"""One entry point per document, whatever the output format asked for.

Each format's module is imported only when chosen, so a text plan never pays for
the Markdown renderer and the reverse.
"""

from __future__ import annotations

from typing import Literal

from reconciler.engine.plans import Plan
from reconciler.engine.results import ApplyReport

OutputFormat = Literal["text", "markdown", "json"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("text", "markdown", "json")


def render_plan(plan: Plan, output_format: OutputFormat, *, color: bool) -> str:
    if output_format == "markdown":
        from reconciler.render import markdown

        return markdown.render_plan(plan)
    if output_format == "json":
        from reconciler.render import plan_json

        return plan_json.render_plan(plan)

    from reconciler.render import text

    return text.render_plan(plan, color=color)


def render_apply(
    report: ApplyReport, output_format: OutputFormat, *, color: bool
) -> str:
    if output_format == "markdown":
        from reconciler.render import markdown

        return markdown.render_apply(report)
    if output_format == "json":
        from reconciler.render import plan_json

        return plan_json.render_apply(report)

    from reconciler.render import text

    return text.render_apply(report, color=color)

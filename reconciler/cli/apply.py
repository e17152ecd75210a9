"""`reconciler apply`: write a plan's changes, safely, and report each item.

With a plan file, that file is the approval: it is checked (unchanged, unexpired,
made for these endpoints and tenants, within every guardrail) and applied as it
is. Without one, a plan is made and shown first, and applied once confirmed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli import Context
from reconciler.cli.plan import (
    EXIT_ERROR,
    EXIT_OK,
    command_prefix,
    endpoints_for,
    load_state,
    make_plan,
    render_plan,
    report_gaps,
    run_command,
    specs_of,
    use_color,
)
from reconciler.desired.loading import STATE_DIR, TENANT_FILE
from reconciler.desired.models import TenantSpec
from reconciler.engine.applying import ApplyOptions, Progress, apply_plan
from reconciler.engine.guards import check_plan
from reconciler.engine.locks import DEFAULT_TIMEOUT
from reconciler.engine.planfile import PlanFileError, check_binding, read_plan
from reconciler.engine.plans import Plan
from reconciler.engine.results import ApplyReport
from reconciler.errors import ReconcilerError
from reconciler.render import formats
from reconciler.render.formats import OutputFormat

if TYPE_CHECKING:
    from reconciler.live import GraphClient

# Fewer changes than this finish before a progress bar would be worth drawing.
PROGRESS_THRESHOLD = 20


@click.command()
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="SLUG",
    help="Apply only this tenant (repeat for more).",
)
@click.option(
    "--auto-approve",
    is_flag=True,
    help="Apply a fresh plan without asking (a plan file needs no approval).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(formats.OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="How to print the apply report: terminal, pull-request comment, machines.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another apply of the same tenant to finish.",
)
@click.pass_obj
def apply(
    obj: Context,
    plan_file: Path | None,
    tenants: tuple[str, ...],
    auto_approve: bool,
    output_format: OutputFormat,
    lock_timeout: float,
) -> None:
    """Write the changes of PLAN_FILE, or of a fresh plan once approved."""
    if plan_file is not None:
        sys.exit(
            run_command(
                lambda: _apply_file(
                    obj.root, plan_file, tenants, output_format, lock_timeout
                )
            )
        )
    sys.exit(
        run_command(
            lambda: _apply_fresh(
                obj.root, tenants, auto_approve, output_format, lock_timeout
            )
        )
    )


def _apply_file(
    root: Path,
    path: Path,
    tenants: Sequence[str],
    output_format: OutputFormat,
    lock_timeout: float,
) -> int:
    from reconciler.live import GraphClient

    the_plan = read_plan(path)
    _refuse_tenants_not_here(the_plan, path, root)
    state = load_state(root, [tenant.slug for tenant in the_plan.tenants])
    specs = specs_of(state)
    endpoints = endpoints_for(state)
    check_binding(
        the_plan, path, endpoints=endpoints, specs=specs, now=datetime.now(UTC)
    )
    # The whole file must pass, even when only some of its tenants are applied.
    check_plan(the_plan, specs=specs, command=command_prefix(root))
    chosen = _narrowed(the_plan, path, tenants)

    with GraphClient(endpoints) as client:
        report = _apply(chosen, specs, client, root, lock_timeout)
    return _finish(report, output_format)


def _apply_fresh(
    root: Path,
    tenants: Sequence[str],
    auto_approve: bool,
    output_format: OutputFormat,
    lock_timeout: float,
) -> int:
    from reconciler.live import GraphClient

    if not auto_approve and not sys.stdin.isatty():
        raise ReconcilerError(
            "apply without a plan file asks for approval, and there is no terminal "
            "to ask on; pass --auto-approve, or review a plan first with "
            f"`{command_prefix(root)} plan --out plan.json` and apply that file"
        )

    state = load_state(root, tenants)
    specs = specs_of(state)
    endpoints = endpoints_for(state)
    with GraphClient(endpoints) as client:
        the_plan = make_plan(state, client.tenant, endpoints, root)
        click.echo(render_plan(the_plan, "text"), nl=False)
        complete = report_gaps(the_plan)
        if not the_plan.has_changes():
            return EXIT_OK if complete else EXIT_ERROR
        if not auto_approve and not _approved(the_plan):
            click.echo("Apply cancelled; nothing was written.", err=True)
            return EXIT_ERROR
        report = _apply(the_plan, specs, client, root, lock_timeout)
    return _finish(report, output_format)


def _apply(
    the_plan: Plan,
    specs: Mapping[str, TenantSpec],
    client: GraphClient,
    root: Path,
    lock_timeout: float,
) -> ApplyReport:
    with _progress(the_plan) as progress:
        options = ApplyOptions(
            root=root,
            lock_timeout=lock_timeout,
            progress=progress,
            command=command_prefix(root),
        )
        return apply_plan(the_plan, specs, client.tenant, options)


def _finish(report: ApplyReport, output_format: OutputFormat) -> int:
    color = use_color(sys.stdout)
    click.echo(formats.render_apply(report, output_format, color=color), nl=False)
    return EXIT_OK if report.succeeded() else EXIT_ERROR


def _approved(the_plan: Plan) -> bool:
    changes = sum(len(tenant.changes) for tenant in the_plan.tenants)
    tenants = sum(1 for tenant in the_plan.tenants if tenant.changes)
    return click.confirm(
        f"Apply {changes} change{'s' if changes != 1 else ''} in {tenants} "
        f"tenant{'s' if tenants != 1 else ''}?",
        default=False,
        err=True,
    )


def _refuse_tenants_not_here(the_plan: Plan, path: Path, root: Path) -> None:
    for tenant in the_plan.tenants:
        if not (root / STATE_DIR / tenant.slug / TENANT_FILE).is_file():
            raise PlanFileError(
                f"{path} is for tenant {tenant.slug}, which is not in this "
                "repository's state/; apply it from the repository it was made in"
            )


def _narrowed(the_plan: Plan, path: Path, tenants: Sequence[str]) -> Plan:
    """The plan limited to the chosen tenants; its hash stays that of the file."""
    if not tenants:
        return the_plan
    held = [tenant.slug for tenant in the_plan.tenants]
    for slug in tenants:
        if slug not in held:
            raise PlanFileError(
                f"{path} has no changes planned for tenant {slug}; it holds "
                f"{', '.join(held) or 'no tenant'}"
            )
    return the_plan.model_copy(
        update={"tenants": [t for t in the_plan.tenants if t.slug in tenants]}
    )


@contextmanager
def _progress(the_plan: Plan) -> Iterator[Progress | None]:
    """A progress bar on stderr for long applies, only on a terminal."""
    total = sum(len(tenant.changes) for tenant in the_plan.tenants)
    if total < PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield None
        return

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task("Applying", total=total)
        yield lambda _slug, settled: bar.advance(task, settled)

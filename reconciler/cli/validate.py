"""`reconciler validate`: check the desired state without talking to any tenant."""

from __future__ import annotations

import sys

import click

from reconciler.cli import Context
from reconciler.desired.loading import ValidationFailed, load_repository
from reconciler.errors import ReconcilerError


@click.command()
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="SLUG",
    help="Validate only this tenant (repeat for more).",
)
@click.pass_obj
def validate(context: Context, tenants: tuple[str, ...]) -> None:
    """Check every state file and report each problem as PATH:LINE:COL."""
    try:
        state = load_repository(context.root, list(tenants) or None)
    except ValidationFailed as failed:
        for problem in failed.problems:
            click.echo(str(problem), err=True)
        click.echo(_count(failed), err=True)
        sys.exit(failed.exit_code)
    except ReconcilerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    click.echo(
        f"Valid: {_plural(len(state.tenants), 'tenant')}, "
        f"{_plural(state.count('incident'), 'incident')}, "
        f"{_plural(state.count('alert'), 'alert')}."
    )


def _count(failed: ValidationFailed) -> str:
    files = len({problem.location.path for problem in failed.problems})
    return (
        f"{_plural(len(failed.problems), 'problem')} in {_plural(files, 'file')}; "
        "nothing was checked against live tenants."
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

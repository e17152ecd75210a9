"""`reconciler plan`: what applying would change, per tenant, item and field.

Also the steps `apply` shares with it: loading the state, finding the endpoints,
planning, and turning the project's errors into messages and exit codes.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from reconciler.cli import Context
from reconciler.config import Endpoints, resolve_endpoints
from reconciler.desired.loading import ValidationFailed, load_repository
from reconciler.desired.models import DesiredState, TenantSpec
from reconciler.engine.guards import check_plan
from reconciler.engine.planfile import write_plan
from reconciler.engine.planning import build_plan, git_commit
from reconciler.engine.plans import DEFAULT_LIFETIME, MAX_LIFETIME, Plan
from reconciler.engine.reading import ReaderFactory
from reconciler.errors import ReconcilerError, RefusedError
from reconciler.render import formats
from reconciler.render.formats import OutputFormat

# Exit codes, the same for every command.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class Duration(click.ParamType[timedelta, "str | timedelta"]):
    """A lifetime such as 45m, 2h or 1h30m, from one minute to a day."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = _DURATION.fullmatch(str(value).strip())
        if not str(value).strip() or match is None:
            self.fail(f"{value!r} is not a duration; write it like 45m, 2h or 1h30m")
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        lifetime = timedelta(hours=hours, minutes=minutes, seconds=seconds)
        if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
            self.fail(f"{value!r} is out of range; choose from 1m to 24h")
        return lifetime


@click.command()
@click.option(
    "--tenant",
    "tenants",
    multiple=True,
    metavar="SLUG",
    help="Plan only this tenant (repeat for more).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the plan file here, to apply it later with `reconciler apply FILE`.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(formats.OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="text for terminals, markdown for pull requests, json for machines.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes (0 when there are none).",
)
@click.option(
    "--expires-in",
    "lifetime",
    type=Duration(),
    default="1h",
    show_default=True,
    help="How long the plan file may be applied, from 1m to 24h.",
)
@click.pass_obj
def plan(
    obj: Context,
    tenants: tuple[str, ...],
    out: Path | None,
    output_format: OutputFormat,
    detailed_exitcode: bool,
    lifetime: timedelta,
) -> None:
    """Show what applying the declared state would change in each tenant."""
    sys.exit(
        run_command(
            lambda: _plan(
                obj.root, tenants, out, output_format, detailed_exitcode, lifetime
            )
        )
    )


def _plan(
    root: Path,
    tenants: Sequence[str],
    out: Path | None,
    output_format: OutputFormat,
    detailed_exitcode: bool,
    lifetime: timedelta,
) -> int:
    from reconciler.live import GraphClient

    state = load_state(root, tenants)
    endpoints = endpoints_for(state)
    with GraphClient(endpoints) as client:
        the_plan = make_plan(state, client.tenant, endpoints, root, lifetime=lifetime)

    if out is not None:
        write_plan(the_plan, out)
    click.echo(render_plan(the_plan, output_format), nl=False)
    if out is not None:
        click.echo(
            f"Plan written to {out}; apply it with "
            f"`{command_prefix(root)} apply {shlex.quote(str(out))}`.",
            err=True,
        )

    if not report_gaps(the_plan):
        return EXIT_ERROR
    if detailed_exitcode and the_plan.has_changes():
        return EXIT_CHANGES
    return EXIT_OK


def load_state(root: Path, tenants: Sequence[str]) -> DesiredState:
    return load_repository(root, list(tenants) if tenants else None)


def endpoints_for(state: DesiredState) -> Endpoints:
    """The run's endpoints: reconciler.yaml's cloud section, the environment first."""
    cloud = state.settings.cloud
    return resolve_endpoints(cloud.authority_host, cloud.graph_url, cloud.ca_bundle)


def specs_of(state: DesiredState) -> dict[str, TenantSpec]:
    return {slug: tenant.spec for slug, tenant in state.tenants.items()}


def make_plan(
    state: DesiredState,
    readers: ReaderFactory,
    endpoints: Endpoints,
    root: Path,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> Plan:
    """Plan `state` against the live tenants and check it against every guardrail."""
    # Taken before any read: apply looks for live changes made after this moment.
    now = datetime.now(UTC).replace(microsecond=0)
    new_plan = build_plan(
        state,
        readers,
        endpoints=endpoints,
        now=now,
        commit=git_commit(root),
        lifetime=lifetime,
    )
    check_plan(new_plan, specs=specs_of(state), command=command_prefix(root))
    return new_plan


def render_plan(the_plan: Plan, output_format: OutputFormat) -> str:
    return formats.render_plan(the_plan, output_format, color=use_color(sys.stdout))


def report_gaps(the_plan: Plan) -> bool:
    """Say on stderr what the plan could not cover; True when it covers everything."""
    for tenant in the_plan.tenants:
        if tenant.error:
            click.echo(
                f"error: tenant {tenant.slug} could not be read: {tenant.error}",
                err=True,
            )
    unknown = sum(tenant.unknown_count() for tenant in the_plan.tenants)
    if unknown:
        items = "item" if unknown == 1 else "items"
        click.echo(
            f"error: {unknown} declared {items} could not be read, so nothing is "
            "planned for them (see the notices); plan again once the tenant answers",
            err=True,
        )
    return the_plan.is_complete()


def command_prefix(root: Path) -> str:
    """How the user runs the tool on this repository, for commands we suggest."""
    if root == Path("."):
        return "reconciler"
    return f"reconciler --root {shlex.quote(str(root))}"


def use_color(stream: Any) -> bool:
    return bool(stream.isatty()) and "NO_COLOR" not in os.environ


def run_command(body: Callable[[], int]) -> int:
    """Run a command's body; the project's errors become a message and exit code."""
    try:
        return body()
    except ValidationFailed as failed:
        for problem in failed.problems:
            click.echo(str(problem), err=True)
        return failed.exit_code
    except RefusedError as refused:
        from reconciler.render.text import render_refusal

        click.echo(
            render_refusal(str(refused), color=use_color(sys.stderr)),
            err=True,
            nl=False,
        )
        return refused.exit_code
    except ReconcilerError as error:
        click.echo(f"error: {error}", err=True)
        return error.exit_code

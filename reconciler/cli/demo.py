"""`make demo`: the whole workflow against the embedded emulator, no credentials.

Run from the repository root as `python -m reconciler.cli.demo`. It starts the
emulator in this process, copies the repository's triage state (reconciler.yaml,
state/, policies/) to a temporary directory so that the repository itself is never
modified, and runs the real command line there as a user would: each step shows
its exact command and output. Exit 0 when every step behaved as expected, 1 with
what went wrong otherwise. The emulator is stopped and the copy removed either
way.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import reconciler
from reconciler.config import ENV_AUTHORITY_HOST, ENV_CA_BUNDLE, ENV_GRAPH_URL
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.desired.models import DesiredState
    from reconciler.emulator import EmulatorServer
    from reconciler.engine.plans import Kind

EXIT_REFUSED = 3
STEP_TIMEOUT_S = 60
# Everything `reconciler` reads from a triage repository; the first two must exist.
REPOSITORY_PARTS = ("reconciler.yaml", "state", "policies", "schemas")
# The lines of a cross-tenant refusal that say how to split the plan.
SPLIT_COMMAND = re.compile(r"^\s+reconciler plan --tenant (\S+) --out (\S+)$", re.M)
DECLARABLE_STATUSES = ("active", "inProgress", "resolved")
_HOW_TO_CONTINUE = """\
To run these commands yourself, start `reconciler emulator serve` in one terminal.
In another, set RECONCILER_AUTHORITY_HOST to the URL it prints, RECONCILER_GRAPH_URL
to that URL with /v1.0, RECONCILER_CA_BUNDLE to the CA bundle it prints, and
{secrets}
to the demo app's secret (in reconciler/emulator/data/demo.yaml).
For a pull-request comment: `reconciler plan --format markdown`; for machines:
`reconciler plan --format json` (docs/plan-format.md)."""


class DemoFailed(ReconcilerError):
    """A step did not behave as the demo expects."""


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    output: str


class Session:
    """Runs the real command line in the demo's working copy, one step at a time."""

    def __init__(self, workdir: Path, environment: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.environment = dict(environment)
        self.secret_variables: set[str] = set()
        self.steps = 0

    def say(self, title: str, why: str) -> None:
        self.steps += 1
        click.echo()
        click.echo(_style(f"── {self.steps}. {title}", bold=True))
        click.echo(_style(why, dim=True))

    def run(
        self, *args: str, expect: int | tuple[int, ...] = 0, shows: tuple[str, ...] = ()
    ) -> Outcome:
        """Run `reconciler ARGS`, show its output, and check how it ended."""
        command = shlex.join(["reconciler", *args])
        click.echo(_style(f"$ {command}", bold=True))
        completed = subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=self.workdir,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=STEP_TIMEOUT_S,
            check=False,
        )
        output = completed.stdout
        click.echo(output, nl=bool(output) and not output.endswith("\n"))

        allowed = (expect,) if isinstance(expect, int) else expect
        if completed.returncode not in allowed:
            wanted = " or ".join(str(code) for code in allowed)
            raise DemoFailed(
                f"`{command}` exited {completed.returncode}, expected {wanted}"
            )
        for text in shows:
            if text not in output:
                raise DemoFailed(f"`{command}` did not print {text!r}")
        return Outcome(completed.returncode, output)


def main() -> int:
    root = Path.cwd()
    missing = [part for part in REPOSITORY_PARTS[:2] if not (root / part).exists()]
    if missing:
        click.echo(
            f"error: {root} has no {' or '.join(missing)}; run the demo from the "
            "repository root, e.g. with `make demo`",
            err=True,
        )
        return 1

    from reconciler.desired.loading import load_repository
    from reconciler.emulator import start_emulator

    with tempfile.TemporaryDirectory(prefix="reconciler-demo-") as scratch:
        workdir = _copy_repository(root, Path(scratch) / "triage")
        click.echo(
            _style("Reconciler demo", bold=True)
            + ": triage state as code for two Defender XDR tenants, emulated here."
        )
        # No seed given: the emulator serves its demo data, the live side of the
        # tenants this repository's state/ declares.
        server = start_emulator(state_dir=Path(scratch) / "emulator")
        try:
            click.echo(f"Emulated Entra ID and Microsoft Graph at {server.url}.")
            click.echo(
                f"Working in {workdir}, a copy of this repository's triage state; "
                "the repository itself is not touched."
            )
            session = Session(workdir, _environment(server.description()))
            _tell_the_story(session, server, lambda: load_repository(workdir))
            secret_variables = sorted(session.secret_variables)
        except (ReconcilerError, subprocess.TimeoutExpired) as failure:
            click.echo(_style(f"\nThe demo stopped: {failure}.", bold=True), err=True)
            return 1
        finally:
            server.stop()

    click.echo()
    click.echo(_style("Demo complete: every step behaved as expected.", bold=True))
    click.echo(_HOW_TO_CONTINUE.format(secrets=" and ".join(secret_variables)))
    return 0


def _tell_the_story(
    session: Session, server: EmulatorServer, load: Callable[[], DesiredState]
) -> None:
    session.say(
        "Check the declared state",
        "Each tenant's triage state is YAML under state/. validate reads it "
        "strictly and needs no network.",
    )
    session.run("validate")
    state = load()
    secrets = _secrets(server.description(), state)
    session.environment.update(secrets)
    session.secret_variables = set(secrets)

    session.say(
        "Plan every tenant at once",
        "plan reads the live tenants through Graph and compares them with the "
        "YAML. Assignees are tenant-local identities, so one plan may assign in "
        "one tenant only.",
    )
    first = session.run("plan", expect=(0, EXIT_REFUSED))
    refused = first.exit_code == EXIT_REFUSED
    if refused:
        # Follow the refusal's own instructions.
        targets = SPLIT_COMMAND.findall(first.output)
        if not targets:
            raise DemoFailed("the plan was refused without saying how to split it")
    else:
        targets = [(slug, f"{slug}.plan.json") for slug in sorted(state.tenants)]

    *others, (last_slug, last_file) = targets
    for slug, plan_file in others:
        _plan(session, slug, plan_file)
        _apply(session, slug, plan_file)
    _plan(session, last_slug, last_file)
    _apply_after_a_portal_edit(session, server, last_slug, last_file)

    session.say(
        "Plan again",
        "Everything declared is live now, so there is nothing to do.",
    )
    session.run("plan", "--detailed-exitcode", shows=("No changes",))

    writes = len(server.writes())
    session.say(
        "Apply the first plan again",
        "Applying is idempotent: what is already done is not written twice.",
    )
    session.run("apply", targets[0][1], shows=("0 applied",))
    if len(server.writes()) != writes:
        raise DemoFailed("applying the same plan twice wrote to the tenant again")

    if not refused:
        _show_cross_tenant_refusal(session, server, state)


def _plan(session: Session, slug: str, plan_file: str) -> None:
    session.say(
        f"Plan {slug} alone and save the plan",
        "The saved plan is what reviewers approve; apply writes exactly that.",
    )
    session.run("plan", "--tenant", slug, "--out", plan_file, shows=("Plan:",))


def _apply(session: Session, slug: str, plan_file: str) -> None:
    session.say(
        f"Apply the {slug} plan",
        "Before writing, apply checks that nothing it planned has changed live.",
    )
    session.run("apply", plan_file, shows=("Apply complete:",))


def _apply_after_a_portal_edit(
    session: Session, server: EmulatorServer, slug: str, plan_file: str
) -> None:
    """An analyst changes a planned item; apply leaves it alone and says so."""
    tenant = json.loads((session.workdir / plan_file).read_text())["tenants"][0]
    kind, item_id, field, value = _portal_edit(tenant, plan_file)
    server.store.set_fields(tenant["tenant_id"], kind, item_id, {field: value})

    session.say(
        f"Apply the {slug} plan after an analyst changed {kind} {item_id}",
        f"Someone set {field} to {json.dumps(value)} in the portal after the plan "
        "was made. Apply does not overwrite it: the item is reported as stale.",
    )
    session.run("apply", plan_file, expect=1, shows=("1 stale",))

    session.say(
        f"Plan {slug} again and apply",
        "A new plan starts from what is live now, the analyst's change included.",
    )
    session.run("plan", "--tenant", slug, "--out", plan_file, shows=("Plan:",))
    session.run("apply", plan_file, shows=("Apply complete:",))


def _portal_edit(
    tenant: Mapping[str, Any], plan_file: str
) -> tuple[Kind, str, str, Any]:
    """A planned item, and a value for one of its changing fields that an analyst
    might set instead of the planned one."""
    for item in tenant["changes"]:
        kind: Kind = "incident" if item["kind"] == "incident" else "alert"
        for change in item["changes"]:
            field, before, after = change["field"], change["before"], change["after"]
            if field == "status" and kind == "incident":
                value = next(
                    status
                    for status in DECLARABLE_STATUSES
                    if status not in (before, after)
                )
                return kind, item["id"], field, value
            if field == "customTags":
                return kind, item["id"], field, [*(before or []), "portal"]
    raise DemoFailed(
        f"{plan_file} changes no incident status or tags that an analyst could "
        "change in the meantime; the demo state needs one"
    )


def _show_cross_tenant_refusal(
    session: Session, server: EmulatorServer, state: DesiredState
) -> None:
    """Unassign one declared incident per tenant live, so that the next plan must
    assign in several tenants, and show that such a plan is refused."""
    unassigned = []
    for tenant in state.tenants.values():
        item = next(
            (i for i in tenant.incidents.values() if i.fields.get("assignedTo")),
            None,
        )
        if item is None:
            continue
        server.store.set_fields(
            tenant.spec.tenant_id, "incident", item.id, {"assignedTo": None}
        )
        unassigned.append(f"incident {item.id} in {tenant.spec.slug}")
    if len(unassigned) < 2:
        raise DemoFailed(
            "the demo state assigns incidents in fewer than two tenants, so the "
            "cross-tenant guardrail cannot be shown"
        )

    session.say(
        "Plan after analysts unassigned incidents in several tenants",
        f"Someone unassigned {' and '.join(unassigned)} in the portal. Assigning "
        "them again would assign in several tenants in one batch, which is "
        "refused: nothing is planned or written.",
    )
    session.run("plan", expect=EXIT_REFUSED, shows=("Refused:",))


def _copy_repository(root: Path, workdir: Path) -> Path:
    workdir.mkdir(parents=True)
    for part in REPOSITORY_PARTS:
        source = root / part
        if source.is_dir():
            shutil.copytree(source, workdir / part)
        elif source.is_file():
            shutil.copy2(source, workdir / part)
    return workdir


def _environment(description: Mapping[str, Any]) -> dict[str, str]:
    """The shell a user would set up: the emulator's endpoints and trust."""
    environment = dict(os.environ)
    environment[ENV_AUTHORITY_HOST] = description["url"]
    environment[ENV_GRAPH_URL] = f"{description['url']}/v1.0"
    environment[ENV_CA_BUNDLE] = description["ca_bundle"]
    # The commands run this same code, whether or not the package is installed.
    package_parent = str(Path(reconciler.__file__).resolve().parents[1])
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_parent, environment.get("PYTHONPATH")])
    )
    return environment


def _secrets(description: Mapping[str, Any], state: DesiredState) -> dict[str, str]:
    """Each tenant's secret variable, set to the emulated app's secret."""
    secrets = {app["client_id"]: app["client_secret"] for app in description["apps"]}
    return {
        tenant.spec.credential.secret_env: secrets[tenant.spec.client_id]
        for tenant in state.tenants.values()
        if tenant.spec.credential.secret_env and tenant.spec.client_id in secrets
    }


def _style(text: str, *, bold: bool = False, dim: bool = False) -> str:
    if not sys.stdout.isatty() or "NO_COLOR" in os.environ:
        return text
    return click.style(text, bold=bold, dim=dim)


if __name__ == "__main__":
    sys.exit(main())

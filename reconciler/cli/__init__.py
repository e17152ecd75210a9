"""The command line: the only place that prints or chooses an exit code.

Subcommands are imported only when invoked, so `reconciler --version` stays fast.
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import __version__

# name -> "module:attribute"; each module holds one command.
COMMANDS = {
    "validate": "reconciler.cli.validate:validate",
    "schema": "reconciler.cli.schema:schema",
    "plan": "reconciler.cli.plan:plan",
    "apply": "reconciler.cli.apply:apply",
    "emulator": "reconciler.cli.emulator:emulator",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when first used.

    Usage errors exit 1 rather than click's 2, which this tool reserves for
    "changes present" under --detailed-exitcode.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.ClickException as error:
            error.show()
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        if isinstance(result, int):
            sys.exit(result)
        return result

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command: click.Command = getattr(
            importlib.import_module(module_name), attribute
        )
        # What a command imports lives as long as the process. Frozen, it is left
        # out of every later garbage collection, the one at exit included, which
        # would otherwise scan it all again: about 70 ms of every run.
        if gc.get_freeze_count() == 0:
            gc.freeze()
        return command


class Context:
    """What every subcommand receives from the group's options."""

    def __init__(self, root: Path, verbosity: int) -> None:
        self.root = root
        self.verbosity = verbosity


def configure_logging(verbosity: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("reconciler")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The triage repository (holds state/ and reconciler.yaml).",
)
@click.option("-v", "--verbose", count=True, help="-v for INFO, -vv for DEBUG.")
@click.pass_context
def main(ctx: click.Context, root: Path, verbose: int) -> None:
    """Triage state as code for Microsoft Defender XDR tenants."""
    configure_logging(verbose)
    ctx.obj = Context(root=root, verbosity=verbose)


def run_guarded(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a command body, turning the project's errors into a message and exit code."""
    from reconciler.errors import ReconcilerError

    try:
        return func(*args, **kwargs)
    except ReconcilerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)

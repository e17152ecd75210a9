"""`reconciler schema`: write JSON Schemas of the state files for editors."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli import Context
from reconciler.desired.schema import write_schemas


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the schemas into  [default: schemas/ under --root]",
)
@click.pass_obj
def schema(context: Context, out: Path | None) -> None:
    """Write JSON Schemas of reconciler.yaml, tenant.yaml and the item files.

    Editors find them through each state file's first line:

    \b
      # yaml-language-server: $schema=../../schemas/incidents.schema.json
    """
    directory = out if out is not None else context.root / "schemas"
    try:
        written = write_schemas(directory)
    except OSError as error:
        click.echo(
            f"error: cannot write the schemas to {directory} "
            f"({error.strerror or error}); choose another directory with --out",
            err=True,
        )
        sys.exit(1)
    for path in written:
        click.echo(f"Wrote {path}")

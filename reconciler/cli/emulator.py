"""`reconciler emulator serve`: the Graph + identity emulator in the foreground."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from reconciler.cli import run_guarded
from reconciler.errors import ReconcilerError

DEFAULT_PORT = 8443


def _generate_size(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    """T:N, tenants and incidents per tenant."""
    if value is None:
        return None
    tenants, _, incidents = value.partition(":")
    if not (tenants.isdigit() and incidents.isdigit()) or int(tenants) < 1:
        raise click.BadParameter(
            f"{value!r} is not T:N (tenants:incidents each), e.g. 3:500"
        )
    return int(tenants), int(incidents)


@click.group()
def emulator() -> None:
    """A local Entra ID + Graph security API emulator for demos and tests."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Seed file (YAML or JSON); default: the demo tenants.",
)
@click.option(
    "--generate",
    metavar="T:N",
    callback=_generate_size,
    help="Generate T tenants of N incidents each instead of a seed.",
)
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), default=0, show_default=True
)
@click.option(
    "--quota-per-minute",
    type=click.IntRange(min=0),
    default=150,
    show_default=True,
    help="Requests per app per tenant per minute; 0 for no quota.",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of Graph requests that fail (503, 500, dropped, slow).",
)
@click.option("--fault-seed", type=int, default=0, show_default=True)
@click.option(
    "--describe",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write url, ca_bundle, apps and tenants as JSON to this file.",
)
def serve(describe: Path | None, **options: Any) -> None:
    """Serve until Ctrl-C or SIGTERM, then exit 0."""
    if options["seed"] is not None and options["generate"] is not None:
        raise click.UsageError("give --seed or --generate, not both")
    run_guarded(_serve, describe, options)


def _serve(describe: Path | None, options: dict[str, Any]) -> None:
    """Run the emulator; `options` are start_emulator's, named as the flags are."""
    from reconciler.emulator import start_emulator
    from reconciler.emulator.errors import SeedError

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        try:
            server = start_emulator(**options)
        except SeedError as error:
            # Already PATH:LINE:COL: error: MESSAGE, like every validation problem.
            click.echo(str(error), err=True)
            sys.exit(1)
        with server:
            if describe is not None:
                _write_description(describe, server.description())
            _announce(server.description())
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("Emulator stopped.")


def _announce(description: dict[str, Any]) -> None:
    tenants = [tenant["name"] for tenant in description["tenants"]]
    shown = ", ".join(tenants[:5]) + (
        f" and {len(tenants) - 5} more" if len(tenants) > 5 else ""
    )
    click.echo(f"Emulator listening at {description['url']}")
    click.echo(f"CA bundle: {description['ca_bundle']}")
    click.echo(f"Tenants: {shown}")
    click.echo("Press Ctrl-C to stop.")


def _write_description(path: Path, description: dict[str, Any]) -> None:
    try:
        path.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise ReconcilerError(
            f"cannot write the description to {path}: {error.strerror}; choose a "
            "writable --describe path"
        ) from error

"""The ``nanotomo`` command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import instruments
import phantoms
import recon
from experiments.run import RunSpec, run, score_table
from sim.errors import ValidationError

app = typer.Typer(
    help="nanotomo: a digital twin of nanoscale X-ray and electron tomography.",
    rich_markup_mode=None,  # help texts carry units in brackets, e.g. [deg]; not markup
)


@app.command("run")
def run_command(
    phantom: Annotated[str, typer.Option(help="Registered phantom (see `nanotomo list`).")] = "battery_particle",
    phantom_param: Annotated[list[str], typer.Option(help="Phantom parameter KEY=VALUE (JSON value), repeatable.")] = [],  # noqa: B006
    views: Annotated[int, typer.Option(help="Number of views.")] = 181,
    tilt_min: Annotated[float, typer.Option(help="First tilt [deg].")] = -90.0,
    tilt_max: Annotated[float, typer.Option(help="Last tilt [deg].")] = 90.0,
    photons: Annotated[float, typer.Option(help="Incident photons per pixel per view.")] = 1.0e4,
    energy: Annotated[float, typer.Option(help="Photon energy [keV].")] = 8.0,
    method: Annotated[list[str], typer.Option(help="Reconstruction method, repeatable.")] = ["fbp", "sirt"],  # noqa: B006
    sirt_iter: Annotated[int, typer.Option(help="SIRT iterations.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the phantom and the noise.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Output folder [default: nanotomo_runs/<phantom>-<time>].")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
):
    """Simulate a TXM tilt series of a phantom, reconstruct it, score it, write a run folder."""
    console = Console(stderr=True, quiet=quiet)
    try:
        params = _parse_params(phantom_param)
        method_params = {"sirt": {"n_iter": sirt_iter}} if "sirt" in method else {}
        spec = RunSpec(
            phantom=phantom,
            phantom_params=params,
            energy_kev=energy,
            photons_per_pixel=photons,
            tilt_min_deg=tilt_min,
            tilt_max_deg=tilt_max,
            n_views=views,
            methods=tuple(method),
            method_params=method_params,
            seed=seed,
        )
        folder = out or Path("nanotomo_runs") / f"{phantom}-{datetime.now():%Y%m%d-%H%M%S}"
        result = run(spec, folder, console=console, progress=not quiet)
    except ValidationError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    Console().print(score_table(result))
    Console().print(f"results in {result.out}")


@app.command("list")
def list_command():
    """Show the registered phantoms, reconstruction methods and instruments."""
    console = Console()
    for title, entries in (
        ("phantoms", phantoms.available()),
        ("reconstruction methods", recon.available()),
        ("instruments", instruments.available()),
    ):
        table = Table(title=title, show_header=False)
        table.add_column("name", style="bold")
        table.add_column("description")
        for name, description in entries.items():
            table.add_row(name, description)
        console.print(table)


def _parse_params(items: list[str]) -> dict:
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError("phantom_param", item, "KEY=VALUE, e.g. diameter_nm=1000")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def main():
    """Entry point of the ``nanotomo`` console script."""
    app()

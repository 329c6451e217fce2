"""The ``nanotomo`` command line."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import instruments
import phantoms
import recon
from experiments.bench import BenchSpec, bench, summary_tables
from experiments.electron_outputs import acquisition_time_table
from experiments.run import ORDERS, RunSpec, run, score_table
from sim.errors import ValidationError

app = typer.Typer(
    help="nanotomo: a digital twin of nanoscale X-ray and electron tomography.",
    rich_markup_mode=None,  # help texts carry units in brackets, e.g. [deg]; not markup
)


@app.command("run")
def run_command(
    phantom: Annotated[str, typer.Option(help="Registered phantom (see `nanotomo list`).")] = "battery_particle",
    phantom_param: Annotated[list[str], typer.Option(help="Phantom parameter KEY=VALUE (JSON value), repeatable.")] = [],  # noqa: B006
    instrument: Annotated[str, typer.Option(
        help="Instrument kind (txm, stem, tem, nanoprobe) or preset (see `nanotomo list`).")] = "txm",
    instrument_param: Annotated[list[str], typer.Option(
        help="Instrument parameter KEY=VALUE (JSON value), repeatable, e.g. defocus_nm=3000; for the nanoprobe also "
             "the scan's step_nm, dwell_s, field_um, mode, jitter_nm.")] = [],  # noqa: B006
    dose: Annotated[float | None, typer.Option(
        help="Total electron dose of the series [e/A^2] (electron instruments; = dose_total_e_per_a2).")] = None,
    views: Annotated[int | None, typer.Option(
        help="Number of views [default: 181 for the TXM, 61 for the nanoprobe, one per 2 deg for electron "
             "instruments].")] = None,
    tilt_min: Annotated[float | None, typer.Option(
        help="First tilt [deg] [default: -90 for X-rays, minus the holder's limit for electron instruments].")] = None,
    tilt_max: Annotated[float | None, typer.Option(
        help="Last tilt [deg] [default: 90 for X-rays, the holder's limit for electron instruments].")] = None,
    order: Annotated[str, typer.Option(help=f"Acquisition order: one of {', '.join(ORDERS)}.")] = "sequential",
    photons: Annotated[float | None, typer.Option(help="Incident photons per pixel per view (TXM) [default: 1e4].")] = None,
    energy: Annotated[float | None, typer.Option(
        help="Photon energy [keV] (TXM, nanoprobe) [default: the preset's, else 8 (TXM) or 12 (nanoprobe)].")] = None,
    method: Annotated[list[str], typer.Option(help="Reconstruction method, repeatable.")] = ["fbp", "sirt"],  # noqa: B006
    sirt_iter: Annotated[int, typer.Option(help="SIRT iterations.")] = 40,
    seed: Annotated[int, typer.Option(help="Seed of the phantom and the noise.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Output folder [default: nanotomo_runs/<phantom>-<time>].")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
):
    """Simulate a tilt series of a phantom (TXM, nanoprobe or electron microscope), reconstruct, score, write a folder."""
    console = Console(stderr=True, quiet=quiet)
    with _bad_input_exits():
        params = _parse_params(phantom_param, "phantom_param")
        instrument_params = _parse_params(instrument_param, "instrument_param")
        if dose is not None:
            instrument_params["dose_total_e_per_a2"] = dose
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
            instrument=instrument,
            instrument_params=instrument_params,
            order=order,
        )
        folder = out or Path("nanotomo_runs") / f"{phantom}-{datetime.now():%Y%m%d-%H%M%S}"
        result = run(spec, folder, console=console, progress=not quiet)
    Console().print(score_table(result))
    if result.acquisition_time_s:
        Console().print(acquisition_time_table(result.acquisition_time_s))
    Console().print(f"results in {result.out}")


@app.command("bench")
def bench_command(
    method: Annotated[list[str], typer.Option(
        help="Reconstruction method (built-in, adapter or plugin; see `nanotomo list`), repeatable.")] = ["fbp", "sirt", "tv"],  # noqa: B006
    method_param: Annotated[list[str], typer.Option(
        help="Method parameter METHOD.KEY=VALUE (JSON value), repeatable, e.g. sirt.n_iter=100.")] = [],  # noqa: B006
    phantom: Annotated[str, typer.Option(help="Registered phantom (see `nanotomo list`).")] = "kirkendall_nanoparticle",
    phantom_param: Annotated[list[str], typer.Option(help="Phantom parameter KEY=VALUE (JSON value), repeatable.")] = [],  # noqa: B006
    instrument: Annotated[str, typer.Option(help="Instrument kind or preset (see `nanotomo list`).")] = "stem-200kv-haadf",
    instrument_param: Annotated[list[str], typer.Option(help="Instrument parameter KEY=VALUE (JSON value), repeatable.")] = [],  # noqa: B006
    max_tilt: Annotated[list[float], typer.Option(help="Tilt range +-ALPHA [deg], repeatable: one series each.")] = [60.0],  # noqa: B006
    views: Annotated[int | None, typer.Option(help="Views per series [default: one per 2 deg].")] = None,
    dose: Annotated[list[float], typer.Option(
        help="Total electron dose of a series [e/A^2], repeatable [default: the preset's].")] = [],  # noqa: B006
    drift: Annotated[str, typer.Option(help="Stage errors and drift: off, on or both (one series each).")] = "off",
    seed: Annotated[list[int], typer.Option(help="Seed of the phantom and noise, repeatable (repeats).")] = [0],  # noqa: B006
    rank_by: Annotated[str, typer.Option(help="Metric the summary ranks by (e.g. rmse_in, ssim_in, dice_mean).")] = "rmse_in",
    align: Annotated[bool, typer.Option(
        help="Align each series first (cross-correlation + projection matching) and score the shifts.")] = False,
    out: Annotated[Path | None, typer.Option(help="Output folder [default: nanotomo_runs/bench-<time>].")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
):
    """Run several reconstruction methods on the same simulated series; write a tidy table, figures and a ranking."""
    console = Console(stderr=True, quiet=quiet)
    drifts = {"off": (False,), "on": (True,), "both": (False, True)}
    with _bad_input_exits():
        if drift not in drifts:
            raise ValidationError("drift", drift, f"one of {sorted(drifts)}")
        spec = BenchSpec(
            phantom=phantom,
            phantom_params=_parse_params(phantom_param, "phantom_param"),
            instrument=instrument,
            instrument_params=_parse_params(instrument_param, "instrument_param"),
            max_tilts_deg=tuple(max_tilt),
            n_views=views,
            doses_e_per_a2=tuple(dose) or (None,),
            drift=drifts[drift],
            seeds=tuple(seed),
            methods=tuple(method),
            method_params=_parse_method_params(method_param),
            rank_by=rank_by,
            align=align,
        )
        folder = out or Path("nanotomo_runs") / f"bench-{datetime.now():%Y%m%d-%H%M%S}"
        result = bench(spec, folder, console=console, progress=not quiet)
    for table in summary_tables(result):
        Console().print(table)
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


@contextmanager
def _bad_input_exits():
    """Print a ValidationError as one line and exit with status 2 (nothing has been written yet)."""
    try:
        yield
    except ValidationError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


def _parse_params(items: list[str], field: str) -> dict:
    params = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValidationError(field, item, "KEY=VALUE, e.g. diameter_nm=1000")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _parse_method_params(items: list[str]) -> dict:
    params: dict[str, dict] = {}
    for key, value in _parse_params(items, "method_param").items():
        method, sep, name = key.rpartition(".")
        if not sep or not method or not name:
            raise ValidationError("method_param", key, "METHOD.KEY=VALUE, e.g. sirt.n_iter=100")
        params.setdefault(method, {})[name] = value
    return params


def main():
    """Entry point of the ``nanotomo`` console script."""
    app()

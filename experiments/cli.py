"""The ``nanotomo`` command line."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import instruments
from experiments import planner
import phantoms
import recon
from experiments.bench import BenchSpec, bench, summary_tables
from experiments.electron_outputs import acquisition_time_table
from experiments.report import report
from experiments.run import ORDERS, RunSpec, run, score_table
from experiments.spec import default_spec, load_spec
from experiments.sweep import sweep
from sim.errors import ValidationError

app = typer.Typer(
    help="nanotomo: a digital twin of nanoscale X-ray and electron tomography.",
    rich_markup_mode=None,  # help texts carry units in brackets, e.g. [deg]; not markup
)


@app.command("run")
def run_command(
    spec_file: Annotated[Path | None, typer.Argument(
        metavar="[SPEC]", help="An experiment spec (.toml or .yaml); see --dump-spec. Replaces the options below.")] = None,
    dump_spec: Annotated[bool, typer.Option(
        "--dump-spec", help="Print the built-in default spec (a starting file) and exit.")] = False,
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
    if dump_spec:
        print(default_spec().to_toml(), end="")
        return
    console = Console(stderr=True, quiet=quiet)
    if spec_file is not None:
        given = {name: value for name, value in locals().items() if name in _RUN_OPTION_DEFAULTS
                 and value != _RUN_OPTION_DEFAULTS[name]}
        with _bad_input_exits():
            if given:
                raise ValidationError("options", sorted(given), "none besides --out and --quiet with a spec file "
                                      "(put them in the spec)")
            experiment = load_spec(spec_file)
            spec = experiment.to_run_spec()
            folder = out or Path(experiment.out or Path("nanotomo_runs") / f"{spec.phantom}-{datetime.now():%Y%m%d-%H%M%S}")
            result = run(spec, folder, console=console, progress=not quiet, metric_names=experiment.metrics)
        _print_run(result)
        return
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
    _print_run(result)


_RUN_OPTION_DEFAULTS = {
    "phantom": "battery_particle", "phantom_param": [], "instrument": "txm", "instrument_param": [], "dose": None,
    "views": None, "tilt_min": None, "tilt_max": None, "order": "sequential", "photons": None, "energy": None,
    "method": ["fbp", "sirt"], "sirt_iter": 40, "seed": 0,
}
"""The run options a spec file replaces, with their defaults (a spec plus any of them is an error)."""


def _print_run(result) -> None:
    Console().print(score_table(result))
    if result.acquisition_time_s:
        Console().print(acquisition_time_table(result.acquisition_time_s))
    Console().print(f"results in {result.out}")


@app.command("sweep")
def sweep_command(
    spec_file: Annotated[Path, typer.Argument(metavar="SPEC", help="An experiment spec with a [sweep] table.")],
    out: Annotated[Path | None, typer.Option(
        help="Results store [default: the spec's out, else nanotomo_sweeps/<spec name>]; an interrupted sweep "
             "resumes when run again with the same store.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a dask.distributed scheduler [default: a local cluster]; 'serial' runs in this process.")] = None,
    workers: Annotated[int | None, typer.Option(help="Workers of the local cluster [default: one per core].")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
):
    """Run every point of a spec's sweep on dask into a results store (resumable), and print the table."""
    console = Console(stderr=True, quiet=quiet)
    with _bad_input_exits():
        experiment = load_spec(spec_file)
        store = out or Path(experiment.out or Path("nanotomo_sweeps") / spec_file.stem)
        table = sweep(experiment, store, scheduler=scheduler, n_workers=workers, progress=not quiet, console=console)
    summary = table[table.metric != "time"].groupby([c for c in table.columns
                                                     if c not in ("point_id", "seed", "value")], dropna=False)
    print(summary["value"].agg(["mean", "std", "count"]).to_string())
    print(f"results in {store}")


@app.command("cluster")
def cluster_command(
    workers: Annotated[int | None, typer.Option(help="Worker processes [default: one per core].")] = None,
    memory_limit_gb: Annotated[float | None, typer.Option(
        help="Memory of each worker [GiB] [default: the machine's memory divided among the workers].")] = None,
    port: Annotated[int, typer.Option(help="The scheduler's port [default: 0, a free one].")] = 0,
):
    """Keep a local dask cluster set up for sweeps running, until Ctrl-C, and print its address.

    `nanotomo sweep SPEC --scheduler ADDRESS` then sends its points to these workers, which have already
    started and imported nanotomo: repeated sweeps skip that start-up (seconds per sweep).
    """
    import signal

    from distributed import Client

    from experiments.sweep import local_cluster, worker_ready

    with _bad_input_exits():
        if workers is not None and workers < 1:
            raise ValidationError("workers", workers, ">= 1")
        if memory_limit_gb is not None and memory_limit_gb <= 0:
            raise ValidationError("memory_limit_gb", memory_limit_gb, "> 0 GiB")
    memory = int(memory_limit_gb * 2**30) if memory_limit_gb else None
    for ending in (signal.SIGINT, signal.SIGTERM):  # close the cluster on either (even where SIGINT was ignored)
        signal.signal(ending, signal.default_int_handler)
    with local_cluster(workers or os.cpu_count() or 1, memory, port) as cluster, Client(cluster) as client:
        client.run(worker_ready)
        print(f"scheduler at {cluster.scheduler_address} ({len(client.scheduler_info()['workers'])} workers); "
              f"run: nanotomo sweep SPEC --scheduler {cluster.scheduler_address}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


@app.command("report")
def report_command(
    results: Annotated[Path, typer.Argument(
        metavar="RESULTS", help="A run folder (nanotomo run) or a sweep's results store (nanotomo sweep).")],
):
    """Rebuild the self-contained HTML report (figures embedded) of a run folder or a sweep's results store."""
    with _bad_input_exits():
        path = report(results)
    Console().print(f"report in {path}")


@app.command("plan")
def plan_command(
    diameter: Annotated[float, typer.Option(help="Particle diameter, or the lamella width to reconstruct [nm].")],
    thickness: Annotated[float, typer.Option(help="Thickness along the beam at 0 deg [nm].")],
    resolution: Annotated[float, typer.Option(help="Resolution wanted [nm].")],
    instrument: Annotated[str, typer.Option(help="Instrument preset or kind (see `nanotomo list`).")] = "stem-200kv-haadf",
    material: Annotated[list[str], typer.Option(
        help="Material NAME or NAME=VOLUME_FRACTION, repeatable; the most abundant is the matrix.")] = [],  # noqa: B006
    phantom: Annotated[str | None, typer.Option(help="A registered phantom instead of --material.")] = None,
    holder: Annotated[str | None, typer.Option(
        help="Holder: standard, high-tilt or on-axis [default: the instrument's; on-axis for X-rays].")] = None,
    dose: Annotated[float | None, typer.Option(
        help="Tolerable total electron dose [e/A^2] [default: the preset's].")] = None,
    photons: Annotated[float | None, typer.Option(
        help="X-rays: incident photons per pixel (of resolution/2) per view [default: the preset's].")] = None,
    geometry: Annotated[str, typer.Option(help="slab (lamella, plate) or particle (ellipse).")] = "slab",
    instrument_param: Annotated[list[str], typer.Option(
        help="Instrument parameter KEY=VALUE (JSON value), repeatable, e.g. energy_filter_slit_ev=20.")] = [],  # noqa: B006
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Check the plan with the twin: resolution vs views, dose and tilt range (PNG + JSON).")] = False,
    repeats: Annotated[int, typer.Option(help="Seeds per simulated point (--simulate).")] = 3,
    seed: Annotated[int, typer.Option(help="First seed of the simulated check.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for plan.json and the --simulate figure.")] = Path("nanotomo_plan"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON instead of a table.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress output.")] = False,
):
    """Plan a tomography experiment: views, tilt range, dose per view, resolution, time; exit 1 if impossible."""
    with _bad_input_exits():
        request = planner.PlanRequest(
            diameter_nm=diameter, thickness_nm=thickness, resolution_nm=resolution, instrument=instrument,
            materials=planner.parse_materials(material) if material else None, phantom=phantom, holder=holder,
            dose_total_e_per_a2=dose, photons_per_pixel=photons, geometry=geometry,
            instrument_params=_parse_params(instrument_param, "instrument_param"))
        result = planner.plan(request)
        check = planner.simulate(result, repeats=repeats, seed=seed, progress=not quiet) if simulate else None
        written = planner.write_plan(result, out, check)
    console = Console()
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        console.print(result.table())
        for reason in result.reasons:
            console.print(f"[red]impossible:[/red] {reason}")
        for note in result.notes:
            console.print(f"note: {note}")
        if check is not None:
            verdict = check.views_verdict()
            console.print(f"twin check: halving the views worsens the resolution by {verdict['halving_worsens_nm']:.3g} nm "
                          f"(measurable: {verdict['halving_measurable']}), doubling improves it by "
                          f"{verdict['doubling_improves_nm']:.3g} nm (measurable: {verdict['doubling_measurable']})")
        Console(stderr=True, quiet=quiet).print("wrote " + ", ".join(str(path) for path in written))
    if not result.feasible:
        raise typer.Exit(1)


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

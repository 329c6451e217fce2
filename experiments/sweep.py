"""Sweeps: every point of a spec's axes, run on dask, stored as it finishes, resumable.

A spec's ``[sweep]`` table names axes — any field path of the spec
(``"scan.dose_e_per_a2"``, ``"scan.tilt_max_deg"``, ``"scan.n_views"``,
``"scan.order"``, ``"instrument.params.energy_kev"``, ``"methods.tv.weight"``,
``"methods"`` for the set of methods, ``"seed"`` for repeats) with a list of
values each — combined as a grid (every combination) or a list (zipped).
Each point is a complete, validated spec (:func:`points`); its id is a hash
of that spec, so the same point always has the same id.

The results store is a folder:

- ``sweep.json``: the sweep's spec and axes. A store belongs to one sweep:
  starting a different sweep in it is an error, so two sweeps never mix or
  overwrite each other's points; starting the same sweep again resumes it.
- ``points/<id>.parquet``: the point's rows (tidy: ``point_id``, one column
  per axis, ``seed``, ``signal``, ``method``, ``metric``, ``value``,
  ``unit``) and ``points/<id>.h5``: its arrays (the central slice of the
  truth and of every reconstruction). Each file is written to a temporary
  name and renamed when complete (the Parquet file last), by the worker that
  computed it, as soon as it finishes: an interrupted sweep loses only the
  points still running, and a restarted one skips every finished point.
- ``table.parquet`` (and ``table.csv``): all the points' rows, in point order,
  written when the sweep ends, and ``report.html`` with the trade-off plots
  (``sweep_<metric>_vs_<axis>.png``, :mod:`experiments.report`).

:func:`sweep` runs the pending points on a dask.distributed cluster — a
local one with a worker per core by default, or an existing one at
``scheduler`` — or in this process (``scheduler="serial"``), with a progress
bar. Before launching it estimates each point's memory
(:func:`estimate_point_bytes`) and refuses points that cannot fit in a
worker's memory limit.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import dask
import h5py
import numpy as np
import pandas as pd
import psutil
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import metrics
import phantoms
from experiments.reconstruct import reconstruct
from experiments.report import write_sweep_report
from experiments.run import acquire, instrument_kind
from experiments.spec import ExperimentSpec, parse_spec
from sim.errors import ValidationError
from sim.io.atomic import atomic_write

PROCESS_OVERHEAD_BYTES = 400 * 2**20
"""A worker's Python, numpy, numba and dask before any array (measured ~350 MB)."""
WORKER_ENVIRONMENT = {"NUMBA_NUM_THREADS": 1, "OMP_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1, "MKL_NUM_THREADS": 1}
"""The local cluster's worker environment: a worker per core, each single-threaded (numba's parallel kernels
would otherwise start a thread per core in every worker: measured 2.2× slower on 2 cores). It replaces dask's
default, whose ``MALLOC_TRIM_THRESHOLD_`` fixes glibc's mmap threshold so that every array of a point is
mapped and zeroed afresh (measured 25 % slower per point). dask puts it into this process's environment to
spawn the workers; :func:`local_cluster` restores the environment afterwards."""
LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""dask settings of the local cluster. A sweep's tasks are few and long (seconds each), so the workers do
without dask's statistical profiler, which samples the computing thread's stack every 10 ms under the GIL
(a point ran 20–25 % slower with it, measured on 2 cores), and check their event loop, system load and
memory every second or five instead of every 20–500 ms (a further ~4 %)."""
COPIES_PER_VOLUME = 4
"""Volume-sized float32 arrays alive at once per method (truth, result, SIRT's work arrays)."""


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its id, its values on the axes and its complete spec."""

    point_id: str
    values: dict
    spec: ExperimentSpec


def _set_path(data: dict, path: str, value) -> None:
    keys = path.split(".")
    target = data
    for key in keys[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    if path == "methods" and isinstance(value, (list, tuple, str)):
        names = [value] if isinstance(value, str) else list(value)
        value = {name: dict(data.get("methods", {}).get(name, {})) for name in names}
    target[keys[-1]] = value


def points(spec: ExperimentSpec) -> list[Point]:
    """Every point of ``spec``'s sweep, each a validated spec without a ``[sweep]`` table.

    Examples
    --------
    >>> from experiments.spec import parse_spec
    >>> spec = parse_spec({"phantom": {"name": "nanoplate", "params": {"voxel_nm": 4.0}},
    ...                    "sweep": {"axes": {"scan.n_views": [11, 21], "seed": [0, 1]}}})
    >>> [p.values for p in points(spec)][:2]
    [{'scan.n_views': 11, 'seed': 0}, {'scan.n_views': 11, 'seed': 1}]
    """
    sweep = spec.sweep
    base = spec.model_dump(exclude_none=True)
    base.pop("sweep", None)
    base.pop("out", None)
    if sweep is None or not sweep.axes:
        combos = [{}]
    else:
        names = list(sweep.axes)
        if sweep.mode == "list":
            lengths = {len(values) for values in sweep.axes.values()}
            if len(lengths) != 1:
                raise ValidationError("sweep.axes", {k: len(v) for k, v in sweep.axes.items()},
                                      "lists of one length in a 'list' sweep")
            combos = [dict(zip(names, values)) for values in zip(*sweep.axes.values())]
        else:
            combos = [dict(zip(names, values)) for values in itertools.product(*sweep.axes.values())]
    result = []
    for combo in combos:
        data = json.loads(json.dumps(base))
        for path, value in combo.items():
            _set_path(data, path, value)
        try:
            point_spec = parse_spec(data, "sweep point")
        except ValidationError as error:
            axes = ", ".join(f"{k} = {v!r}" for k, v in combo.items())
            raise ValidationError(f"sweep.axes ({axes}): {error.field}", error.value, error.allowed) from None
        resolved = point_spec.resolved()
        key = json.dumps(resolved.model_dump(exclude_none=True), sort_keys=True, default=str)
        result.append(Point(hashlib.sha256(key.encode()).hexdigest()[:16], combo, resolved))
    return result


def estimate_point_bytes(spec: ExperimentSpec) -> int:
    """Peak memory of one point [bytes]: the phantom, the series and each method's volumes, plus the process.

    The phantom is built to learn its shape (its fractions are float32, one
    map per material); the series is ``n_views × rows × cols`` float32 (×3:
    counts, line integrals, a working copy).
    """
    run = spec.to_run_spec()
    phantom = phantoms.get(run.phantom, seed=run.seed, **run.phantom_params)
    voxels = int(np.prod(phantom.shape))
    n_rows, _, n_x = phantom.shape
    series = 3 * 4 * run.n_views * n_rows * n_x
    volumes = 4 * voxels * COPIES_PER_VOLUME * max(1, len(run.methods))
    return PROCESS_OVERHEAD_BYTES + 4 * voxels * (len(phantom.materials) + 2) + series + volumes


def run_point(point_id: str, values: dict, spec_data: dict, store: str) -> str:
    """Simulate, reconstruct and score one point; write its rows and arrays into ``store``; return its id.

    The Parquet file is renamed into place last: its presence marks the point done. The garbage
    collector is paused during the point (a point makes few reference cycles; the next pass after it
    collects them): in a dask worker, whose collector hooks time every pass, a point ran 20 % slower
    with it on (measured).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run_point(point_id, values, spec_data, store)
    finally:
        if collecting:
            gc.enable()


def _run_point(point_id: str, values: dict, spec_data: dict, store: str) -> str:
    spec = ExperimentSpec.model_validate(spec_data)
    run = spec.to_run_spec()
    folder = Path(store) / "points"
    phantom = phantoms.get(run.phantom, seed=run.seed, **run.phantom_params)
    quiet = Console(quiet=True)
    if instrument_kind(run.instrument) == "nanoprobe":
        data = run.instrument_config().acquire(phantom, run.scheme(), seed=run.seed, progress=False)
        signals = {**data.xrf, "transmission": data.transmission}
    else:
        _, series, _ = acquire(run, phantom, quiet, False)
        signals = {"series": series}
    rows, arrays = [], {}
    for signal, series in signals.items():
        truth = series.ground_truth
        arrays[f"{signal}/truth"] = truth.data[truth.shape[0] // 2]
        for method in run.methods:
            clock = time.perf_counter()
            volume = reconstruct(run, method, series, progress=False)
            seconds = time.perf_counter() - clock
            scores = metrics.score(volume, truth)
            arrays[f"{signal}/{method}"] = volume.data[volume.shape[0] // 2]
            for name in spec.metrics:
                rows.append({"signal": signal, "method": method, "metric": name, "value": float(scores[name].value),
                             "unit": scores[name].unit or "1"})
            rows.append({"signal": signal, "method": method, "metric": "time", "value": seconds, "unit": "s"})
    leading = {"point_id": point_id}
    leading.update({axis: json.dumps(value) if isinstance(value, (list, dict)) else value
                    for axis, value in values.items() if axis != "seed"})
    leading["seed"] = spec.seed
    table = pd.DataFrame([{**leading, **row} for row in rows])
    with atomic_write(folder / f"{point_id}.h5") as tmp, h5py.File(tmp, "w") as f:
        f.attrs["spec"] = spec.to_toml()
        f.attrs["voxel_nm"] = float(next(iter(signals.values())).pixel_nm)
        for name, array in arrays.items():
            f.create_dataset(name, data=np.asarray(array, dtype=np.float32))
    with atomic_write(folder / f"{point_id}.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    return point_id


def open_store(spec: ExperimentSpec, out) -> Path:
    """Create the results store ``out`` for ``spec``'s sweep, or check that it already belongs to it."""
    out = Path(out)
    record = {"axes": list(spec.sweep.axes) if spec.sweep else [],
              "spec": json.loads(json.dumps(spec.model_dump(exclude_none=True), default=str))}
    marker = out / "sweep.json"
    if marker.exists():
        existing = json.loads(marker.read_text())
        if existing.get("spec") != record["spec"]:
            raise ValidationError("out", str(out), "a new folder, or the folder of this same sweep (it holds the "
                                  "results of a different sweep, which must not be mixed or overwritten)")
        return out
    try:
        (out / "points").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValidationError("out", str(out), f"a folder that can be created ({error.strerror})") from None
    with atomic_write(marker) as tmp:
        tmp.write_text(json.dumps(record, indent=2))
    return out


def local_cluster(n_workers: int, memory_limit_bytes: int | None = None, scheduler_port: int = 0):
    """A local dask cluster of ``n_workers`` single-threaded worker processes set up for sweeps.

    Its workers have :data:`WORKER_ENVIRONMENT` and :data:`LOCAL_CLUSTER_CONFIG`, and ``memory_limit_bytes``
    each (default: dask's share of the machine's memory); its scheduler listens on ``scheduler_port`` (0: a
    free port). This process's environment is left as it was.

    Examples
    --------
    >>> from distributed import Client
    >>> with local_cluster(2) as cluster, Client(cluster) as client:  # doctest: +SKIP
    ...     sweep(spec, "results", scheduler=cluster.scheduler_address)
    """
    from distributed import LocalCluster

    saved = dict(os.environ)
    try:
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                memory_limit=memory_limit_bytes or "auto", scheduler_port=scheduler_port,
                                dashboard_address=None, silence_logs=40)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def worker_ready() -> int:
    """This process's id. Run in a dask worker (``client.run(worker_ready)``), it makes the worker import the
    modules a point needs (this one's), so that a kept cluster's first sweep does not wait for them."""
    return os.getpid()


def _client(scheduler, n_workers, memory_limit):
    """A dask client: an existing scheduler's (and its smallest worker memory limit), or a local cluster's."""
    from distributed import Client

    if scheduler:
        client = Client(scheduler)
        limits = [w["memory_limit"] for w in client.scheduler_info()["workers"].values() if w.get("memory_limit")]
        return client, (min(limits) if limits else None), None
    cluster = local_cluster(n_workers, memory_limit)
    return Client(cluster), memory_limit, cluster


def sweep(spec: ExperimentSpec, out, *, scheduler: str | None = None, n_workers: int | None = None,
          memory_limit_bytes: int | None = None, progress: bool = True, console: Console | None = None,
          report: bool = True) -> pd.DataFrame:
    """Run every pending point of ``spec``'s sweep into the store ``out``; return the whole table.

    Parameters
    ----------
    spec : ExperimentSpec
        A spec with a ``[sweep]`` table (or none: a single point).
    out : path
        The results store (module docstring).
    scheduler : str, optional
        ``None``: a local dask cluster with ``n_workers`` single-threaded
        worker processes (default one per core); ``"serial"``: in this
        process; otherwise the address of a dask.distributed scheduler.
    n_workers : int, optional
        Workers of the local cluster.
    memory_limit_bytes : int, optional
        Memory of a worker [bytes] (default: the machine's memory divided
        among the local workers; an existing cluster's own limits).
    progress : bool
        Show a progress bar.
    report : bool
        Write the store's ``report.html`` at the end.

    Raises
    ------
    ValidationError
        A point whose memory estimate exceeds a worker's limit (before
        anything runs or is written), an axis value its field does not
        allow, or a store that holds a different sweep.
    """
    console = console or Console(stderr=True, quiet=not progress)
    all_points = points(spec)
    workers = n_workers or os.cpu_count() or 1
    limit = memory_limit_bytes or psutil.virtual_memory().total // (1 if scheduler == "serial" else workers)
    store_path = Path(out)
    done = {p.stem for p in (store_path / "points").glob("*.parquet")} if store_path.is_dir() else set()
    pending = [p for p in all_points if p.point_id not in done]
    client = cluster = None
    try:
        if pending and scheduler not in (None, "serial"):
            client, remote_limit, _ = _client(scheduler, workers, None)
            limit = memory_limit_bytes or remote_limit
        _check_memory(pending, limit)
        store = open_store(spec, store_path)
        console.log(f"sweep: {len(all_points)} points, {len(all_points) - len(pending)} already in {store}, "
                    f"{len(pending)} to run")
        if pending and scheduler is None:
            console.log(f"starting a local dask cluster of {workers} workers (a few seconds; `nanotomo cluster` "
                        "keeps one for repeated sweeps)")
            client, _, cluster = _client(None, workers, limit)
        if pending:
            _run_pending(pending, store, client, progress)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    table = _assemble(all_points, store)
    if report:
        write_sweep_report(store)
    return table


def _check_memory(pending: list[Point], limit: int | None) -> None:
    """Refuse the sweep if a point's estimate exceeds ``limit`` [bytes] (one estimate per phantom, views, methods)."""
    if limit is None:
        return
    estimates = {}
    for point in pending:
        key = json.dumps([point.spec.phantom.model_dump(), point.spec.scan.n_views, list(point.spec.methods)],
                         sort_keys=True, default=str)
        if key not in estimates:
            estimates[key] = estimate_point_bytes(point.spec)
        if estimates[key] > limit:
            raise ValidationError(f"sweep point {point.values}", f"~{estimates[key] / 2**30:.2f} GiB",
                                  f"<= a worker's memory limit {limit / 2**30:.2f} GiB: use fewer workers, a "
                                  "smaller phantom or fewer views")


def _run_pending(pending: list[Point], store: Path, client, progress: bool) -> None:
    columns = [TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("sweep", total=len(pending))
        if client is None:
            for point in pending:
                run_point(point.point_id, point.values, point.spec.model_dump(exclude_none=True), str(store))
                bar.advance(task)
            return
        from distributed import as_completed

        futures = [client.submit(run_point, p.point_id, p.values, p.spec.model_dump(exclude_none=True), str(store),
                                 key=f"point-{p.point_id}", pure=False) for p in pending]
        for future in as_completed(futures):
            future.result()
            bar.advance(task)


def _assemble(all_points: list[Point], store: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(store / "points" / f"{p.point_id}.parquet") for p in all_points]
    table = pd.concat(frames, ignore_index=True)
    with atomic_write(store / "table.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_write(store / "table.csv") as tmp:
        table.to_csv(tmp, index=False)
    return table


def load_table(store) -> pd.DataFrame:
    """The table of a finished sweep's results store."""
    path = Path(store) / "table.parquet"
    if not path.is_file():
        raise ValidationError("results", str(store), "a sweep's results store (a folder with table.parquet)")
    return pd.read_parquet(path)

"""Sweep throughput: a 64-point sweep of small series on the local dask cluster against serial, in one run.

The sweep (``experiments.sweep``): HAADF-STEM series of the Kirkendall
nanoparticle (2.5 nm voxels, 64³), 61 views, 4 doses × 4 tilt ranges × 4
seeds = 64 points, each simulated, reconstructed (SIRT, 80 iterations) and
scored, its rows and arrays written to the results store. Timed, in one run:

- **serial**: every point, one after another, in this process
  (``scheduler="serial"``);
- **dask**: the same points on a local cluster
  (:func:`experiments.sweep.local_cluster`, one worker process per core)
  whose workers have run a point first (imports and numba cache loaded,
  like the serial contender); the cluster's start-up and warm-up are
  reported apart;
- **dask from cold**: the sweep starting its own cluster, its start-up,
  the workers' imports and their numba cache loading included.

Serial and warm-cluster runs alternate ``--repeats`` times and the best of
each is compared (this machine's hypervisor steals CPU at random; the best
run is the least disturbed one): the throughput ratio, points per second
of the cluster over serial, is the figure the target (issue 8: at least
1.8× on 2 cores) is set for. Every point runs single-threaded in both
(``NUMBA_NUM_THREADS=1`` here, as in the cluster's workers), so the ratio
is the sweep's parallelism and not numba's; every run writes to a fresh
store, and all the tables must agree (apart from the timing rows). The
report (``report.html``) is written once afterwards and timed apart: it
is the same for both. The per-point overhead of the store is the time to
write one point's Parquet and HDF5 files (atomically), timed on the files
of a real point, against the point's compute time.

Usage::

    python benchmarks/bench_sweep.py                  # ~4 min on 2 cores
    python benchmarks/bench_sweep.py --repeats 1 --log /tmp/sweep.json
"""

from __future__ import annotations

import os

os.environ["NUMBA_NUM_THREADS"] = "1"  # before numba is imported: serial points single-threaded, as in the workers

import argparse  # noqa: E402  (after NUMBA_NUM_THREADS)
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from machine import cpu_model, cpu_snapshot, log, other_load
from experiments.report import write_sweep_report
from experiments.spec import parse_spec
from experiments.sweep import local_cluster, points, run_point, sweep
from sim.io.atomic import atomic_write

SPEC = {
    "seed": 0,
    "metrics": ["rmse", "ssim", "fsc_resolution"],
    "phantom": {"name": "kirkendall_nanoparticle", "params": {"voxel_nm": 2.5}},
    "instrument": {"name": "stem-200kv-haadf"},
    "scan": {"n_views": 61},
    "methods": {"sirt": {"n_iter": 80}},
    "sweep": {"axes": {"scan.dose_e_per_a2": [30.0, 100.0, 300.0, 1000.0],
                       "scan.tilt_max_deg": [45.0, 55.0, 62.0, 70.0], "seed": [0, 1, 2, 3]}},
}
STORE_REPEATS = 20


def timed_sweep(spec, store: Path, **options) -> tuple[float, float, pd.DataFrame]:
    """(wall [s], other processes' load [cores], table) of one sweep into a fresh store."""
    start = cpu_snapshot()
    clock = time.perf_counter()
    table = sweep(spec, store, progress=False, report=False, **options)
    return time.perf_counter() - clock, other_load(start, cpu_snapshot()), table


def warm_cluster_sweep(spec, store: Path, n_workers: int, warm) -> tuple[float, float, float, pd.DataFrame]:
    """(start-up and warm-up [s], sweep wall [s], load, table) on a local cluster whose workers ran a point first.

    The serial contender is warm (imports done, numba kernels loaded from the cache) when it is timed; this
    gives the workers the same start.
    """
    from distributed import Client

    clock = time.perf_counter()
    with local_cluster(n_workers) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        scratch = tempfile.mkdtemp()
        (Path(scratch) / "points").mkdir()
        client.run(run_point, warm.point_id, warm.values, warm.spec.model_dump(exclude_none=True), scratch)
        startup_s = time.perf_counter() - clock
        seconds, load, table = timed_sweep(spec, store, scheduler=cluster.scheduler_address)
    shutil.rmtree(scratch)
    return startup_s, seconds, load, table


def store_overhead(store: Path, point_id: str) -> float:
    """Seconds to write one point's Parquet and HDF5 files atomically (median of repeats)."""
    table = pd.read_parquet(store / "points" / f"{point_id}.parquet")
    with h5py.File(store / "points" / f"{point_id}.h5") as f:
        arrays = {}
        f.visititems(lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
        attrs = dict(f.attrs)
    target = Path(tempfile.mkdtemp())
    times = []
    for k in range(STORE_REPEATS):
        clock = time.perf_counter()
        with atomic_write(target / f"{k}.h5") as tmp, h5py.File(tmp, "w") as f:
            f.attrs.update(attrs)
            for name, array in arrays.items():
                f.create_dataset(name, data=array)
        with atomic_write(target / f"{k}.parquet") as tmp:
            table.to_parquet(tmp, index=False)
        times.append(time.perf_counter() - clock)
    shutil.rmtree(target)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="local cluster workers [default: cores]")
    parser.add_argument("--repeats", type=int, default=3, help="alternating serial / warm-cluster runs [default: 3]")
    parser.add_argument("--log", type=Path, default=Path("bench_sweep.json"), help="JSON log of every number")
    args = parser.parse_args()
    spec = parse_spec(SPEC)
    every = points(spec)
    root = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    log(f"{len(every)} points; warm-up (numba cache) ...")
    warm = every[0]
    clock = time.perf_counter()
    (root / "warm" / "points").mkdir(parents=True)
    run_point(warm.point_id, warm.values, warm.spec.model_dump(exclude_none=True), str(root / "warm"))
    first_point_s = time.perf_counter() - clock
    serial_runs, warm_runs, tables = [], [], []
    for k in range(args.repeats):
        log(f"run {k + 1}/{args.repeats}: serial ...")
        seconds, load, table = timed_sweep(spec, root / f"serial{k}", scheduler="serial")
        serial_runs.append({"s": seconds, "load": load})
        tables.append(table)
        log(f"run {k + 1}/{args.repeats}: dask, {args.workers} warm workers ...")
        startup_s, seconds, load, table = warm_cluster_sweep(spec, root / f"dask{k}", args.workers, warm)
        warm_runs.append({"s": seconds, "load": load, "startup_and_warmup_s": startup_s})
        tables.append(table)
    log(f"dask, {args.workers} workers from cold (sweep's own cluster) ...")
    cold_s, cold_load, cold = timed_sweep(spec, root / "cold", n_workers=args.workers)
    tables.append(cold)
    clock = time.perf_counter()
    write_sweep_report(root / "serial0")
    report_s = time.perf_counter() - clock
    reference = tables[0][tables[0].metric != "time"].reset_index(drop=True)
    agree = all(reference.equals(other[other.metric != "time"].reset_index(drop=True)) for other in tables[1:])
    serial_s = min(run["s"] for run in serial_runs)
    dask_s = min(run["s"] for run in warm_runs)
    point_s = serial_s / len(every)
    overhead_s = store_overhead(root / "serial0", every[0].point_id)
    shutil.rmtree(root)
    result = {"machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
              "points": len(every), "workers": args.workers, "serial_runs": serial_runs, "warm_runs": warm_runs,
              "serial_s": serial_s, "dask_s": dask_s, "speedup": serial_s / dask_s, "cold_s": cold_s,
              "speedup_cold": serial_s / cold_s, "load_cold": cold_load, "tables_agree": bool(agree),
              "serial_point_s": point_s, "first_point_s": first_point_s, "store_write_s": overhead_s,
              "store_fraction": overhead_s / point_s, "report_s": report_s}
    args.log.write_text(json.dumps(result, indent=2))
    print(f"# machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; load = cores taken by other "
          "processes (not this one's workers) while timed")
    print(f"# {len(every)} points: STEM series of kirkendall_nanoparticle (64³, 61 views), SIRT 80 iterations, "
          "scored; every point single-threaded")
    print()
    print(f"| {'item':46s} | {'time [s]':>9s} | {'points/s':>8s} | {'load':>5s} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 10}|{'-' * 7}|")
    for k, (serial_run, warm_run) in enumerate(zip(serial_runs, warm_runs), start=1):
        print(f"| {f'run {k}: serial (this process)':46s} | {serial_run['s']:9.2f} | "
              f"{len(every) / serial_run['s']:8.2f} | {serial_run['load']:5.2f} |")
        print(f"| {f'run {k}: dask local cluster, {args.workers} warm workers':46s} | {warm_run['s']:9.2f} | "
              f"{len(every) / warm_run['s']:8.2f} | {warm_run['load']:5.2f} |")
        print(f"| {'  (its start-up and warm-up, before)':46s} | {warm_run['startup_and_warmup_s']:9.2f} | "
              f"{'':>8s} | {'':>5s} |")
    print(f"| {'dask from cold (new cluster, imports, cache)':46s} | {cold_s:9.2f} | "
          f"{len(every) / cold_s:8.2f} | {cold_load:5.2f} |")
    print()
    verdict = "met" if result["speedup"] >= 1.8 else "not met"
    print(f"throughput, best of {args.repeats}: serial {len(every) / serial_s:.2f} points/s, dask "
          f"{len(every) / dask_s:.2f} points/s: {result['speedup']:.2f}× (target ≥ 1.8× on 2 cores: {verdict}); "
          f"from cold, start-up included: {result['speedup_cold']:.2f}×; tables agree: {agree}")
    print(f"results store: {1e3 * overhead_s:.1f} ms to write a point's Parquet + HDF5, "
          f"{100 * result['store_fraction']:.2f} % of a point's {point_s:.2f} s; the report: {report_s:.1f} s once")


if __name__ == "__main__":
    main()

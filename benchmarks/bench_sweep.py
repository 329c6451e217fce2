"""Sweep throughput: a 64-point sweep of small series on the local dask cluster against serial, in one run.

The sweep (``experiments.sweep``): HAADF-STEM series of the Kirkendall
nanoparticle (4 nm voxels, 40³), 4 doses × 4 tilt ranges × 4 seeds = 64
points, each simulated, reconstructed (SIRT, 60 iterations) and scored, its
rows and arrays written to the results store. Timed, in one run:

- **serial**: every point in this process (``scheduler="serial"``);
- **dask**: the same points on a local cluster of one single-threaded
  worker process per core, cluster start-up included (and reported apart).

Both start from a warm numba cache (a first point runs before timing) and
write to fresh stores; both tables must agree (apart from the timing rows).
The target (issue 8) is a speed-up of at least 1.8× on 2 cores. The
per-point overhead of the store is the time to write one point's Parquet
and HDF5 files (atomically), timed on the files of a real point, against the
point's compute time.

Usage::

    python benchmarks/bench_sweep.py                  # ~3 min on 2 cores
    python benchmarks/bench_sweep.py --log /tmp/sweep.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from machine import cpu_model, cpu_snapshot, log, other_load
from experiments.spec import parse_spec
from experiments.sweep import points, run_point, sweep
from sim.io.atomic import atomic_write

SPEC = {
    "seed": 0,
    "metrics": ["rmse", "ssim", "fsc_resolution"],
    "phantom": {"name": "kirkendall_nanoparticle", "params": {"voxel_nm": 4.0}},
    "instrument": {"name": "stem-200kv-haadf"},
    "scan": {"n_views": 31},
    "methods": {"sirt": {"n_iter": 60}},
    "sweep": {"axes": {"scan.dose_e_per_a2": [30.0, 100.0, 300.0, 1000.0],
                       "scan.tilt_max_deg": [45.0, 55.0, 62.0, 70.0], "seed": [0, 1, 2, 3]}},
}
STORE_REPEATS = 20


def timed_sweep(spec, store: Path, **options) -> tuple[float, float, pd.DataFrame]:
    """(wall [s], other processes' load [cores], table) of one sweep into a fresh store."""
    start = cpu_snapshot()
    clock = time.perf_counter()
    table = sweep(spec, store, progress=False, **options)
    return time.perf_counter() - clock, other_load(start, cpu_snapshot()), table


def cluster_startup(n_workers: int) -> float:
    """Seconds to start and stop a local cluster of ``n_workers`` processes."""
    from distributed import Client, LocalCluster

    clock = time.perf_counter()
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        elapsed = time.perf_counter() - clock
    return elapsed


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
    log("serial ...")
    serial_s, serial_load, serial = timed_sweep(spec, root / "serial", scheduler="serial")
    log(f"dask, {args.workers} workers ...")
    dask_s, dask_load, parallel = timed_sweep(spec, root / "dask", n_workers=args.workers)
    startup_s = cluster_startup(args.workers)
    agree = serial[serial.metric != "time"].reset_index(drop=True).equals(
        parallel[parallel.metric != "time"].reset_index(drop=True))
    point_s = serial_s / len(every)
    overhead_s = store_overhead(root / "serial", every[0].point_id)
    shutil.rmtree(root)
    result = {"machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
              "points": len(every), "workers": args.workers, "serial_s": serial_s, "dask_s": dask_s,
              "speedup": serial_s / dask_s, "cluster_startup_s": startup_s,
              "speedup_without_startup": serial_s / max(dask_s - startup_s, 1e-9), "load_serial": serial_load,
              "load_dask": dask_load, "tables_agree": bool(agree), "serial_point_s": point_s,
              "first_point_s": first_point_s, "store_write_s": overhead_s, "store_fraction": overhead_s / point_s}
    args.log.write_text(json.dumps(result, indent=2))
    print(f"# machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; load = cores taken by other "
          "processes while timed")
    print(f"# {len(every)} points: STEM series of kirkendall_nanoparticle (40³), SIRT 60 iterations, scored")
    print()
    print(f"| {'item':44s} | {'time [s]':>9s} | {'points/s':>8s} | {'load':>5s} |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 10}|{'-' * 7}|")
    print(f"| {'serial (this process)':44s} | {serial_s:9.2f} | {len(every) / serial_s:8.2f} | {serial_load:5.2f} |")
    print(f"| {f'dask local cluster, {args.workers} workers (with start-up)':44s} | {dask_s:9.2f} | "
          f"{len(every) / dask_s:8.2f} | {dask_load:5.2f} |")
    print(f"| {'  of which cluster start-up':44s} | {startup_s:9.2f} | {'':>8s} | {'':>5s} |")
    print()
    verdict = "met" if result["speedup"] >= 1.8 else "not met"
    print(f"speed-up {result['speedup']:.2f}× with start-up ({result['speedup_without_startup']:.2f}× without); "
          f"target ≥ 1.8× on 2 cores: {verdict}; tables agree: {agree}")
    print(f"results store: {1e3 * overhead_s:.1f} ms to write a point's Parquet + HDF5, "
          f"{100 * result['store_fraction']:.2f} % of a point's {point_s:.2f} s")


if __name__ == "__main__":
    main()

"""Sweep throughput: a 64-point sweep of small series on the local dask cluster against serial, in one run.

The sweep (``experiments.sweep``): HAADF-STEM series of the Kirkendall
nanoparticle (2.5 nm voxels, 64³), 61 views, 4 doses × 4 tilt ranges × 4
seeds = 64 points, each simulated, reconstructed (SIRT, 80 iterations) and
scored, its rows and arrays written to a results store. Every point runs
single-threaded in every contender (``NUMBA_NUM_THREADS=1`` here, as in
the cluster's workers), so the ratio is the sweep's parallelism and not
numba's, and all start warm (imports done, numba kernels loaded: a first
point runs in this process and in every worker before any timing).

1. **Throughput** (the figure issue 8 sets a target for: at least 1.8× on
   2 cores): the 64 points go through :func:`experiments.sweep.run_point`
   in blocks of ``--block`` points (32), each block serially in this
   process, on a plain process pool and on the local cluster
   (:func:`experiments.sweep.local_cluster`), one worker process per core
   in both, the order reversed every block. The machine this was written
   on is a shared VM whose speed wanders by ±30 % within seconds (a steady
   loop's 2-s means ran 24–51 ms), and whose two cores together do from
   1.3× to 1.9× the work of one, hour by hour (two plain processes side
   by side); blocks taken in turn give the contenders the same spells,
   where runs one after the other do not (whole sweeps, below, have come
   out at 1.4× and at 2.4×). The process pool, with no scheduler at all,
   measures what the machine could give at that moment; the cluster's
   share of it is printed beside the ratio to serial.
2. **Whole sweeps** (:func:`experiments.sweep.sweep`, every point, into a
   fresh store): serial, on the same warm cluster (``--scheduler``, as
   with ``nanotomo cluster``), and from cold (the sweep starting its own
   cluster: start-up, the workers' imports and numba cache loading
   included). Their tables must agree (apart from the timing rows).

The report (``report.html``) is written once afterwards and timed apart:
it is the same for all. The per-point overhead of the store is the time
to write one point's Parquet and HDF5 files (atomically), timed on the
files of a real point, against the point's compute time.

Usage::

    python benchmarks/bench_sweep.py                  # ~5 min on 2 cores
    python benchmarks/bench_sweep.py --block 16 --log /tmp/sweep.json
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
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
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


CONTENDERS = ("serial", "pool", "dask")


def interleaved_throughput(every, root: Path, client, pool, block: int) -> dict:
    """Seconds (and loads) of each contender for ``every`` point, in blocks of ``block`` points taken in turn.

    Contenders: ``serial`` (this process), ``pool`` (a plain process pool, the machine's parallel capacity
    at that moment) and ``dask`` (the cluster behind ``client``); the order is reversed every block.
    Returns ``<contender>_s``, ``load_<contender>`` and each block's times.
    """
    seconds = {name: [] for name in CONTENDERS}
    loads = dict.fromkeys(CONTENDERS, 0.0)
    for name in CONTENDERS:
        (root / name / "points").mkdir(parents=True)
    for k, start in enumerate(range(0, len(every), block)):
        chunk = [(p.point_id, p.values, p.spec.model_dump(exclude_none=True)) for p in every[start:start + block]]
        for name in (CONTENDERS if k % 2 == 0 else CONTENDERS[::-1]):
            store = str(root / name)
            snapshot = cpu_snapshot()
            clock = time.perf_counter()
            if name == "serial":
                for args in chunk:
                    run_point(*args, store)
            elif name == "pool":
                for future in [pool.submit(run_point, *args, store) for args in chunk]:
                    future.result()
            else:
                client.gather([client.submit(run_point, *args, store, pure=False) for args in chunk])
            seconds[name].append(time.perf_counter() - clock)
            loads[name] += other_load(snapshot, cpu_snapshot()) * seconds[name][-1]
    result = {f"{name}_s": sum(seconds[name]) for name in CONTENDERS}
    result.update({f"load_{name}": loads[name] / result[f"{name}_s"] for name in CONTENDERS})
    result["block_s"] = seconds
    return result


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
    from distributed import Client

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="local cluster workers [default: cores]")
    parser.add_argument("--block", type=int, default=32, help="points per alternated block [default: 32]")
    parser.add_argument("--log", type=Path, default=Path("bench_sweep.json"), help="JSON log of every number")
    args = parser.parse_args()
    spec = parse_spec(SPEC)
    every = points(spec)
    root = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    log(f"{len(every)} points; warm-up (numba cache) ...")
    warm = (every[0].point_id, every[0].values, every[0].spec.model_dump(exclude_none=True), str(root / "warm"))
    (root / "warm" / "points").mkdir(parents=True)
    clock = time.perf_counter()
    run_point(*warm)
    first_point_s = time.perf_counter() - clock
    log(f"local cluster and process pool of {args.workers} workers, warmed by a point each ...")
    clock = time.perf_counter()
    with local_cluster(args.workers) as cluster, Client(cluster) as client, \
            ProcessPoolExecutor(args.workers, mp_context=get_context("spawn"), initializer=run_point,
                                initargs=warm) as pool:
        client.wait_for_workers(args.workers)
        client.run(run_point, *warm)
        startup_s = time.perf_counter() - clock
        for future in [pool.submit(os.getpid) for _ in range(args.workers)]:
            future.result()
        log(f"throughput: blocks of {args.block} points, serial, process pool and cluster in turn ...")
        blocks = interleaved_throughput(every, root / "blocks", client, pool, args.block)
        log("whole sweeps: serial, then on the warm cluster ...")
        sweep_serial_s, sweep_serial_load, serial = timed_sweep(spec, root / "serial", scheduler="serial")
        sweep_warm_s, sweep_warm_load, warm_table = timed_sweep(spec, root / "warm_cluster",
                                                                scheduler=cluster.scheduler_address)
    log("whole sweep from cold (its own new cluster) ...")
    cold_s, cold_load, cold = timed_sweep(spec, root / "cold", n_workers=args.workers)
    clock = time.perf_counter()
    write_sweep_report(root / "serial")
    report_s = time.perf_counter() - clock
    reference = serial[serial.metric != "time"].reset_index(drop=True)
    agree = all(reference.equals(other[other.metric != "time"].reset_index(drop=True)) for other in (warm_table, cold))
    serial_s, pool_s, dask_s = blocks["serial_s"], blocks["pool_s"], blocks["dask_s"]
    ratios = [a / b for a, b in zip(blocks["block_s"]["serial"], blocks["block_s"]["dask"])]
    point_s = serial_s / len(every)
    overhead_s = store_overhead(root / "serial", every[0].point_id)
    shutil.rmtree(root)
    n = len(every)
    result = {"machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
              "points": n, "workers": args.workers, "block": args.block, **blocks, "speedup": serial_s / dask_s,
              "speedup_pool": serial_s / pool_s, "dask_of_pool": pool_s / dask_s,
              "cluster_startup_and_warmup_s": startup_s, "sweep_serial_s": sweep_serial_s,
              "sweep_warm_cluster_s": sweep_warm_s, "speedup_sweep_warm": sweep_serial_s / sweep_warm_s,
              "sweep_cold_s": cold_s, "speedup_sweep_cold": sweep_serial_s / cold_s,
              "load_sweep_serial": sweep_serial_load, "load_sweep_warm": sweep_warm_load, "load_sweep_cold": cold_load,
              "tables_agree": bool(agree), "serial_point_s": point_s, "first_point_s": first_point_s,
              "store_write_s": overhead_s, "store_fraction": overhead_s / point_s, "report_s": report_s}
    args.log.write_text(json.dumps(result, indent=2))
    print(f"# machine: {result['machine']['cpu']}, {result['machine']['cores']} cores; load = cores taken by other "
          "processes (not this one's workers) while timed")
    print(f"# {n} points: STEM series of kirkendall_nanoparticle (64³, 61 views), SIRT 80 iterations, "
          "scored; every point single-threaded")
    print()
    rows = [(f"points in blocks of {args.block}, in turn: serial", serial_s, blocks["load_serial"]),
            (f"  plain process pool, {args.workers} warm processes", pool_s, blocks["load_pool"]),
            (f"  dask local cluster, {args.workers} warm workers", dask_s, blocks["load_dask"]),
            ("whole sweep: serial (this process)", sweep_serial_s, sweep_serial_load),
            ("  on the warm cluster (--scheduler)", sweep_warm_s, sweep_warm_load),
            ("  from cold (new cluster, imports, cache)", cold_s, cold_load)]
    print(f"| {'item':48s} | {'time [s]':>9s} | {'points/s':>8s} | {'load':>5s} |")
    print(f"|{'-' * 50}|{'-' * 11}|{'-' * 10}|{'-' * 7}|")
    for name, seconds, load in rows:
        print(f"| {name:48s} | {seconds:9.2f} | {n / seconds:8.2f} | {load:5.2f} |")
    print(f"| {'(start-up and warm-up of the cluster)':48s} | {startup_s:9.2f} | {'':>8s} | {'':>5s} |")
    print()
    verdict = "met" if result["speedup"] >= 1.8 else "not met"
    print(f"throughput: {result['speedup']:.2f}× serial on {args.workers} workers (target ≥ 1.8× on 2 cores: "
          f"{verdict}; block by block {min(ratios):.2f}–{max(ratios):.2f}×); the machine's parallel capacity "
          f"meanwhile (a plain process pool): {result['speedup_pool']:.2f}×, of which dask reaches "
          f"{100 * result['dask_of_pool']:.0f} %")
    print(f"whole sweeps: {result['speedup_sweep_warm']:.2f}× on the warm cluster, "
          f"{result['speedup_sweep_cold']:.2f}× from cold; tables agree: {agree}")
    print(f"results store: {1e3 * overhead_s:.1f} ms to write a point's Parquet + HDF5, "
          f"{100 * result['store_fraction']:.2f} % of a point's {point_s:.2f} s; the report: {report_s:.1f} s once")


if __name__ == "__main__":
    main()

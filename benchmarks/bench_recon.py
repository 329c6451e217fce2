"""Reconstruction speed and quality: nanotomo's fbp/sirt against ASTRA's CPU path, and tv against svmbir's MBIR.

Part A, speed at equal or lower error. The 3-D modified Shepp-Logan phantom
(``phantoms.get("shepp_logan_3d")``, water, μ at 20 keV, 1 nm voxels) on a
``size``³ grid, projected noise-free with ``sim.project`` at ``views`` angles
spread evenly over [0°, 180°) (no duplicate 180° view, so ASTRA's FBP weight
π/n_views is exact). Contenders:

- nanotomo ``fbp`` (ramp filter) and ``sirt`` (``--sirt-iter`` iterations,
  positivity), numba on all cores;
- ASTRA's CPU 2-D ``FBP`` (ram-lak) and ``SIRT`` (same iterations,
  ``MinConstraint`` 0), through nanotomo's ``astra-fbp`` / ``astra-sirt``
  adapters, one slice (row) at a time, slice-parallel: on a few slices each
  is timed on 1 thread, in a pool of threads and in a pool of processes that
  read and write shared memory (``/dev/shm``; copying in and out is not
  timed); the faster pool is used, as in ``bench_projector.py``. ASTRA's SIRT
  costs the same for every slice, so it is timed on ``--astra-sirt-rows``
  central slices and its time scaled to the volume (its RMSE, and
  nanotomo's in a separate row, are over those slices).

Each result's RMSE against the truth [1/nm] is reported; the target is
nanotomo ≥ 3× faster than ASTRA for both FBP and SIRT at equal (within 1 %)
or lower RMSE.
A breakdown times nanotomo's pieces (one ``sim.project``, one
``sim.backproject``, the ramp filter) to say where the time goes.

Part B, quality for time against svmbir. A ``--mbir-rows``-row slab of the
``--mbir-size``² Shepp-Logan phantom, scaled so that its thickest chord has a
line integral of 1, measured as Poisson counts with ``--counts`` incident
photons per pixel and view, then ``−log(counts / counts₀)``. svmbir's MBIR
(``svmbir-mbir``: qGGMRF, svmbir's defaults: sharpness 0, snr 30 dB, p = 1.2,
q = 2, T = 1, stop threshold 0.02 %, at most 100 iterations) runs to its
default convergence, unweighted and with transmission weights; its time and
RMSE against the truth are recorded. nanotomo's ``tv`` then runs with a
callback recording (time, RMSE) after each iteration, for the weights
``TV_WEIGHTS`` (a log grid below its noise-balanced default 1), for 3× svmbir's
time; the report gives the time at which ``tv`` first reaches svmbir's RMSE
with the best weight, and how much of it is ``tv``'s set-up. The target: no
later than svmbir's time.

Compile time (numba), svmbir's system matrix (cached on disk by svmbir), ASTRA
objects and worker start-up are kept out of every timing by warm-ups. Timings
are medians of ``--repeats`` runs except the long SIRT runs (one each at 256³).

Usage::

    python benchmarks/bench_recon.py                         # 256³, 181 views (~10 min on 2 cores)
    python benchmarks/bench_recon.py --size 128              # ~5 min
    python benchmarks/bench_recon.py --skip-svmbir --size 64 # quick check

Progress goes to stderr, the result tables to stdout. Needs the ``peers``
extra (ASTRA, svmbir): ``pip install ".[peers]"``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_projector import N_WORKERS  # noqa: E402
from machine import cpu_snapshot, log, other_load, shared_array  # noqa: E402

ENERGY_KEV = 20.0
CHECK_ROWS = 2 * N_WORKERS  # slices timed on 1 thread / a thread pool / a process pool to choose the pool
EQUAL_ERROR = 1.01  # RMSEs within 1 % count as equal
TV_WEIGHTS = (0.03, 0.1, 0.3, 1.0)  # a log grid around tv's noise-balanced default 1
TV_TIME_BUDGET = 3.0  # tv runs for this many times svmbir's (slowest) time, at most TV_MAX_ITER iterations
TV_MAX_ITER = 600


# ---------------------------------------------------------------------------
# ASTRA, slice-parallel through nanotomo's adapters
# ---------------------------------------------------------------------------


def astra_rows(task) -> None:
    """Worker: rows ``r0 … r1 − 1`` of the sinogram through an ASTRA adapter into the volume."""
    import recon
    import recon.peers  # noqa: F401
    import sim

    method, params, src_spec, dst_spec, r0, r1, angles, pixel_nm = task
    src, dst = shared_array(src_spec), shared_array(dst_spec)
    chunk = sim.TiltSeries(np.ascontiguousarray(src[:, r0:r1]), angles_deg=angles, pixel_nm=pixel_nm,
                           values="line integral", unit="1")
    dst[r0:r1] = recon.get(method)(chunk, shape=(r1 - r0, *dst.shape[1:]), progress=False, **params).data


def _worker_init() -> None:
    import astra  # noqa: F401

    import recon.peers  # noqa: F401


class SlicePool:
    """Runs an ASTRA adapter over all rows with ``workers`` threads or processes."""

    def __init__(self, kind: str, workers: int, shm_dir: str | None = None):
        self.kind, self.workers, self.shm_dir = kind, workers, shm_dir
        if kind == "thread":
            self.executor = ThreadPoolExecutor(workers)
        else:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)

    def shared(self, name: str, array: np.ndarray):
        """Stage ``array`` where the workers can read and write it (untimed): (spec, view)."""
        if self.kind == "thread":
            return array, array
        path = os.path.join(self.shm_dir, f"{name}.f32")
        mapped = np.memmap(path, dtype=np.float32, mode="w+", shape=array.shape)
        mapped[...] = array
        return (path, array.shape), mapped

    def run(self, method, params, src_spec, dst_spec, rows, angles, pixel_nm) -> None:
        chunk = max(1, len(rows) // (4 * self.workers))
        tasks = [(method, params, src_spec, dst_spec, s, min(s + chunk, rows.stop), angles, pixel_nm)
                 for s in range(rows.start, rows.stop, chunk)]
        for future in [self.executor.submit(astra_rows, t) for t in tasks]:
            future.result()

    def close(self) -> None:
        self.executor.shutdown()


def time_astra(method, params, sinogram, angles, grid, repeats, shm_dir, sample_rows, check_repeats):
    """Pick the faster pool on a few rows, then time ``sample_rows`` central rows (all if 0).

    ASTRA's per-slice cost does not depend on the slice, so the time for the
    whole volume is the sampled time × n_rows / sample_rows. Returns
    (times for the whole volume, result with the sampled rows filled, rows, plan).
    """
    n_rows = grid[0]
    k = n_rows if sample_rows <= 0 else min(sample_rows, n_rows)
    rows = range((n_rows - k) // 2, (n_rows - k) // 2 + k)
    pools = {"1 thread": SlicePool("thread", 1), "thread": SlicePool("thread", N_WORKERS),
             "process": SlicePool("process", N_WORKERS, shm_dir)}
    warm_params = {**params, "n_iter": 1} if "n_iter" in params else params
    specs = {}
    check = range(rows.start, rows.start + min(k, CHECK_ROWS if check_repeats > 1 else N_WORKERS))
    for kind, pool in pools.items():
        src_spec, _ = pool.shared(f"{method}-in", sinogram)
        dst_spec, dst_view = pool.shared(f"{method}-out", np.zeros(grid, np.float32))
        specs[kind] = (src_spec, dst_spec, dst_view)
        pool.run(method, warm_params, src_spec, dst_spec, range(min(n_rows, N_WORKERS)), angles, 1.0)  # warm-up
    checks = {kind: [] for kind in pools}
    for _ in range(check_repeats):
        for kind, pool in pools.items():
            start = time.perf_counter()
            pool.run(method, params, *specs[kind][:2], check, angles, 1.0)
            checks[kind].append(time.perf_counter() - start)
    t = {kind: float(np.median(v)) for kind, v in checks.items()}
    kind = "thread" if t["thread"] <= t["process"] else "process"
    plan = {"per_slice": t["1 thread"] / len(check), "threads": t["1 thread"] / t["thread"],
            "processes": t["1 thread"] / t["process"], "kind": kind, "rows": k}
    log(f"  {method}: {plan['per_slice'] * 1e3:.0f} ms/slice on 1 thread; {N_WORKERS} threads ×{plan['threads']:.2f}, "
        f"{N_WORKERS} processes ×{plan['processes']:.2f} -> {kind} pool; "
        f"~{plan['per_slice'] * k / max(plan['threads'], plan['processes']):.0f} s per run of {k} rows")
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        pools[kind].run(method, params, *specs[kind][:2], rows, angles, 1.0)
        times.append((time.perf_counter() - start) * n_rows / k)
        log(f"  {method} run {i + 1}/{repeats}: {times[-1]:.1f} s for {n_rows} rows" + ("" if k == n_rows else
            f" (measured on {k})"))
    result = np.array(specs[kind][2])
    for pool in pools.values():
        pool.close()
    return times, result, rows, plan


# ---------------------------------------------------------------------------
# Part A: FBP and SIRT against ASTRA
# ---------------------------------------------------------------------------


def rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate.astype(np.float64) - truth) ** 2)))


def warm_up() -> None:
    """Compile (or load from cache) every numba kernel the timed calls use, on a tiny case."""
    import recon
    import sim

    small = np.ones((2, 16, 16), np.float32)
    angles = np.linspace(0, 180, 8, endpoint=False)
    data = sim.project(small, angles, voxel_nm=1.0)
    s = sim.TiltSeries(data, angles_deg=angles, pixel_nm=1.0, values="line integral", unit="1")
    recon.get("fbp")(s)
    recon.get("sirt")(s, n_iter=2, progress=False)
    recon.get("tv")(s, n_iter=2, progress=False)


def part_a(args, shm_dir):
    import phantoms
    import recon
    import sim
    from recon.fbp import filter_projections

    n, n_views = args.size, args.views
    angles = np.linspace(0, 180, n_views, endpoint=False)
    log(f"part A: rasterising the {n}³ Shepp-Logan phantom ...")
    truth = phantoms.get("shepp_logan_3d", n=n).mu_per_nm(ENERGY_KEV)
    data = sim.project(truth.data, angles, voxel_nm=truth.voxel_nm)
    series = sim.TiltSeries(data, angles_deg=angles, pixel_nm=truth.voxel_nm, values="line integral", unit="1",
                            ground_truth=truth)
    results = {}
    load = {}

    log("timing nanotomo fbp ...")
    start = cpu_snapshot()
    times, volume = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        volume = recon.get("fbp")(series)
        times.append(time.perf_counter() - t0)
    load["nanotomo fbp"] = other_load(start, cpu_snapshot())
    results["nanotomo fbp"] = (times, rmse(volume.data, truth.data))
    log(f"  {np.median(times):.2f} s")

    sirt_repeats = args.repeats if n <= 128 else 1
    log(f"timing nanotomo sirt ({args.sirt_iter} iterations, {sirt_repeats} run(s)) ...")
    start = cpu_snapshot()
    times = []
    for _ in range(sirt_repeats):
        t0 = time.perf_counter()
        volume = recon.get("sirt")(series, n_iter=args.sirt_iter, progress=False)
        times.append(time.perf_counter() - t0)
    load["nanotomo sirt"] = other_load(start, cpu_snapshot())
    results["nanotomo sirt"] = (times, rmse(volume.data, truth.data))
    sirt_volume = volume.data
    log(f"  {np.median(times):.2f} s")

    log("breakdown: one project, one backproject, the ramp filter ...")
    breakdown = {}
    for label, call in (("project", lambda: sim.project(truth.data, angles, voxel_nm=1.0)),
                        ("backproject", lambda: sim.backproject(data, angles, truth.shape, voxel_nm=1.0)),
                        ("ramp filter", lambda: filter_projections(data, 1.0, "ramp"))):
        t = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            call()
            t.append(time.perf_counter() - t0)
        breakdown[label] = float(np.median(t))

    plans = {}
    try:
        import astra  # noqa: F401
    except ImportError:
        log("ASTRA not installed (pip install '.[peers]'): skipped")
    else:
        for method, params, key, repeats, sample, check_repeats in (
                ("astra-fbp", {"filter": "ram-lak"}, "astra fbp", args.repeats, 0, 2),
                ("astra-sirt", {"n_iter": args.sirt_iter}, "astra sirt", 1, args.astra_sirt_rows, 1)):
            log(f"timing {method} ...")
            start = cpu_snapshot()
            times, result, rows, plans[key] = time_astra(method, params, data, angles, truth.shape, repeats, shm_dir,
                                                         sample, check_repeats)
            load[key] = other_load(start, cpu_snapshot())
            results[key] = (times, rmse(result[rows.start:rows.stop], truth.data[rows.start:rows.stop]))
            if key == "astra sirt" and len(rows) < truth.shape[0]:
                sampled = rmse(sirt_volume[rows.start:rows.stop], truth.data[rows.start:rows.stop])
                results["nanotomo sirt (same rows)"] = (results["nanotomo sirt"][0], sampled)
    return results, load, plans, breakdown, float(np.sqrt(np.mean(truth.data.astype(np.float64) ** 2)))


# ---------------------------------------------------------------------------
# Part B: tv against svmbir
# ---------------------------------------------------------------------------


def noisy_slab(args):
    """(series, truth): a Poisson low-count slab of the Shepp-Logan phantom, line integrals up to ~1."""
    import phantoms
    import sim

    n, rows = args.mbir_size, args.mbir_rows
    fraction = phantoms.get("shepp_logan_3d", n=n).fraction("H2O")
    slab = np.ascontiguousarray(fraction[n // 2 - rows // 2: n // 2 - rows // 2 + rows])
    angles = np.linspace(0, 180, args.views, endpoint=False)
    chords = sim.project(slab, angles, voxel_nm=1.0)
    mu = (slab / chords.max()).astype(np.float32)  # μ [1/nm] with 1 nm voxels: thickest chord = 1
    expected = args.counts * np.exp(-chords / chords.max())
    counts = sim.noise.poisson_counts(expected, sim.noise.generator(args.seed))
    line = -np.log(np.maximum(counts, 0.5) / args.counts).astype(np.float32)  # 0 counts: half a count (none at 1000)
    truth = sim.Volume(mu, voxel_nm=1.0, quantity="mu", unit="1/nm")
    series = sim.TiltSeries(line, angles_deg=angles, pixel_nm=1.0, values="line integral", unit="1", ground_truth=truth)
    return series, mu, int(np.sum(counts == 0))


def part_b(args):
    import recon
    import recon.peers  # noqa: F401

    series, truth, zeros = noisy_slab(args)
    log(f"part B: {series.shape} Poisson series, {args.counts} counts/pixel/view ({zeros} zero counts)")
    svm = {}
    for weight_type in ("unweighted", "transmission"):
        # warm-up: svmbir computes its system matrix and caches it on disk
        recon.get("svmbir-mbir")(series, weight_type=weight_type, num_threads=N_WORKERS, progress=False)
        times, volume = [], None
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            volume = recon.get("svmbir-mbir")(series, weight_type=weight_type, num_threads=N_WORKERS, progress=False)
            times.append(time.perf_counter() - t0)
        svm[weight_type] = (float(np.median(times)), rmse(volume.data, truth), volume.metadata["params"])
        log(f"  svmbir {weight_type}: {svm[weight_type][0]:.2f} s, RMSE {svm[weight_type][1]:.3e} 1/nm")
    fbp_rmse = rmse(recon.get("fbp")(series).data, truth)

    budget = TV_TIME_BUDGET * max(t for t, _, _ in svm.values())
    spent = []
    for k in (1, 11):  # set-up (the projector's norm by power iteration) and the time per iteration
        t0 = time.perf_counter()
        recon.get("tv")(series, n_iter=k, progress=False)
        spent.append(time.perf_counter() - t0)
    per_iter = (spent[1] - spent[0]) / 10
    n_iter = int(min(TV_MAX_ITER, max(20, math.ceil((budget - spent[0]) / per_iter))))
    tv = {}
    for weight in TV_WEIGHTS:
        trace = []
        paused = [0.0]

        def record(k, x, objective, truth_rmse, trace=trace, paused=paused):
            t = time.perf_counter()  # tv computed truth_rmse itself (one pass over the volume, inside its time)
            trace.append((t - start - paused[0], truth_rmse))
            paused[0] += time.perf_counter() - t

        log(f"  tv weight {weight}: {n_iter} iterations ...")
        start = time.perf_counter()
        recon.get("tv")(series, n_iter=n_iter, weight=weight, callback=record, progress=False)
        tv[weight] = np.array(trace)
    return series, svm, tv, fbp_rmse, n_iter, float(np.sqrt(np.mean(truth.astype(np.float64) ** 2)))


def first_time_below(trace: np.ndarray, level: float):
    """(time, iteration) at which the trace's RMSE first reaches ``level``, or None."""
    hits = np.flatnonzero(trace[:, 1] <= level)
    return (float(trace[hits[0], 0]), int(hits[0]) + 1) if hits.size else None


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def report_a(args, results, load, plans, breakdown, truth_rms) -> None:
    import numba

    print(f"\nA. speed at equal error: {args.size}³ Shepp-Logan (water, μ at {ENERGY_KEV:g} keV, 1 nm voxels), "
          f"{args.views} noise-free views over [0°, 180°)")
    print(f"   nanotomo: numba on {numba.config.NUMBA_NUM_THREADS} threads; ASTRA CPU 2-D per slice via astra-fbp/astra-sirt, "
          f"slice-parallel on {N_WORKERS} workers")
    for key, p in plans.items():
        print(f"   {key}: {p['per_slice'] * 1e3:.0f} ms/slice on 1 thread; threads ×{p['threads']:.2f}, processes "
              f"×{p['processes']:.2f} -> {p['kind']} pool; timed on {p['rows']} of {args.size} rows"
              + ("" if p["rows"] == args.size else f", time scaled by {args.size}/{p['rows']}"))
    print(f"   RMSE against the truth [1/nm] (truth RMS {truth_rms:.3e}), over the rows each contender computed; "
          "load: cores taken by other processes meanwhile")
    rule = "   " + "-" * 100
    print(rule)
    print(f"   {'contender':<30}{'time [s]':>10}{'runs':>6}{'RMSE [1/nm]':>14}{'RMSE/RMS':>10}{'ASTRA/nano':>12}{'load':>7}")
    print(rule)
    rows_of = {key: p["rows"] for key, p in plans.items()}
    for algorithm in ("fbp", "sirt"):
        nano = results[f"nanotomo {algorithm}"]
        for key in (f"nanotomo {algorithm}", f"nanotomo {algorithm} (same rows)", f"astra {algorithm}"):
            if key not in results:
                continue
            times, error = results[key]
            ratio = np.median(times) / np.median(nano[0])
            label = key.replace("(same rows)", f"rows {rows_of.get(f'astra {algorithm}', args.size)}")
            if algorithm == "sirt":
                label += f" {args.sirt_iter} it"
            if key.startswith("astra") and rows_of[key] < args.size:
                label += f", {rows_of[key]} rows"
            print(f"   {label:<30}{np.median(times):10.3f}{len(times):6d}{error:14.3e}{error / truth_rms:10.4f}"
                  f"{ratio:11.2f}×{load[key.replace(' (same rows)', '')]:7.2f}")
    print(rule)
    for algorithm in ("fbp", "sirt"):
        key = f"astra {algorithm}"
        if key in results:
            nano_t, nano_e = results.get(f"nanotomo {algorithm} (same rows)", results[f"nanotomo {algorithm}"])
            astra_t, astra_e = results[key]
            ratio = np.median(astra_t) / np.median(nano_t)
            met = ratio >= 3.0 and nano_e <= EQUAL_ERROR * astra_e
            print(f"   target {algorithm}: nanotomo ≥ 3× faster than ASTRA at equal (±{(EQUAL_ERROR - 1) * 100:.0f} %) or "
                  f"lower RMSE: {ratio:.2f}×, RMSE {nano_e:.3e} vs {astra_e:.3e} ({(nano_e / astra_e - 1) * 100:+.1f} %) "
                  f"-> {'met' if met else 'NOT met'}")
    p, b, f = breakdown["project"], breakdown["backproject"], breakdown["ramp filter"]
    sirt_t = float(np.median(results["nanotomo sirt"][0]))
    fbp_t = float(np.median(results["nanotomo fbp"][0]))
    ideal = (args.sirt_iter + 1) * (p + b) + p
    print(f"   breakdown: one sim.project {p:.2f} s, one sim.backproject {b:.2f} s, ramp filter {f:.2f} s")
    print(f"     fbp {fbp_t:.2f} s = filter + backproject {f + b:.2f} s + {fbp_t - f - b:.2f} s other")
    print(f"     sirt {sirt_t:.2f} s = {args.sirt_iter + 2} projections + {args.sirt_iter + 1} backprojections "
          f"{ideal:.2f} s + {sirt_t - ideal:.2f} s other (element-wise updates, norms)")


def report_b(args, series, svm, tv, fbp_rmse, n_iter, truth_rms) -> None:
    n_views, rows, _ = series.shape
    print(f"\nB. quality for time: a {rows}-row slab of the {args.mbir_size}² Shepp-Logan phantom, thickest chord μ·L = 1, "
          f"{n_views} views over [0°, 180°),")
    print(f"   Poisson counts with {args.counts} incident photons/pixel/view (seed {args.seed}), line integrals −log(N/N₀); "
          f"RMSE against the truth [1/nm] (truth RMS {truth_rms:.3e}; FBP {fbp_rmse:.3e})")
    params = next(iter(svm.values()))[2]
    print(f"   svmbir {params['svmbir_version']} MBIR, qGGMRF p={params['p']}, q={params['q']}, T={params['T']}, "
          f"sharpness {params['sharpness']}, snr {params['snr_db']} dB, stop threshold {params['stop_threshold_percent']} %, "
          f"≤ {params['max_iterations']} iterations, all cores; median of {args.repeats} runs, system matrix cached")
    for weight_type, (t, error, p) in svm.items():
        print(f"     svmbir {weight_type:<13} {t:7.2f} s   RMSE {error:.3e}   "
              f"(σ_y {p['sigma_y']:.3g}, σ_x {p['sigma_x_per_nm']:.3g} 1/nm)")
    print(f"   nanotomo tv (noise σ estimated from the data, positivity, {n_iter} iterations), weights {TV_WEIGHTS}; "
          "time from the call, callback excluded;")
    print("   1st it: time of the first iterate (set-up: the power iteration for the step size); s/iter after it")
    rule = "   " + "-" * 115
    print(rule)
    header = "".join(f"{'reaches svmbir ' + w[:5]:>28}" for w in svm)
    print(f"   {'tv weight':<10}{'1st it [s]':>11}{'best RMSE':>12}{'at [s]':>8}{'final RMSE':>12}{'s/iter':>8}" + header)
    print(rule)
    best = {}
    for weight, trace in tv.items():
        k = int(np.argmin(trace[:, 1]))
        per_iter = (trace[-1, 0] - trace[0, 0]) / max(len(trace) - 1, 1)
        line = f"   {weight:<10g}{trace[0, 0]:11.2f}{trace[k, 1]:12.3e}{trace[k, 0]:8.2f}{trace[-1, 1]:12.3e}{per_iter:8.3f}"
        for weight_type, (_, error, _) in svm.items():
            hit = first_time_below(trace, error)
            line += f"{'not reached':>28}" if hit is None else f"{f'{hit[0]:.2f} s (it {hit[1]})':>28}"
            if hit is not None and (weight_type not in best or hit[0] < best[weight_type][0]):
                best[weight_type] = (hit[0], weight)
        print(line)
    print(rule)
    for weight_type, (t, error, _) in svm.items():
        if weight_type in best:
            tt, weight = best[weight_type]
            verdict = "met" if tt <= t else "NOT met"
            setup = tv[weight][0, 0]
            print(f"   target vs svmbir {weight_type}: tv (weight {weight:g}) reaches RMSE {error:.3e} at {tt:.2f} s "
                  f"(set-up {setup:.2f} s of it), svmbir takes {t:.2f} s -> {tt / t:.2f}× svmbir's time: {verdict}")
        else:
            print(f"   target vs svmbir {weight_type}: tv never reaches RMSE {error:.3e} -> NOT met")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="part A volume edge n (n³ voxels; default 256)")
    parser.add_argument("--views", type=int, default=181, help="views over [0°, 180°) in both parts (default 181)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing, median reported (default 3; SIRT at "
                        "sizes > 128: 1)")
    parser.add_argument("--sirt-iter", type=int, default=50, help="SIRT iterations (default 50)")
    parser.add_argument("--astra-sirt-rows", type=int, default=16, help="time ASTRA's SIRT on this many central rows "
                        "and scale to the volume (its cost per slice is the same for every slice; 0: all rows; default 16)")
    parser.add_argument("--skip-svmbir", action="store_true", help="leave out part B (tv against svmbir)")
    parser.add_argument("--skip-astra", action="store_true", help="leave out part A (fbp/sirt against ASTRA)")
    parser.add_argument("--mbir-size", type=int, default=128, help="part B slice edge (default 128)")
    parser.add_argument("--mbir-rows", type=int, default=8, help="part B rows (slices) (default 8)")
    parser.add_argument("--counts", type=float, default=1000.0, help="part B incident photons per pixel and view")
    parser.add_argument("--seed", type=int, default=0, help="part B noise seed")
    args = parser.parse_args(argv)
    if args.size < 16 or args.size % 2 or args.views < 2 or args.repeats < 1 or args.sirt_iter < 1 or args.mbir_size < 32:
        parser.error("need even --size >= 16, --views >= 2, --repeats >= 1, --sirt-iter >= 1, --mbir-size >= 32")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    import numba

    log("warm-up (numba compile / cache load) ...")
    warm_up()
    print(f"nanotomo reconstruction benchmark; machine: {platform.machine()}, {N_WORKERS} cores; Python "
          f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    if not args.skip_astra:
        shm_dir = tempfile.mkdtemp(prefix="nanotomo-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        try:
            report_a(args, *part_a(args, shm_dir))
        finally:
            shutil.rmtree(shm_dir, ignore_errors=True)
        sys.stdout.flush()
    if not args.skip_svmbir:
        report_b(args, *part_b(args))


if __name__ == "__main__":
    main()

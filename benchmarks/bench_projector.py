"""Speed, memory and accuracy of nanotomo's projector pair against its peers.

Contenders, all forward- and back-projecting the same float32 volume
``(n_rows, n_z, n_x) = (size, size, size)`` at ``views`` angles spread over
[-90°, 90°] (pixel = voxel, detector ``size`` columns wide):

- **nanotomo**: ``sim.project`` / ``sim.backproject`` (numba, all cores);
- **ASTRA** (CPU): the 2-D ``linear`` projector with the ``FP`` / ``BP``
  algorithms, one slice (row) at a time;
- **scikit-image**: ``radon`` / unfiltered ``iradon`` (``filter_name=None``),
  one slice at a time, ``circle=True`` so its detector is ``size`` wide too.

The peers are made slice-parallel on all cores. Each peer's per-slice call is
timed on a few slices on 1 thread, in a pool of threads and in a pool of
processes whose workers read and write shared memory (``/dev/shm``): the
1-thread/threads ratio says whether the call releases the GIL, and the faster
pool is used (a GIL-bound call thus runs in processes). Copying data into and
out of the shared memory is not timed, which favours the peers. Compile time and one-off set-up
(numba compilation, ASTRA objects, worker start-up, imports) are kept out of
every timing by a warm-up; each timing is the median of ``--repeats`` runs.

Before anything is timed, each peer's geometry is matched to nanotomo's
convention (``u = x·cos θ + z·sin θ`` from the detector centre, see
``sim/geometry.py``) empirically: every candidate angle sign and detector
orientation is tried on off-centre blobs and the one that reproduces
nanotomo's projections is used (and printed). scikit-image puts the rotation
axis at pixel ``n // 2`` instead of ``(n − 1) / 2``; that half-pixel offset is
part of its geometry and is modelled, not corrected.

Also reported: throughput (voxel-updates per second, ``size³·views / time``)
against a memory-bandwidth reference (the volume read once per view at the
bandwidth measured here), nanotomo's peak memory (each operation in a fresh
subprocess), and the accuracy of every forward projection against the
analytic line integrals of an off-centre sphere.

Usage::

    python benchmarks/bench_projector.py                 # 256³, 181 views, 3 runs (~6 min on 2 cores)
    python benchmarks/bench_projector.py --skip-skimage   # quick run (~2 min)

Progress goes to stderr, results to stdout. Needs the ``peers`` extra for
ASTRA (``pip install ".[peers]"``); without it ASTRA is skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
from numba import njit, prange
from machine import cpu_snapshot, log, other_load, shared_array

N_WORKERS = os.cpu_count() or 1
CHECK_ROWS = 8  # slices timed on 1 thread / a thread pool / a process pool to choose the pool
GIL_FREE_SPEEDUP = 0.9 * N_WORKERS  # threads this much faster than 1 thread: the call releases the GIL
GIL_BOUND_SPEEDUP = 1.2  # threads at most this much faster: the call holds the GIL
MAPPING_SIZE = 64  # grid of the geometry-mapping check
MAPPING_VIEWS = 61
SPHERE_RADIUS_FRACTION = 80 / 256  # the sphere: radius 80 voxels on a 256 grid,
SPHERE_OFFSET_FRACTION = np.array([10.3, -15.6, 20.2]) / 256  # centre off by (row, z, x) voxels at 256
SUPERSAMPLING = 8  # sub-voxels per axis when rasterising the sphere's boundary voxels
ROW_QUADRATURE = 16  # sub-rows when averaging the analytic projection over a detector pixel
MIB = 2**20


# ---------------------------------------------------------------------------
# Peers: one slice at a time, in nanotomo's convention (mapping applied inside)
# ---------------------------------------------------------------------------

_local = threading.local()


def _astra_algorithm(op: str, n_z: int, n_x: int, n_cols: int, angles_deg: tuple):
    """This thread's ASTRA data objects and FP/BP algorithm for one geometry (made once)."""
    import astra

    cache = _local.__dict__.setdefault("astra", {})
    key = (op, n_z, n_x, n_cols, angles_deg)
    if key not in cache:
        vol_geom = astra.create_vol_geom(n_z, n_x)
        proj_geom = astra.create_proj_geom("parallel", 1.0, n_cols, np.deg2rad(np.asarray(angles_deg)))
        projector = astra.create_projector("linear", proj_geom, vol_geom)
        vol_id = astra.data2d.create("-vol", vol_geom)
        sino_id = astra.data2d.create("-sino", proj_geom)
        config = astra.astra_dict("FP" if op == "forward" else "BP")
        config["ProjectorId"] = projector
        config["ProjectionDataId"] = sino_id
        config["VolumeDataId" if op == "forward" else "ReconstructionDataId"] = vol_id
        cache[key] = (astra.algorithm.create(config), vol_id, sino_id)
    return cache[key]


def peer_slice(peer: str, op: str, data: np.ndarray, geometry: tuple) -> np.ndarray:
    """One slice through ``peer``: forward (n_z, n_x) -> (n_angles, n_cols), back the reverse.

    ``geometry`` is ``(n_z, n_x, n_cols, angles_deg, sign, flip)``: the peer
    is called with angles ``sign·θ`` and its detector reversed if ``flip``.
    """
    n_z, n_x, n_cols, angles_deg, sign, flip = geometry
    theta = tuple(sign * a for a in angles_deg)
    if op == "back" and flip:
        data = data[:, ::-1]
    if peer == "astra":
        import astra

        algorithm, vol_id, sino_id = _astra_algorithm(op, n_z, n_x, n_cols, theta)
        astra.data2d.store(vol_id if op == "forward" else sino_id, np.ascontiguousarray(data))
        astra.algorithm.run(algorithm)
        out = astra.data2d.get(sino_id if op == "forward" else vol_id)
    elif peer == "skimage":
        from skimage.transform import iradon, radon

        if op == "forward":
            out = radon(data, theta=np.asarray(theta), circle=True).T
        else:
            out = iradon(data.T, theta=np.asarray(theta), output_size=n_x, filter_name=None, circle=True)
    else:
        raise ValueError(f"unknown peer {peer!r}")
    if op == "forward" and flip:
        out = out[:, ::-1]
    return out


def run_rows(task) -> None:
    """Worker: slices ``r0 … r1 − 1`` of ``src`` through a peer into ``dst``."""
    peer, op, src_spec, dst_spec, r0, r1, geometry = task
    src = shared_array(src_spec)
    dst = shared_array(dst_spec)
    for r in range(r0, r1):
        if op == "forward":
            dst[:, r, :] = peer_slice(peer, op, src[r], geometry)
        else:
            dst[r] = peer_slice(peer, op, src[:, r, :], geometry)


def _worker_init(peer: str) -> None:
    if peer == "astra":
        import astra  # noqa: F401
    else:
        import skimage.transform  # noqa: F401


class SlicePool:
    """Runs a peer over all slices with ``workers`` threads or processes."""

    def __init__(self, peer: str, kind: str, workers: int, shm_dir: str | None = None):
        self.peer, self.kind, self.workers, self.shm_dir = peer, kind, workers, shm_dir
        if kind == "thread":
            self.executor = ThreadPoolExecutor(workers)
        else:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            self.executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init, initargs=(peer,))
        self._shared = {}

    def shared(self, name: str, array: np.ndarray):
        """Stage ``array`` where the workers can read and write it (untimed)."""
        if self.kind == "thread":
            return array, array
        path = os.path.join(self.shm_dir, f"{self.peer}-{name}.f32")
        if path not in self._shared:
            self._shared[path] = np.memmap(path, dtype=np.float32, mode="w+", shape=array.shape)
        mapped = self._shared[path]
        mapped[...] = array
        return (path, array.shape), mapped

    def run(self, op: str, src_spec, dst_spec, n_rows: int, geometry: tuple, rows=None) -> None:
        rows = range(n_rows) if rows is None else rows
        chunk = max(1, len(rows) // (8 * self.workers))
        starts = list(rows)[::chunk]
        tasks = [(self.peer, op, src_spec, dst_spec, s, min(s + chunk, rows.stop), geometry) for s in starts]
        for future in [self.executor.submit(run_rows, t) for t in tasks]:
            future.result()

    def close(self) -> None:
        self.executor.shutdown()
        self._shared.clear()


# ---------------------------------------------------------------------------
# Phantoms and analytic references
# ---------------------------------------------------------------------------


@njit(parallel=True, cache=False)
def _raster_sphere(out, cr, cz, cx, radius, sub):
    """Sphere of value 1; boundary voxels get their covered fraction from sub³ samples."""
    n_rows, n_z, n_x = out.shape
    half_diagonal = math.sqrt(3.0) / 2
    for r in prange(n_rows):
        for j in range(n_z):
            for i in range(n_x):
                d = math.sqrt((r - cr) ** 2 + (j - cz) ** 2 + (i - cx) ** 2)
                if d <= radius - half_diagonal:
                    out[r, j, i] = 1.0
                elif d >= radius + half_diagonal:
                    out[r, j, i] = 0.0
                else:
                    inside = 0
                    for a in range(sub):
                        dr = r - 0.5 + (a + 0.5) / sub - cr
                        for b in range(sub):
                            dz = j - 0.5 + (b + 0.5) / sub - cz
                            for c in range(sub):
                                dx = i - 0.5 + (c + 0.5) / sub - cx
                                if dr * dr + dz * dz + dx * dx < radius * radius:
                                    inside += 1
                    out[r, j, i] = inside / sub**3


@njit(cache=False)
def _chord_integral(t, a2):
    """∫₀ᵗ 2·sqrt(a² − s²) ds, clipped to the chord's ends (a² = disc radius²)."""
    if a2 <= 0.0:
        return 0.0
    a = math.sqrt(a2)
    if t >= a:
        return a2 * math.pi / 2
    if t <= -a:
        return -a2 * math.pi / 2
    return t * math.sqrt(a2 - t * t) + a2 * math.asin(t / a)


@njit(parallel=True, cache=False)
def _sphere_sinogram(out, cos_t, sin_t, cr, cz, cx, radius, axis, det_centre, mode, n_sub):
    """Analytic line integrals 2·sqrt(R² − ρ²) of the sphere, in nanotomo's angle convention.

    Voxel/column indices are measured from the rotation ``axis`` (same index
    in z and x) and ``det_centre``. ``mode`` 0: the value at the pixel centre;
    1: averaged over the pixel's row extent (``n_sub`` sub-rows), at the
    column centre; 2: averaged over the whole pixel (exactly across the column).
    """
    n_angles, n_rows, n_cols = out.shape
    r2 = radius * radius
    for a in prange(n_angles):
        uc = (cx - axis) * cos_t[a] + (cz - axis) * sin_t[a]
        for r in range(n_rows):
            for k in range(n_cols):
                t = k - det_centre - uc
                if mode == 0:
                    rho2 = (r - cr) ** 2 + t * t
                    out[a, r, k] = 2.0 * math.sqrt(r2 - rho2) if rho2 < r2 else 0.0
                    continue
                total = 0.0
                for s in range(n_sub):
                    a2 = r2 - (r - 0.5 + (s + 0.5) / n_sub - cr) ** 2
                    if mode == 1:
                        total += 2.0 * math.sqrt(a2 - t * t) if t * t < a2 else 0.0
                    else:
                        total += _chord_integral(t + 0.5, a2) - _chord_integral(t - 0.5, a2)
                out[a, r, k] = total / n_sub


def sphere(n: int):
    """The accuracy phantom on an n³ grid: (volume, (cr, cz, cx), radius)."""
    centre = (n - 1) / 2 + SPHERE_OFFSET_FRACTION * n
    radius = SPHERE_RADIUS_FRACTION * n
    volume = np.empty((n, n, n), np.float32)
    _raster_sphere(volume, *centre, radius, SUPERSAMPLING)
    return volume, tuple(centre), radius


REFERENCE_MODES = ("point", "row-averaged", "pixel-averaged")


def sphere_reference(shape, angles_deg, centre, radius, axis, det_centre, mode):
    out = np.empty(shape, np.float64)
    theta = np.deg2rad(angles_deg)
    _sphere_sinogram(out, np.cos(theta), np.sin(theta), *centre, radius, axis, det_centre, mode, ROW_QUADRATURE)
    return out


def relative_rms(values, reference) -> float:
    values = np.asarray(values, np.float64)
    return float(np.linalg.norm(values - reference) / np.linalg.norm(reference))


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def memory_bandwidth(n_bytes: int = 512 * MIB, repeats: int = 5):
    """Copy bandwidth (bytes read + bytes written per second) on 1 and on all threads."""
    src = np.ones(n_bytes // 4, np.float32)
    dst = np.zeros_like(src)
    halves = np.array_split(np.arange(src.size), N_WORKERS)
    bounds = [(h[0], h[-1] + 1) for h in halves]

    def copy_part(bound):
        np.copyto(dst[bound[0] : bound[1]], src[bound[0] : bound[1]])

    results = {}
    with ThreadPoolExecutor(N_WORKERS) as pool:
        for label, call in (
            ("1 thread", lambda: np.copyto(dst, src)),
            (f"{N_WORKERS} threads", lambda: list(pool.map(copy_part, bounds))),
        ):
            call()
            results[label] = 2 * src.nbytes / median_time(call, repeats)
    return results


def median_time(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def memory_child(op: str, size: int, views: int) -> None:
    """Run in a fresh process: peak RSS of one nanotomo operation above the post-warm-up baseline."""
    import resource

    import sim

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return None

    angles = np.linspace(-90, 90, views)
    sim.backproject(sim.project(np.ones((4, 16, 16), np.float32), angles, voxel_nm=1.0), angles, (4, 16, 16), voxel_nm=1.0)
    baseline = status("VmRSS")
    rng = np.random.default_rng(0)
    shape = (size, size, size) if op == "project" else (views, size, size)
    data = np.empty(shape, np.float32)
    rng.random(out=data, dtype=np.float32)
    try:  # reset the high-water mark so the input's creation does not count
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        method = "VmHWM"
    except OSError:
        method = "ru_maxrss"
    if op == "project":
        out = sim.project(data, angles, voxel_nm=1.0)
    else:
        out = sim.backproject(data, angles, (size, size, size), voxel_nm=1.0)
    peak = status("VmHWM") if method == "VmHWM" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"baseline": baseline, "peak": peak, "method": method, "out": int(out.nbytes)}))


def nanotomo_memory(size: int, views: int):
    results = {}
    for op in ("project", "backproject"):
        child = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--_memory-child", op, "--size", str(size), "--views", str(views)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[op] = json.loads(child.stdout.strip().splitlines()[-1])
    return results


# ---------------------------------------------------------------------------
# Geometry mapping: find the angle sign / detector orientation that matches nanotomo
# ---------------------------------------------------------------------------


def _blobs(n: int) -> np.ndarray:
    """Two rows holding two off-centre Gaussian blobs (no symmetry that hides a sign)."""
    c = (n - 1) / 2
    z, x = np.mgrid[:n, :n] - c
    s = n / 64
    image = np.exp(-((x - 9 * s) ** 2 + (z + 5 * s) ** 2) / (2 * (3 * s) ** 2))
    image += 0.5 * np.exp(-((x + 4 * s) ** 2 + (z - 12 * s) ** 2) / (2 * (2 * s) ** 2))
    image[(z + c - n // 2) ** 2 + (x + c - n // 2) ** 2 > (n // 2 - 1) ** 2] = 0  # radon(circle=True) wants this
    return np.stack([image, 0.7 * image[::-1]]).astype(np.float32)


def axis_shift(peer: str, n: int, angles_deg) -> np.ndarray:
    """Per-view column shift that puts nanotomo's rotation axis where the peer has it.

    scikit-image rotates about pixel ``n // 2`` (not ``(n − 1) / 2``) in both
    axes and centres its detector there: a point lands ``δ·(1 − cos θ − sin θ)``
    columns further right, ``δ = n // 2 − (n − 1) / 2``. ASTRA centres like nanotomo.
    """
    delta = n // 2 - (n - 1) / 2 if peer == "skimage" else 0.0
    theta = np.deg2rad(angles_deg)
    shifts = np.zeros((len(theta), 2))
    shifts[:, 1] = delta * (1 - np.cos(theta) - np.sin(theta))
    return shifts


def find_mapping(peer: str):
    """Try θ → ±θ and both detector orientations on blobs; return the best and all residuals."""
    import sim

    n = MAPPING_SIZE
    angles = np.linspace(-90, 90, MAPPING_VIEWS)
    volume = _blobs(n)
    shifts = axis_shift(peer, n, angles)
    ours = sim.project(volume, angles, voxel_nm=1.0, shifts_px=shifts)
    residuals = {}
    for sign in (-1, 1):
        for flip in (False, True):
            geometry = (n, n, n, tuple(angles), sign, flip)
            theirs = np.stack([peer_slice(peer, "forward", v, geometry) for v in volume], axis=1)
            residuals[(sign, flip)] = relative_rms(theirs, ours)
    best = min(residuals, key=residuals.get)
    geometry = (n, n, n, tuple(angles), *best)
    extra = {}
    if peer == "skimage":  # how much the half-pixel axis matters
        plain = sim.project(volume, angles, voxel_nm=1.0)
        theirs = np.stack([peer_slice(peer, "forward", v, geometry) for v in volume], axis=1)
        extra["axis_ignored"] = relative_rms(theirs, plain)
    # the back projector through the same mapping, against nanotomo's adjoint (best scale; inscribed disc)
    ours_bp = sim.backproject(ours, angles, volume.shape, voxel_nm=1.0, shifts_px=shifts)
    theirs_bp = np.stack([peer_slice(peer, "back", ours[:, r, :], geometry) for r in range(volume.shape[0])])
    z, x = np.mgrid[:n, :n] - n // 2
    disc = (z**2 + x**2) < (n // 2 - 1) ** 2
    a, b = ours_bp[:, disc].astype(np.float64), theirs_bp[:, disc].astype(np.float64)
    scale = float(np.vdot(a, b) / np.vdot(b, b))
    extra["back"] = relative_rms(scale * b, a)
    return best, residuals, extra


def describe_mapping(peer: str, sign: int, flip: bool) -> str:
    angle = "θ" if sign > 0 else "−θ"
    detector = "detector reversed" if flip else "detector as is"
    image = "image rows = z, cols = x"
    axis = ", axis at pixel n//2" if peer == "skimage" else ", centres (n−1)/2"
    return f"angle {angle}, {detector}, {image}{axis}"


# ---------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------


def time_nanotomo(volume, sinogram, angles, repeats):
    import sim

    small = np.ones((4, 16, 16), np.float32)
    sim.backproject(sim.project(small, angles, voxel_nm=1.0), angles, small.shape, voxel_nm=1.0)  # compile / load cache
    forward, back, result = [], [], None
    for i in range(repeats):
        start = time.perf_counter()
        result = sim.project(volume, angles, voxel_nm=1.0)
        forward.append(time.perf_counter() - start)
        start = time.perf_counter()
        sim.backproject(sinogram, angles, volume.shape, voxel_nm=1.0)
        back.append(time.perf_counter() - start)
        log(f"  nanotomo run {i + 1}/{repeats}: forward {forward[-1]:.2f} s, back {back[-1]:.2f} s")
    return forward, back, result


def time_peer(peer, volume, sinogram, angles, mapping, repeats, shm_dir):
    """Check the GIL, pick the faster pool, warm up, then time forward and back ``repeats`` times.

    On ``CHECK_ROWS`` slices, interleaved and 3 times each: 1 thread, a pool
    of ``N_WORKERS`` threads and one of ``N_WORKERS`` processes. The speed-up
    of the threads over 1 thread says whether the call releases the GIL; the
    faster pool is used for the timing.
    """
    n_rows, n_z, n_x = volume.shape
    n_cols = sinogram.shape[2]
    geometry = (n_z, n_x, n_cols, tuple(float(a) for a in angles), *mapping)
    pools = {
        "1 thread": SlicePool(peer, "thread", 1),
        "thread": SlicePool(peer, "thread", N_WORKERS),
        "process": SlicePool(peer, "process", N_WORKERS, shm_dir),
    }
    check_rows = range(min(n_rows, CHECK_ROWS))
    plan, specs = {}, {}
    for op, src, dst in (("forward", volume, np.zeros_like(sinogram)), ("back", sinogram, np.zeros_like(volume))):
        checks = {kind: [] for kind in pools}
        for kind, pool in pools.items():
            src_spec, _ = pool.shared(f"{op}-in", src)
            dst_spec, dst_view = pool.shared(f"{op}-out", dst)
            specs[op, kind] = (pool, src_spec, dst_spec, dst_view)
            pool.run(op, src_spec, dst_spec, n_rows, geometry, rows=range(min(n_rows, 2 * N_WORKERS)))  # warm-up
        for _ in range(3):
            for kind in pools:
                pool, src_spec, dst_spec, _ = specs[op, kind]
                start = time.perf_counter()
                pool.run(op, src_spec, dst_spec, n_rows, geometry, rows=check_rows)
                checks[kind].append(time.perf_counter() - start)
        t = {kind: float(np.median(v)) for kind, v in checks.items()}
        kind = "thread" if t["thread"] <= t["process"] else "process"
        plan[op] = {
            "per_slice": t["1 thread"] / len(check_rows),
            "threads": t["1 thread"] / t["thread"],
            "processes": t["1 thread"] / t["process"],
            "kind": kind,
        }
        log(f"  {peer} {op}: {plan[op]['per_slice'] * 1e3:.0f} ms/slice on 1 thread; {N_WORKERS} threads "
            f"×{plan[op]['threads']:.2f}, {N_WORKERS} processes ×{plan[op]['processes']:.2f} -> {kind} pool")
    estimate = sum(p["per_slice"] / max(p["threads"], p["processes"]) for p in plan.values()) * n_rows
    log(f"  {peer}: about {estimate:.0f} s per run, {repeats} runs -> ~{estimate * repeats:.0f} s")
    times = {"forward": [], "back": []}
    for i in range(repeats):
        for op in ("forward", "back"):
            pool, src_spec, dst_spec, _ = specs[op, plan[op]["kind"]]
            start = time.perf_counter()
            pool.run(op, src_spec, dst_spec, n_rows, geometry)
            times[op].append(time.perf_counter() - start)
        log(f"  {peer} run {i + 1}/{repeats}: forward {times['forward'][-1]:.1f} s, back {times['back'][-1]:.1f} s")
    result = np.array(specs["forward", plan["forward"]["kind"]][3])
    for pool in pools.values():
        pool.close()
    return times["forward"], times["back"], result, plan


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256, help="volume edge n: n³ voxels, n detector columns (default 256)")
    parser.add_argument("--views", type=int, default=181, help="number of angles in [-90°, 90°] (default 181)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing; the median is reported (default 3)")
    parser.add_argument("--skip-skimage", action="store_true", help="leave out scikit-image (slow) for a quick run")
    parser.add_argument("--_memory-child", dest="memory_child", choices=("project", "backproject"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size < 16 or args.views < 2 or args.repeats < 1:
        parser.error("need --size >= 16, --views >= 2, --repeats >= 1")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child, args.size, args.views)
        return
    n, n_views, repeats = args.size, args.views, args.repeats
    angles = np.linspace(-90, 90, n_views)
    peers = []
    try:
        import astra  # noqa: F401

        peers.append("astra")
    except ImportError:
        log("ASTRA not installed (pip install '.[peers]'): skipped")
    if not args.skip_skimage:
        peers.append("skimage")
    names = {"nanotomo": "nanotomo", "astra": "ASTRA linear (CPU)", "skimage": "scikit-image radon/iradon"}

    log("measuring memory bandwidth ...")
    bandwidth = memory_bandwidth()
    log("checking the geometry mapping of the peers ...")
    mappings = {peer: find_mapping(peer) for peer in peers}
    log("rasterising the sphere phantom ...")
    volume, centre, radius = sphere(n)
    log("peak memory of nanotomo (fresh subprocesses) ...")
    memory = nanotomo_memory(n, n_views)

    log("timing nanotomo ...")
    timings = {}
    import sim

    sinogram = sim.project(volume, angles, voxel_nm=1.0)  # the common input of every back projection
    load = {}
    start = cpu_snapshot()
    forward, back, nano_sino = time_nanotomo(volume, sinogram, angles, repeats)
    timings["nanotomo"] = (forward, back, nano_sino, None)
    load["nanotomo"] = other_load(start, cpu_snapshot())
    shm_dir = tempfile.mkdtemp(prefix="nanotomo-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        for peer in peers:
            log(f"timing {names[peer]} ...")
            start = cpu_snapshot()
            timings[peer] = time_peer(peer, volume, sinogram, angles, mappings[peer][0], repeats, shm_dir)
            load[peer] = other_load(start, cpu_snapshot())
    finally:
        shutil.rmtree(shm_dir, ignore_errors=True)

    log("computing the analytic sphere projections ...")
    references = {}
    for frame in ["nanotomo"] + [peer for peer in peers if peer == "skimage"]:
        c = n // 2 if frame == "skimage" else (n - 1) / 2
        references[frame] = [
            sphere_reference(sinogram.shape, angles, centre, radius, c, c, mode) for mode in range(len(REFERENCE_MODES))
        ]

    report(args, angles, bandwidth, mappings, memory, timings, load, references, volume, radius, names)


def report(args, angles, bandwidth, mappings, memory, timings, load, references, volume, radius, names) -> None:
    import numba

    n, n_views, repeats = args.size, args.views, args.repeats
    updates = n**3 * n_views
    vol_bytes, proj_bytes = n**3 * 4, n_views * n * n * 4
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}", f"numba {numba.__version__}"]
    versions += [f"{m} {__import__(m).__version__}" for m in ("astra", "skimage") if m in mappings]
    print()
    print(f"nanotomo projector benchmark: {n}³ float32 volume, {n_views} views in [{angles[0]:g}°, {angles[-1]:g}°], "
          f"{n} detector columns, median of {repeats} runs")
    print(f"machine: {platform.machine()}, {N_WORKERS} cores; " + ", ".join(versions))
    bw_text = ", ".join(f"{label} {value / 1e9:.1f} GB/s" for label, value in bandwidth.items())
    print(f"memory bandwidth (numpy copy of 512 MiB; bytes read + written per second): {bw_text}")

    print(f"\n1. geometry mapping onto nanotomo's u = x·cos θ + z·sin θ, checked on off-centre blobs ({MAPPING_SIZE}² "
          f"slices, {MAPPING_VIEWS} views)")
    print("   relative RMS difference to nanotomo; back projection with the same mapping, scale fitted, inside the disc")
    for peer, (best, residuals, extra) in mappings.items():
        others = ", ".join(f"{r * 100:.0f}%" for key, r in sorted(residuals.items(), key=lambda kv: kv[1]) if key != best)
        print(f"   {names[peer]:<27} {describe_mapping(peer, *best)}")
        line = f"   {'':<27} forward {residuals[best] * 100:.2f}% (other sign/orientation: {others})"
        if "axis_ignored" in extra:
            line += f", {extra['axis_ignored'] * 100:.1f}% if the axis is put at (n−1)/2"
        print(line + f"; back {extra['back'] * 100:.2f}%")
        if residuals[best] > 0.05:
            print(f"   WARNING: no candidate mapping reproduces nanotomo for {names[peer]}: its accuracy is meaningless")

    print(f"\n2. parallelism: nanotomo runs its numba kernels on {numba.config.NUMBA_NUM_THREADS} threads. Each peer runs "
          f"slice-parallel; on {CHECK_ROWS} slices it was timed")
    print(f"   on 1 thread and in pools of {N_WORKERS} threads and {N_WORKERS} processes (slices in shared memory, "
          "copying in/out not timed); the faster pool is used.")
    print(f"   GIL: threads ≥ {GIL_FREE_SPEEDUP:.1f}× faster than 1 thread -> released, ≤ {GIL_BOUND_SPEEDUP:.1f}× -> "
          "held, in between -> partly released")
    for peer in mappings:
        plan = timings[peer][3]
        for op in ("forward", "back"):
            p = plan[op]
            if p["threads"] >= GIL_FREE_SPEEDUP:
                gil = "releases the GIL"
            elif p["threads"] <= GIL_BOUND_SPEEDUP:
                gil = "holds the GIL"
            else:
                gil = "partly releases the GIL"
            print(f"   {names[peer]:<27} {op:<7} {p['per_slice'] * 1e3:5.0f} ms/slice; threads ×{p['threads']:.2f} "
                  f"({gil}), processes ×{p['processes']:.2f} -> {p['kind']} pool")

    print(f"\n3. speed [s], median of {repeats} runs (total = forward + back medians); ×: time / nanotomo's time; "
          "throughput in G voxel-updates/s")
    print(f"   ({n}³·{n_views} per direction); load: cores of the {N_WORKERS} taken by other processes (or the hypervisor) "
          "meanwhile; > 0 slows a contender down")
    rule = "   " + "-" * 108
    print(rule)
    print(f"   {'contender':<27}{'forward':>9}{'back':>9}{'total':>9}{'fwd ×':>9}{'back ×':>9}{'total ×':>9}"
          f"{'G/s fwd':>10}{'back':>7}{'total':>7}{'load':>7}")
    print(rule)
    medians = {}
    for name, (f, b, _, _) in timings.items():
        medians[name] = (float(np.median(f)), float(np.median(b)), float(np.median(f) + np.median(b)))
    nano = medians["nanotomo"]
    for name, (tf, tb, tt) in medians.items():
        print(f"   {names[name]:<27}{tf:9.2f}{tb:9.2f}{tt:9.2f}{tf / nano[0]:8.1f}×{tb / nano[1]:8.1f}×{tt / nano[2]:8.1f}×"
              f"{updates / tf / 1e9:10.2f}{updates / tb / 1e9:7.2f}{2 * updates / tt / 1e9:7.2f}{load[name]:7.2f}")
    best_bw = max(bandwidth.values())
    bound = vol_bytes * n_views / best_bw
    print(rule)
    print(f"   {'memory-bound reference':<27}{bound:9.2f}{bound:9.2f}{2 * bound:9.2f}{'':27}"
          f"{updates / bound / 1e9:10.2f}{updates / bound / 1e9:7.2f}{updates / bound / 1e9:7.2f}")
    print(f"   (the volume read once per view, {vol_bytes * n_views / 1e9:.1f} GB, at the best bandwidth above, "
          f"{best_bw / 1e9:.1f} GB/s; nanotomo can beat it: it re-reads tiles from cache)")
    for peer, need in (("astra", 4.0), ("skimage", 8.0)):
        if peer in medians:
            ratio = medians[peer][2] / nano[2]
            verdict = "met" if ratio >= need else "NOT met"
            print(f"   target: nanotomo ≥ {need:.0f}× faster than {names[peer]} on project + backproject: "
                  f"{ratio:.1f}× -> {verdict}")

    print(f"\n4. peak memory of nanotomo, each operation in a fresh subprocess: peak RSS minus the RSS after imports and "
          f"warm-up (input included),")
    print(f"   over volume + projections = {vol_bytes / MIB:.1f} + {proj_bytes / MIB:.1f} MiB")
    for op, m in memory.items():
        extra = m["peak"] - m["baseline"]
        ratio = extra / (vol_bytes + proj_bytes)
        verdict = "met" if ratio <= 1.2 else "NOT met"
        print(f"   {op:<12} {extra / MIB:7.1f} MiB = {ratio:.3f}×   (target ≤ 1.2×: {verdict}; peak from {m['method']})")

    mass = volume.sum(dtype=np.float64)
    exact = 4 / 3 * math.pi * radius**3
    print(f"\n5. accuracy of the forward projection on the full {n}³ grid, {n_views} views: a sphere of value 1, radius "
          f"{radius:g} voxels, centre off by {tuple(round(float(o), 1) for o in SPHERE_OFFSET_FRACTION * n)} (row, z, x)")
    print(f"   voxels, rasterised with {SUPERSAMPLING}³ sub-samples in boundary voxels (its volume is "
          f"{(mass / exact - 1) * 100:+.4f} % off 4/3·π·R³). Relative RMS error ‖p − p_ref‖ / ‖p_ref‖ over the sinogram;")
    print("   p_ref = analytic 2·sqrt(R² − ρ²) in each contender's own frame (scikit-image: axis at pixel n//2): at the "
          "pixel centre (point),")
    print(f"   averaged over the pixel's row extent ({ROW_QUADRATURE} sub-rows: what a slice of voxelised data holds) at "
          "the column centre, or over the whole pixel.")
    print(f"   {'contender':<27}" + "".join(f"{mode:>16}" for mode in REFERENCE_MODES) + f"{'worst view':>14}{'mass error':>13}")
    for name, (_, _, sino, _) in timings.items():
        frame = "skimage" if name == "skimage" else "nanotomo"
        errors = [relative_rms(sino, ref) * 100 for ref in references[frame]]
        pixel = references[frame][-1]
        diff = sino.astype(np.float64) - pixel
        worst = np.sqrt(np.max((diff**2).sum(axis=(1, 2)) / (pixel**2).sum(axis=(1, 2)))) * 100
        mass_error = np.max(np.abs(sino.sum(axis=(1, 2), dtype=np.float64) / pixel.sum(axis=(1, 2)) - 1)) * 100
        print(f"   {names[name]:<27}" + "".join(f"{e:15.3f}%" for e in errors) + f"{worst:13.3f}%{mass_error:12.4f}%")
    print("   worst view: the view with the largest rel. RMS error against the pixel-averaged reference; mass error: "
          "largest |Σ p / Σ p_ref − 1| of a view")


if __name__ == "__main__":
    main()

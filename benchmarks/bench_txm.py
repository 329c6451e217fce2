"""Time and peak memory of a ``wave``-level TXM tilt series against the bare FFTs it must do.

The sample: two LiCoO2 cathode particles (``phantoms.get("battery_particle")``,
~2.3 µm across, 10 nm voxels, seeds 1 and 2), one above the other along the
rotation axis as in a capillary of loose powder, each padded with vacuum to
``size/2`` rows: a ``(size, size/2, size/2)`` grid. The instrument:
``instruments.TXM(fidelity="wave")`` at 8 keV with its default optics (zone
plate D = 160 µm, Δr_N = 25 nm, 30 % central stop; hollow-cone condenser
σ = 0.6–0.9; ``n_source_points`` condenser points) and a ``size``-wide
detector of 10 nm pixels (``n_cols = size``), so every view is a ``size²``
field. 10 nm ≤ Δr_N/2, so the optical grid is the detector grid
(``instruments.txm_optics.optical_factor`` = 1; the script uses the factor it
returns). Views: ``--views`` angles evenly over [−90°, +90°] (default 181).

Timed:

- **acquire**: ``TXM.acquire(phantom, angles, seed=1, n_cols=size)`` end to
  end (δ and β maps, projection, transmission, Abbe imaging, detector with
  flats and darks) — the headline;
- **stages** (a second run of the same pipeline, stage by stage): δ/β maps
  (``Phantom.delta/beta``), projection of δ and β
  (``sim.xray_wave.project_refractive_index``), transmission
  (``sim.xray_wave.complex_transmission``), Abbe imaging
  (``sim.partial_coherence.abbe_image``, plus the block average when the
  optical factor is > 1), detector (beam profile, flats, darks, counts through
  ``sim.xray_detector.XrayDetector.record``);
- **FFT only**: the FFTs Abbe's method must do, on arrays of the same shape
  and dtype (complex64, as ``complex_transmission`` returns): one forward
  ``scipy.fft.fft2`` of each view's transmission on the optical grid and one
  inverse ``scipy.fft.ifft2`` per source point per view, in batches of the
  same size ``abbe_image`` uses, in place, ``workers=-1`` (all cores).
  Target: acquire ≤ 2× FFT only.

Not timed: building the phantom, imports, numba compilation (a warm-up
acquisition of a small series first). Peak memory: the acquisition run again
in a fresh subprocess (the phantom built and numba warmed up first), peak RSS
(``VmHWM`` after resetting it) above the RSS just before ``acquire``, and the
absolute peak. ``load``: cores kept busy by other processes while each item
was timed (a busy machine slows everything; compare rows with similar load).

Usage::

    python benchmarks/bench_txm.py                                # 512², 181 views, 64 source points (~4 min on 2 cores)
    python benchmarks/bench_txm.py --size 256 --views 61 --source-points 32

Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import scipy
import scipy.fft

import phantoms
from instruments.txm import TXM
from instruments.txm_optics import objective_of, optical_factor
from phantoms.phantom import Phantom
from sim.partial_coherence import _BATCH_BYTES, abbe_image
from sim.xray_wave import complex_transmission, project_refractive_index
from machine import cpu_model, cpu_snapshot, log, other_load

ENERGY_KEV = 8.0
VOXEL_NM = 10.0
PARTICLE_NM = 2300.0  # fits a 256-voxel grid at 10 nm with the builder's margin


def sample(size: int) -> Phantom:
    """Two battery particles stacked along the rows, each padded with vacuum to ``size/2`` rows and columns."""
    half = size // 2
    parts = []
    for seed in (1, 2):
        scale = size / 512
        p = phantoms.get("battery_particle", diameter_nm=PARTICLE_NM * scale, voxel_nm=VOXEL_NM,
                         domain_size_nm=(60.0 * min(scale, 1.0), 180.0 * min(scale, 1.0)), supersample=2, seed=seed)
        pad = [(0, 0)] + [((half - n) // 2, half - n - (half - n) // 2) for n in p.shape]
        parts.append(np.pad(p.fractions, pad))
    return Phantom(np.concatenate(parts, axis=1), p.materials, VOXEL_NM, name="battery_particle ×2",
                   params={"seeds": (1, 2), "diameter_nm": PARTICLE_NM * size / 512})


def instrument(n_source_points: int) -> TXM:
    return TXM(energy_kev=ENERGY_KEV, fidelity="wave", n_source_points=n_source_points)


def staged(txm: TXM, phantom: Phantom, angles: np.ndarray, n_cols: int) -> dict[str, float]:
    """The ``wave`` pipeline of ``TXM.acquire``, stage by stage: seconds per stage."""
    times = {}

    def clock(name, start):
        times[name] = time.perf_counter() - start

    start = time.perf_counter()
    delta, beta = phantom.delta(txm.energy_kev), phantom.beta(txm.energy_kev)
    clock("δ/β maps (Phantom.delta/beta)", start)
    start = time.perf_counter()
    delta_paths, beta_paths = project_refractive_index(delta, beta, angles, n_cols=n_cols)
    clock("projection of δ and β", start)
    start = time.perf_counter()
    transmission = complex_transmission(delta_paths, beta_paths, txm.energy_kev)
    factor = optical_factor(delta.voxel_nm, txm.zone_plate.outer_zone_nm)
    if factor > 1:
        transmission = np.repeat(np.repeat(transmission, factor, axis=-2), factor, axis=-1)
    clock("transmission exp(−kβ−ikδ)", start)
    start = time.perf_counter()
    objective, condenser = objective_of(txm)
    image = abbe_image(transmission, pixel_nm=delta.voxel_nm / factor, energy_kev=txm.energy_kev,
                       objective=objective, condenser=condenser, defocus_nm=txm.defocus_nm,
                       n_source_points=txm.n_source_points, progress=True)
    if factor > 1:
        n, rows, cols = delta_paths.shape
        image = image.reshape(n, rows, factor, cols, factor).mean(axis=(2, 4))
    intensity = txm.zone_plate.efficiency * image
    clock("Abbe imaging (abbe_image)", start)
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    frame = intensity.shape[1:]
    profile = txm.illumination.profile(frame, rng)
    beam = txm.photons_per_pixel * txm.illumination.at(profile, np.linspace(0, 1, len(angles)))
    txm.detector.record(np.broadcast_to(txm.photons_per_pixel * profile, (txm.n_flats, *frame)),
                        exposure_s=txm.timing.exposure_s, rng=rng)
    txm.detector.record(np.zeros((txm.n_darks, *frame)), exposure_s=txm.timing.exposure_s, rng=rng)
    txm.detector.record(beam * intensity, exposure_s=txm.timing.exposure_s, rng=rng)
    clock("detector (flats, darks, counts)", start)
    return times


def fft_only(n_views: int, n_sources: int, shape: tuple[int, int]) -> None:
    """One forward FFT per view and one inverse FFT per source point and view, complex64, batched as abbe_image."""
    plane_bytes = shape[0] * shape[1] * np.dtype(np.complex64).itemsize
    block = max(1, min(n_views, _BATCH_BYTES // plane_bytes))
    work = np.ones((block, *shape), np.complex64)
    for v in range(0, n_views, block):
        batch = work[: min(block, n_views - v)]
        spectrum = scipy.fft.fft2(batch, workers=-1)
        for _ in range(n_sources):
            scipy.fft.ifft2(spectrum, workers=-1, overwrite_x=True)


def memory_child(size: int, views: int, n_source_points: int) -> None:
    """Run in a fresh process: peak RSS of one acquisition above the RSS just before it."""

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        return None

    phantom = sample(size)
    txm = instrument(n_source_points)
    small = Phantom(phantom.fractions[:, :8, :16, :16], phantom.materials, VOXEL_NM)
    txm.acquire(small, [0.0, 30.0], seed=1)
    baseline = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    series = txm.acquire(phantom, np.linspace(-90, 90, views), seed=1, n_cols=size)
    print(json.dumps({"baseline": baseline, "peak": status("VmHWM"), "out": int(series.data.nbytes)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512, help="field [px] (square, even), default 512")
    parser.add_argument("--views", type=int, default=181, help="tilt angles over [-90°, 90°], default 181")
    parser.add_argument("--source-points", type=int, default=64, help="condenser points, default 64 (TXM's)")
    parser.add_argument("--_memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory_child:
        memory_child(args.size, args.views, args.source_points)
        return

    size, n_views = args.size, args.views
    angles = np.linspace(-90.0, 90.0, n_views)
    txm = instrument(args.source_points)
    log(f"building the phantom ({size} rows, {size // 2}² per particle) ...")
    phantom = sample(size)
    factor = optical_factor(VOXEL_NM, txm.zone_plate.outer_zone_nm)
    optical = (size * factor, size * factor)
    n_inverse = n_views * txm.n_source_points
    log("warm-up (numba compilation) ...")
    small = Phantom(phantom.fractions[:, :8, :16, :16], phantom.materials, VOXEL_NM)
    txm.acquire(small, [0.0, 30.0], seed=1)
    fft_only(2, 2, (16, 16))

    times, load = {}, {}
    log(f"acquire: {n_views} views of {size}², {txm.n_source_points} source points ...")
    start = cpu_snapshot()
    txm.acquire(phantom, angles, seed=1, n_cols=size, progress=True)
    end = cpu_snapshot()
    times["acquire (TXM wave, end to end)"], load["acquire (TXM wave, end to end)"] = end[0] - start[0], other_load(start, end)
    log("FFT only ...")
    start = cpu_snapshot()
    fft_only(n_views, txm.n_source_points, optical)
    end = cpu_snapshot()
    times["FFT only"], load["FFT only"] = end[0] - start[0], other_load(start, end)
    log("stages ...")
    start = cpu_snapshot()
    stages = staged(txm, phantom, angles, size)
    end = cpu_snapshot()
    stage_load = other_load(start, end)
    log("peak memory (fresh subprocess) ...")
    child = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--_memory-child", "--size", str(size), "--views", str(n_views),
         "--source-points", str(args.source_points)],
        capture_output=True, text=True, check=True,
    )
    memory = json.loads(child.stdout.strip().splitlines()[-1])

    mib = 2.0**20
    print(f"# TXM wave benchmark: {n_views} views over [-90°, 90°] of a {size}×{size} field of {VOXEL_NM:g} nm pixels, "
          f"{ENERGY_KEV:g} keV, {txm.n_source_points} source points, optical factor {factor} "
          f"(optical grid {optical[0]}×{optical[1]})")
    print(f"# sample: 2 battery particles of {PARTICLE_NM * size / 512:g} nm stacked along the rows, "
          f"grid {phantom.shape} voxels of {VOXEL_NM:g} nm, {len(phantom.materials)} materials")
    print(f"# FFTs counted: {n_views} forward + {n_views} × {txm.n_source_points} = {n_inverse} inverse, "
          f"complex64 {optical[0]}×{optical[1]}, scipy.fft workers=-1")
    print(f"# machine: {cpu_model()}, {os.cpu_count()} cores; python {platform.python_version()}, "
          f"numpy {np.__version__}, scipy {scipy.__version__}, numba {__import__('numba').__version__}")
    print("# one run each; load = cores taken by other processes while timed")
    print()
    print(f"| {'item':36s} | {'time [s]':>9s} | {'ms/view':>8s} | {'load':>5s} |")
    print(f"|{'-' * 38}|{'-' * 11}|{'-' * 10}|{'-' * 7}|")
    for name, t in times.items():
        print(f"| {name:36s} | {t:9.2f} | {1e3 * t / n_views:8.1f} | {load[name]:5.2f} |")
    print(f"| {'stages (a second run), sum':36s} | {sum(stages.values()):9.2f} | "
          f"{1e3 * sum(stages.values()) / n_views:8.1f} | {stage_load:5.2f} |")
    for name, t in stages.items():
        print(f"|   {name:34s} | {t:9.2f} | {1e3 * t / n_views:8.1f} | {'':5s} |")
    print()
    total, fft = times["acquire (TXM wave, end to end)"], times["FFT only"]
    ratio = total / fft
    print(f"acquire / FFT only: {ratio:.2f}× (target ≤ 2×: {'met' if ratio <= 2 else 'not met'})")
    print(f"Abbe imaging stage / FFT only: {stages['Abbe imaging (abbe_image)'] / fft:.2f}×")
    print(f"peak memory of acquire (fresh subprocess, VmHWM): {(memory['peak'] - memory['baseline']) / mib:.0f} MiB "
          f"above the {memory['baseline'] / mib:.0f} MiB before it (phantom built), {memory['peak'] / mib:.0f} MiB in all; "
          f"the series' counts alone are {memory['out'] / mib:.0f} MiB")


if __name__ == "__main__":
    main()

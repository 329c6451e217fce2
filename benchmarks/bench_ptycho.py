"""Speed of the scanning X-ray twin: ptychographic reconstruction against its FFTs, and XRF forward throughput.

**A. ePIE / rPIE against the FFTs they must do.** The problem of the issue:
256 scan positions (a 16 × 16 raster, step 3 px, 64 % overlap) and 128² far-field
patterns of a smooth random complex object (5 nm pixels), lit by the in-focus
probe of a zone plate (10 keV, D = 100 µm, Δr_N = 40 nm, FWHM 41.7 nm),
10⁶ photons per pattern, Poisson counts. Timed, ``--iters`` iterations each:

- ``recon.ptycho.epie`` with probe refinement (the full algorithm), and with
  the probe fixed; ``recon.ptycho.rpie`` with probe refinement;
- the same ePIE on a jittered scan (every position real-valued: the sub-pixel
  path, which adds two probe-shift FFTs per position to the two: the probe is
  kept as its spectrum, moved to the position by one inverse FFT and, once
  updated, back by one forward FFT);
- **FFT only**: what every iteration must do, one forward and one inverse
  ``scipy.fft`` FFT (``norm="ortho"``, complex128, one thread, as the loop
  calls them) of a 128² wave per position, called one position at a time —
  the ePIE update of position ``j`` needs the object as left by ``j − 1``,
  so the FFTs cannot be batched. Target (the issue): an iteration ≤ 2× FFT
  only. For reference, the same FFTs batched over all positions in one call.

The loop's time is reported whole (the call with ``--iters`` iterations,
including its set-up: validation, ``√I`` and the FFT shift of all patterns)
and per iteration without the set-up (the call's time minus that of a
1-iteration call, over ``iters − 1``). Each contender runs ``--repeats``
times, interleaved; the median counts. numba compilation is kept out by a
warm-up on a small case.

**B. XRF forward simulation throughput.** ``battery_particle(voxel_nm=13)``
(LiCoO2 with Li2TiO3, MgO, LiAlO2 domains, 128³ voxels), 10 keV (above the Co
K edge), at ``--xrf-angles`` angles: probe positions per second
(``n_rows × n_cols`` per angle) with self-absorption of
``instruments.xrf_sinogram.xrf_projections`` (the numba material-basis kernel
:mod:`sim.xrf_volume`, every row at once), without self-absorption, against
the peer in the same run — the per-slice element-map reference
``xrf_sinograms`` on the central slices — and of the whole instrument
(``Nanoprobe.acquire`` of the ``hxn-nanoprobe`` preset: probe blur, jittered
positions, spectra with Poisson counts, ROI maps, transmission and DPC).

Usage::

    python benchmarks/bench_ptycho.py                          # (~3 min on 2 cores)
    python benchmarks/bench_ptycho.py --iters 5 --repeats 3 --xrf-angles 2
    python benchmarks/bench_ptycho.py --skip-xrf --log /tmp/ptycho.json

Progress goes to stderr, the tables to stdout, and every number (with the
machine facts) to the JSON log (``--log``, default ``bench_ptycho.json`` in
the current directory).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numba
import numpy as np
import scipy
import scipy.fft
from scipy.ndimage import gaussian_filter

from recon.ptycho import epie, rpie
from sim.ptychography import diffraction_patterns, overlap_fraction
from sim.xray_probe import focused_probe, probe_fwhm_nm
from sim.zone_plate import ZonePlate
from machine import cpu_model, cpu_snapshot, log, other_load

PIXEL_NM = 5.0
ENERGY_KEV = 10.0
PHOTONS = 1e6
STEP_PX = 3
PEER_SLICES = 8
XRF_ENERGY_KEV = 10.0


def ptycho_problem(n_probe: int, n_side: int, jitter: bool):
    """Patterns, positions, the true probe and the object shape of an ``n_side``² raster of ``n_probe``² patterns."""
    probe = focused_probe(ZonePlate(diameter_um=100.0, outer_zone_nm=40.0), ENERGY_KEV, shape=(n_probe, n_probe),
                          pixel_nm=PIXEL_NM, flux_photons_per_s=PHOTONS).astype(np.complex128)
    n_obj = n_probe + STEP_PX * (n_side - 1) + 1
    rng = np.random.default_rng(1)
    phase = gaussian_filter(rng.standard_normal((n_obj, n_obj)), 1.0)
    obj = np.exp(1j * np.pi / 2 * phase / np.abs(phase).max())
    starts = np.arange(n_side) * STEP_PX
    rows, cols = np.meshgrid(starts, starts, indexing="ij")
    positions = np.stack([rows.ravel(), cols.ravel()], axis=1).astype(np.float64)
    if jitter:
        positions += rng.uniform(0.0, 1.0, positions.shape)
    patterns = diffraction_patterns(obj, probe, positions, photons_per_pattern=PHOTONS, seed=3)
    return patterns, positions, probe, obj.shape


def fft_only(n_positions: int, n_iter: int, n: int) -> None:
    """One forward and one inverse 2-D FFT per position and iteration, one call at a time, as the loop does."""
    wave = np.ones((n, n), np.complex128)
    for _ in range(n_iter):
        for _ in range(n_positions):
            far = scipy.fft.fft2(wave, norm="ortho", overwrite_x=True)
            wave = scipy.fft.ifft2(far, norm="ortho", overwrite_x=True)


def fft_batched(n_positions: int, n_iter: int, n: int) -> None:
    """The same FFTs batched over all positions (a lower bound no sequential engine can reach)."""
    waves = np.ones((n_positions, n, n), np.complex128)
    for _ in range(n_iter):
        far = scipy.fft.fft2(waves, norm="ortho", overwrite_x=True)
        waves = scipy.fft.ifft2(far, norm="ortho", overwrite_x=True)


def timed(function) -> tuple[float, float]:
    """(seconds, cores taken by other processes) of one call."""
    start = cpu_snapshot()
    function()
    end = cpu_snapshot()
    return end[0] - start[0], other_load(start, end)


def bench_ptycho(n_probe: int, n_side: int, n_iter: int, repeats: int) -> dict:
    log(f"ptychography: simulating {n_side ** 2} patterns of {n_probe}² ...")
    integer = ptycho_problem(n_probe, n_side, jitter=False)
    jittered = ptycho_problem(n_probe, n_side, jitter=True)
    patterns, positions, probe, shape = integer
    n_pos = positions.shape[0]
    fwhm_px = probe_fwhm_nm(probe, PIXEL_NM) / PIXEL_NM
    log("warm-up (numba compilation) ...")
    for case in (ptycho_problem(64, 2, False), ptycho_problem(64, 2, True)):
        for refine in (True, False):
            epie(case[0], case[1], case[2], case[3], n_iter=1, update_probe=refine)
    fft_only(2, 1, n_probe)

    ffts_per_position = {"ePIE, probe refined": 2, "ePIE, probe fixed": 2, "rPIE, probe refined": 2,
                         "ePIE, refined, sub-pixel scan": 4, "FFT only (2 per position)": 2,
                         "FFT only, batched (lower bound)": 2}
    contenders = {
        "ePIE, probe refined": lambda k: epie(*integer, n_iter=k, update_probe=True),
        "ePIE, probe fixed": lambda k: epie(*integer, n_iter=k, update_probe=False),
        "rPIE, probe refined": lambda k: rpie(*integer, n_iter=k, update_probe=True),
        "ePIE, refined, sub-pixel scan": lambda k: epie(*jittered, n_iter=k, update_probe=True),
        "FFT only (2 per position)": lambda k: fft_only(n_pos, k, n_probe),
        "FFT only, batched (lower bound)": lambda k: fft_batched(n_pos, k, n_probe),
    }
    runs = {name: {"whole": [], "one": [], "load": []} for name in contenders}
    for repeat in range(repeats):
        for name, run in contenders.items():
            log(f"  repeat {repeat + 1}/{repeats}: {name} ...")
            seconds, load = timed(lambda: run(n_iter))
            one, _ = timed(lambda: run(1))
            runs[name]["whole"].append(seconds)
            runs[name]["one"].append(one)
            runs[name]["load"].append(load)
    rows = {}
    for name, r in runs.items():
        whole = statistics.median(r["whole"])
        per_iter = statistics.median((w - o) / (n_iter - 1) for w, o in zip(r["whole"], r["one"])) if n_iter > 1 \
            else whole
        rows[name] = {"whole_s": whole, "per_iter_s": per_iter, "iters_per_s": n_iter / whole,
                      "load": statistics.median(r["load"]), "all_whole_s": r["whole"],
                      "ffts_per_position": ffts_per_position[name]}
    fft = rows["FFT only (2 per position)"]
    for row in rows.values():
        row["ratio_to_fft_whole"] = row["whole_s"] / fft["whole_s"]
        row["ratio_to_fft_per_iter"] = row["per_iter_s"] / fft["per_iter_s"]
    return {"n_positions": n_pos, "pattern": n_probe, "object": list(shape), "iters": n_iter, "repeats": repeats,
            "probe_fwhm_nm": fwhm_px * PIXEL_NM, "overlap": overlap_fraction(fwhm_px, STEP_PX), "rows": rows}


def bench_xrf(n_angles: int) -> dict:
    # Imported here so that part A runs where xraylib (the XRF physics) is not installed (--skip-xrf).
    import instruments
    import phantoms
    from instruments.xrf_sinogram import xrf_projections, xrf_sinograms

    log("XRF: building battery_particle(voxel_nm=13) ...")
    phantom = phantoms.get("battery_particle", voxel_nm=13.0)
    n_rows, n_z, n_x = phantom.shape
    angles = np.linspace(0.0, 180.0, n_angles, endpoint=False)
    instrument = instruments.preset("hxn-nanoprobe", energy_kev=XRF_ENERGY_KEV)
    log("warm-up (numba compilation) ...")
    xrf_projections(phantom, XRF_ENERGY_KEV, angles[:1], progress=False)
    xrf_sinograms(phantom, XRF_ENERGY_KEV, angles[:1], row=n_rows // 2, progress=False)
    instrument.acquire(phantom, angles[:1], seed=0, progress=False)

    log(f"  xrf_projections (material basis, all {n_rows} rows at once), {n_angles} angle(s) ...")
    volume_s, load_volume = timed(lambda: xrf_projections(phantom, XRF_ENERGY_KEV, angles, progress=False))
    log("  the same without self-absorption ...")
    free_s, load_free = timed(lambda: xrf_projections(phantom, XRF_ENERGY_KEV, angles, self_absorption=False,
                                                      progress=False))
    peer_rows = list(range(n_rows // 2 - PEER_SLICES // 2, n_rows // 2 + PEER_SLICES // 2))
    log(f"  peer: xrf_sinograms (element maps per slice) on {len(peer_rows)} slices ...")

    def peer():
        for row in peer_rows:
            xrf_sinograms(phantom, XRF_ENERGY_KEV, angles, row=row, progress=False)

    peer_s, load_peer = timed(peer)
    log(f"  the instrument: Nanoprobe.acquire ({instrument.scan.n_points} points per angle: XRF, spectra, "
        "transmission, DPC) ...")
    acquire_s, load_acquire = timed(lambda: instrument.acquire(phantom, angles, seed=0, progress=False))
    positions = n_rows * n_x * n_angles
    peer_positions = len(peer_rows) * n_x * n_angles
    return {"phantom_shape": list(phantom.shape), "voxel_nm": phantom.voxel_nm, "energy_kev": XRF_ENERGY_KEV,
            "angles": n_angles, "positions": positions,
            "lines": [line.name for line in xrf_projections(phantom, XRF_ENERGY_KEV, angles[:1], progress=False)[0].lines],
            "volume_s": volume_s, "load_volume": load_volume, "positions_per_s": positions / volume_s,
            "volume_free_s": free_s, "load_free": load_free, "positions_per_s_free": positions / free_s,
            "peer_s": peer_s, "load_peer": load_peer, "peer_slices": len(peer_rows),
            "positions_per_s_peer": peer_positions / peer_s,
            "speedup_over_peer": (positions / volume_s) / (peer_positions / peer_s),
            "instrument_s": acquire_s, "load_instrument": load_acquire,
            "instrument_points": instrument.scan.n_points * n_angles,
            "points_per_s_instrument": instrument.scan.n_points * n_angles / acquire_s}


def machine_facts() -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "numba": numba.__version__}


def print_ptycho(result: dict) -> None:
    print(f"# A. ptychography: {result['n_positions']} positions, {result['pattern']}² patterns, object "
          f"{result['object'][0]}², probe FWHM {result['probe_fwhm_nm']:.1f} nm, step {STEP_PX} px "
          f"(overlap {100 * result['overlap']:.0f} %), {result['iters']} iterations, median of {result['repeats']}")
    print("# whole = the call with its set-up; per iteration = (whole − a 1-iteration call) / (iters − 1)")
    print()
    print(f"| {'item':33s} | {'FFTs/pos':>8s} | {'whole [s]':>9s} | {'it/s':>6s} | {'per it [ms]':>11s} "
          f"| {'÷ FFT (per it)':>14s} | {'÷ FFT (whole)':>13s} | {'load':>5s} |")
    print(f"|{'-' * 35}|{'-' * 10}|{'-' * 11}|{'-' * 8}|{'-' * 13}|{'-' * 16}|{'-' * 15}|{'-' * 7}|")
    for name, row in result["rows"].items():
        print(f"| {name:33s} | {row['ffts_per_position']:8d} | {row['whole_s']:9.3f} | {row['iters_per_s']:6.2f} | "
              f"{1e3 * row['per_iter_s']:11.1f} | {row['ratio_to_fft_per_iter']:13.2f}× | "
              f"{row['ratio_to_fft_whole']:12.2f}× | {row['load']:5.2f} |")
    ratio = result["rows"]["ePIE, probe refined"]["ratio_to_fft_per_iter"]
    print()
    verdict = "met" if ratio <= 2 else "not met"
    print(f"ePIE (probe refined) per iteration / FFT only: {ratio:.2f}× (target ≤ 2×: {verdict})")


def print_xrf(result: dict) -> None:
    print()
    print(f"# B. XRF forward: battery_particle {tuple(result['phantom_shape'])} voxels of {result['voxel_nm']:g} nm, "
          f"{result['energy_kev']:g} keV, {result['angles']} angle(s); lines: {', '.join(result['lines'])}")
    print()
    print(f"| {'item':58s} | {'time [s]':>8s} | {'positions/s':>11s} | {'load':>5s} |")
    print(f"|{'-' * 60}|{'-' * 10}|{'-' * 13}|{'-' * 7}|")
    rows = (
        ("xrf_projections, self-absorption (all rows)", result["volume_s"], result["positions_per_s"],
         result["load_volume"]),
        ("xrf_projections, no self-absorption", result["volume_free_s"], result["positions_per_s_free"],
         result["load_free"]),
        (f"peer: xrf_sinograms per slice ({result['peer_slices']} slices)", result["peer_s"],
         result["positions_per_s_peer"], result["load_peer"]),
        ("Nanoprobe.acquire (XRF + spectra + transmission + DPC)", result["instrument_s"],
         result["points_per_s_instrument"], result["load_instrument"]),
    )
    for name, seconds, rate, load in rows:
        print(f"| {name:58s} | {seconds:8.2f} | {rate:11.0f} | {load:5.2f} |")
    print()
    print(f"{result['positions']} probe positions with self-absorption: {result['positions_per_s']:.0f} positions/s, "
          f"{result['speedup_over_peer']:.0f}× the per-slice element-map peer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pattern", type=int, default=128, help="pattern size [px], default 128")
    parser.add_argument("--side", type=int, default=16, help="raster side (positions = side²), default 16")
    parser.add_argument("--iters", type=int, default=5, help="iterations per timed call, default 5")
    parser.add_argument("--repeats", type=int, default=3, help="repeats (median), default 3")
    parser.add_argument("--xrf-angles", type=int, default=1, help="angles for the XRF throughput, default 1")
    parser.add_argument("--skip-xrf", action="store_true", help="part A only")
    parser.add_argument("--log", default="bench_ptycho.json", help="JSON log path, default ./bench_ptycho.json")
    args = parser.parse_args()

    results = {"machine": machine_facts(), "ptycho": bench_ptycho(args.pattern, args.side, args.iters, args.repeats)}
    if not args.skip_xrf:
        results["xrf"] = bench_xrf(args.xrf_angles)
    facts = results["machine"]
    print(f"# machine: {facts['cpu']}, {facts['cores']} cores; python {facts['python']}, numpy {facts['numpy']}, "
          f"scipy {facts['scipy']}, numba {facts['numba']}; load = cores taken by other processes while timed")
    print_ptycho(results["ptycho"])
    if "xrf" in results:
        print_xrf(results["xrf"])
    with open(args.log, "w") as f:
        json.dump(results, f, indent=1)
    log(f"log written to {args.log}")


if __name__ == "__main__":
    main()

"""A nanoprobe run end to end: XRF, transmission and ptychography of a phantom, reconstructed and scored.

:func:`run_nanoprobe` is what ``nanotomo run --instrument hxn-nanoprobe``
does. It writes, in the run folder:

- ``acquisition_time.json`` / ``acquisition_time.png``: the tomogram's time by part;
- ``xrf_<element>.h5``: each element's sinograms (Data Exchange, path
  integrals of the mass density, g/cm³·nm), ``transmission.h5`` (−log T);
- ``truth_<element>.h5`` and ``recon_<element>_<method>.h5``: the element
  volumes [g/cm³], including the self-absorption-aware reconstruction;
- ``spectra.csv`` / ``spectra.png``: the counted spectra of a few points of
  the first view, lines identified;
- ``element_maps.png`` (first view, measured vs truth), ``rgb_overlay.png``
  (three element maps), ``sinograms.png``, ``element_slices.png`` (the
  central row of every element volume: truth, each method, self-absorption-aware),
  ``self_absorption.json`` (their errors on the central rows),
  ``self_absorption.h5`` (the self-absorption-aware rows),
  ``orthoslices_transmission.png`` and ``dpc_phase.png``;
- ``ptycho.h5`` / ``ptycho.json`` / ``ptycho_phase.png``: the recovered phase of one view vs truth;
- ``scan_positions.h5``: the commanded and the true (jittered) probe positions of every angle;
- ``metrics.json`` and ``provenance.json``.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np
from scipy import ndimage
from rich.console import Console

import metrics
import recon
from recon.ptycho import ptycho_reconstruct
from recon.unwrap import unwrapped_phase
from recon.xrf import xrf_tomography
from experiments import nanoprobe_figures as figures
from experiments.reconstruct import reconstruct
from sim.fluorescence import NM_PER_CM
from sim import io, plot
from sim.io.atomic import atomic_write
from sim.projector import project
from sim.scanning_transmission import integrate_gradient
from sim.noise import generator
from sim.progress import track
from sim.tiltseries import TiltSeries
from sim.volume import Volume
from sim.xray_wave import wavenumber_per_nm
from sim.xray_probe import probe_fwhm_nm


def run_nanoprobe(spec, phantom, out: Path, console: Console, progress: bool) -> dict:
    """Acquire, reconstruct, score and write a nanoprobe run of ``spec`` on ``phantom`` into ``out``.

    Returns the scores per ``"<element>/<method>"``, the timings [s] and the
    acquisition time budget [s].
    """
    instrument = spec.instrument_config()
    scheme = spec.scheme()
    budget = instrument.acquisition_time(spec.n_views)
    console.log(f"{spec.instrument}: {instrument.probe_label()}, {instrument.scan.shape[0]}×{instrument.scan.shape[1]} "
                f"points of {instrument.scan.step_nm:g} nm at {instrument.scan.dwell_s * 1e3:g} ms, {spec.n_views} angles: "
                f"the tomogram takes {budget['total_h']:.3g} h")
    timings = {}
    clock = time.perf_counter()
    data = instrument.acquire(phantom, scheme, seed=spec.seed, progress=progress)
    timings["acquire"] = time.perf_counter() - clock
    for element, reason in data.unreachable:
        console.print(f"[yellow]not mapped:[/yellow] {element}: {reason}")
    for line, reason in data.undetected:
        console.print(f"[yellow]not detected:[/yellow] {line} at {reason}")

    volumes: dict[str, dict[str, Volume]] = {}
    scores = {}
    for name, series in {**data.xrf, "transmission": data.transmission}.items():
        volumes[name] = {}
        for method in spec.methods:
            clock = time.perf_counter()
            with console.status(f"reconstructing {name} with {method}"):
                volumes[name][method] = reconstruct(spec, method, series, progress=progress)
            timings[f"{name}/{method}"] = time.perf_counter() - clock
            scores[f"{name}/{method}"] = metrics.score(volumes[name][method], series.ground_truth)

    clock = time.perf_counter()
    mu0 = volumes["transmission"].get("sirt")
    if mu0 is None:
        mu0 = recon.get("sirt")(data.transmission, n_iter=40, progress=False)
    rows = _central_rows(data.transmission.data.shape[1], SELF_ABSORPTION_ROWS)
    with console.status(f"self-absorption-aware reconstruction of rows {rows[0]}-{rows[-1]}"):
        corrected = self_absorption_slices(data, mu0, instrument, _host_material(phantom), rows)
    timings["xrf-self-absorption"] = time.perf_counter() - clock
    slice_errors = _slice_errors(data, volumes, corrected, rows)
    for element, errors in slice_errors.items():
        console.log(f"{element}: relative error on rows {rows[0]}-{rows[-1]}: " +
                    ", ".join(f"{name} {value:.3f}" for name, value in errors.items()))

    clock = time.perf_counter()
    with console.status("writing results"):
        _write(out, spec, instrument, data, volumes, scores, budget, timings)
        io.write_json(slice_errors, out / "self_absorption.json")
        with atomic_write(out / "self_absorption.h5") as tmp, h5py.File(tmp, "w") as f:
            f.attrs["rows"] = rows
            f.attrs["voxel_nm"] = data.transmission.pixel_nm
            f.attrs["unit"] = "g/cm^3"
            for element, maps in corrected.items():
                f.create_dataset(element, data=maps.astype(np.float32))
        figures.element_slices(data, volumes, corrected, rows, out / "element_slices.png",
                               title=f"{spec.phantom}, {spec.instrument}: element volumes, row {rows[len(rows) // 2]}")
        _write_dpc(out, data, instrument, spec)
    timings["write"] = time.perf_counter() - clock

    clock = time.perf_counter()
    angle = float(data.transmission.angles_deg[int(np.argmin(np.abs(data.transmission.angles_deg)))])
    with console.status(f"ptychography of the {angle:g}° view"):
        ptycho = ptychography_view(instrument, phantom, angle, seed=spec.seed)
    timings["ptychography"] = time.perf_counter() - clock
    console.log(f"ptychography at {angle:g}°: {ptycho['n_positions']} patterns, overlap {ptycho['overlap']:.0%}, "
                f"phase error {ptycho['phase_rms_rad']:.3g} rad rms; FRC resolution {ptycho['frc_resolution_nm']:.3g} nm "
                f"against a probe FWHM of {ptycho['probe_fwhm_nm']:.3g} nm")
    with console.status("writing the ptychography"):
        _write_ptycho(out, ptycho, spec)
    return {"scores": scores, "timings_s": timings, "acquisition_time_s": budget}


SELF_ABSORPTION_ROWS = 5
"""Rows (central) reconstructed with the self-absorption-aware method in a run (it costs ~1 s per row and angle set)."""


def self_absorption_slices(data, mu0: Volume, instrument, matrix: str, rows, *, n_outer: int = 2,
                           n_iter: int = 50) -> dict[str, np.ndarray]:
    """Self-absorption-aware reconstruction (:func:`recon.xrf.xrf_tomography`) of ``rows`` of every element.

    The attenuation at the incident energy is ``mu0``, reconstructed from the
    transmission signal of the same scan; the attenuation at each line is
    estimated from it and the host ``matrix`` (a formula such as ``"LiCoO2"``).
    Returns element -> ``(len(rows), n_z, n_x)`` mass density [g/cm³].
    """
    omega = instrument.detector.solid_angle_sr
    lines = {element: series.provenance["line"] for element, series in data.xrf.items()}
    angles = data.transmission.angles_deg
    step = data.transmission.pixel_nm
    out = {element: [] for element in lines}
    for row in rows:
        sinograms = {series.provenance["line"]: series.data[:, row].astype(np.float64)
                     * series.provenance["cross_section_cm2_g"] * omega / (4.0 * np.pi) / NM_PER_CM
                     for series in data.xrf.values()}
        result = xrf_tomography(sinograms, angles, voxel_nm=step, energy_kev=instrument.energy_kev,
                                lines=tuple(lines.values()), mu_incident_per_nm=mu0.data[row].astype(np.float64),
                                matrix=matrix, n_outer=n_outer, n_iter=n_iter, detector_side=instrument.detector_side,
                                solid_angle_sr=omega, progress=False)
        for element in lines:
            out[element].append(result.densities[element])
    return {element: np.stack(maps) for element, maps in out.items()}


def _central_rows(n_rows: int, count: int) -> list[int]:
    first = max(0, n_rows // 2 - count // 2)
    return list(range(first, min(n_rows, first + count)))


def _host_material(phantom) -> str:
    """The formula of the material filling most of the phantom (the matrix of the attenuation estimate)."""
    volumes = [float(np.sum(fraction)) for fraction in phantom.fractions]
    return phantom.materials[int(np.argmax(volumes))].formula


def _slice_errors(data, volumes, corrected, rows) -> dict:
    """Relative L2 error against the truth on ``rows``: plain methods and the self-absorption-aware one."""
    errors = {}
    for element, series in data.xrf.items():
        truth = series.ground_truth.data[rows].astype(np.float64)
        norm = float(np.linalg.norm(truth)) or 1.0
        errors[element] = {method: float(np.linalg.norm(volume.data[rows] - truth)) / norm
                           for method, volume in volumes[element].items()}
        errors[element]["self-absorption-aware"] = float(np.linalg.norm(corrected[element] - truth)) / norm
    return errors


def _write_dpc(out: Path, data, instrument, spec) -> None:
    """The phase integrated from the first view's DPC gradients against the true projected phase."""
    first = int(np.argmin(np.abs(data.transmission.angles_deg)))
    step = instrument.scan.step_nm
    gradient = data.dpc_rad_per_nm[first]
    phase = integrate_gradient(gradient[0], gradient[1], step_nm=step)
    truth = data.phase_truth_rad[first]
    phase = phase - float(np.mean(phase)) + float(np.mean(truth))
    figures.phase_comparison(phase, truth, step, out / "dpc_phase.png",
                             title=f"{spec.phantom}, {spec.instrument}: phase from DPC at "
                                   f"{data.transmission.angles_deg[first]:g}° (Fourier-integrated)")


PTYCHO_ITERATIONS = 40
"""rPIE passes over all positions in a run's ptychography (the misfit levels off after ~20–30)."""


def ptychography_view(instrument, phantom, angle_deg: float, *, seed=0, n_iter: int = PTYCHO_ITERATIONS) -> dict:
    """Simulate and reconstruct the ptychographic scan of one view; compare its phase with the truth.

    The patterns come from the true (jittered) positions; the reconstruction
    (:func:`recon.ptycho.ptycho_reconstruct`, rPIE with probe refinement) is
    told the commanded ones and starts from the optic's model probe. The
    phase is unwrapped and, since ptychography fixes it only up to a
    constant and a linear ramp (traded against a shift of the probe), both
    it and the truth have their least-squares plane over the region the scan
    covered removed;
    the FRC (0.5 threshold, against a noise-free truth) gives its resolution.

    Returns a dict with the scan, the recovered object and probe, the
    phases [rad], the covered mask, ``phase_rms_rad``, ``frc_resolution_nm``,
    ``probe_fwhm_nm``, ``overlap``, ``probe_correlation`` and the misfit history.
    """
    scan = instrument.ptychography(phantom, angle_deg, seed=seed)
    obj, probe, errors = ptycho_reconstruct(scan.patterns, scan.commanded_px, scan.probe, scan.obj.shape,
                                            n_iter=n_iter, engine="rpie", seed=seed)
    n = scan.probe.shape[0]
    low = np.floor(scan.commanded_px.min(axis=0)).astype(int) + n // 4
    high = np.ceil(scan.commanded_px.max(axis=0)).astype(int) + n - n // 4
    covered = np.zeros(scan.obj.shape, bool)
    covered[low[0]:high[0], low[1]:high[1]] = True
    truth = unwrapped_phase(scan.obj, reference_mask=covered, remove_ramp=True)
    phase = unwrapped_phase(obj, reference_mask=covered, remove_ramp=True)
    rows, cols = slice(low[0], high[0]), slice(low[1], high[1])
    curve = metrics.fsc(phase[rows, cols], truth[rows, cols], voxel_nm=scan.pixel_nm)
    overlap_power = np.vdot(scan.probe, probe)
    correlation = float(np.abs(overlap_power) / (np.linalg.norm(scan.probe) * np.linalg.norm(probe)))
    return {"scan": scan, "obj": obj, "probe": probe, "phase_rad": phase, "truth_rad": truth, "covered": covered,
            "n_positions": int(scan.patterns.shape[0]), "overlap": scan.overlap,
            "phase_rms_rad": float(np.sqrt(np.mean((phase - truth)[covered] ** 2))),
            "frc_resolution_nm": float(curve.resolution_nm(0.5)),
            "probe_fwhm_nm": float(probe_fwhm_nm(scan.probe, scan.pixel_nm)),
            "probe_correlation": correlation, "misfit": [float(e) for e in errors], "frc": curve}


def ptycho_tomography(instrument, phantom, angles_deg, *, seed=0, n_iter: int = PTYCHO_ITERATIONS,
                      progress: bool = True) -> TiltSeries:
    """Ptycho-tomography: a ptychographic scan at every angle, each phase unwrapped, as a tilt series.

    Each view is simulated (:meth:`instruments.nanoprobe.Nanoprobe.ptychography`,
    whose field must cover the sample with a vacuum margin) and reconstructed
    by rPIE from the commanded positions; its phase is unwrapped with the
    field's edge (vacuum) as zero and resampled onto the phantom's
    ``(rows, x)`` grid. The series holds ``−φ = k∫δ dz`` [rad] — line
    integrals of ``k·δ`` [rad/nm], the ground truth — so every tomographic
    method reconstructs the refractive-index decrement (times ``k``).
    """
    angles = np.atleast_1d(np.asarray(angles_deg, dtype=np.float64))
    rng = generator(seed)
    k = wavenumber_per_nm(instrument.energy_kev)
    voxel = phantom.voxel_nm
    views = []
    for angle in track(angles, description="ptycho-tomography", enabled=progress):
        scan = instrument.ptychography(phantom, float(angle), seed=rng)
        obj, _, _ = ptycho_reconstruct(scan.patterns, scan.commanded_px, scan.probe, scan.obj.shape, n_iter=n_iter,
                                       engine="rpie", seed=rng)
        phase = unwrapped_phase(obj)
        centre = (np.array(obj.shape) - 1) / 2.0
        rows = (np.arange(phantom.shape[0]) - (phantom.shape[0] - 1) / 2.0) * voxel / scan.pixel_nm + centre[0]
        cols = (np.arange(phantom.shape[2]) - (phantom.shape[2] - 1) / 2.0) * voxel / scan.pixel_nm + centre[1]
        grid = np.stack(np.meshgrid(rows, cols, indexing="ij"))
        views.append(-ndimage.map_coordinates(phase, grid, order=1, mode="nearest"))
    truth = Volume(phantom.delta(instrument.energy_kev).data * k, voxel_nm=voxel,
                   quantity=f"k·δ at {instrument.energy_kev:g} keV", unit="rad/nm")
    return TiltSeries(np.stack(views), angles_deg=angles, pixel_nm=voxel, values="phase", unit="rad",
                      ground_truth=truth, provenance={"instrument": "nanoprobe", "signal": "ptychography",
                                                      "n_iter": int(n_iter), "engine": "rpie",
                                                      "ptycho_pixel_nm": instrument.ptycho_pixel_nm})


def _write_ptycho(out: Path, ptycho: dict, spec) -> None:
    scan = ptycho["scan"]
    rows, cols = np.nonzero(ptycho["covered"])
    window = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    figures.phase_comparison(ptycho["phase_rad"][window], ptycho["truth_rad"][window], scan.pixel_nm,
                             out / "ptycho_phase.png",
                             title=f"{spec.phantom}, {spec.instrument}: ptychographic phase at {scan.angle_deg:g}° "
                                   f"(rPIE, overlap {scan.overlap:.0%}); FRC resolution "
                                   f"{ptycho['frc_resolution_nm']:.3g} nm, probe FWHM {ptycho['probe_fwhm_nm']:.3g} nm")
    with atomic_write(out / "ptycho.h5") as tmp, h5py.File(tmp, "w") as f:
        f.attrs["pixel_nm"] = scan.pixel_nm
        f.attrs["angle_deg"] = scan.angle_deg
        f.attrs["overlap"] = scan.overlap
        for name in ("phase_rad", "truth_rad", "obj", "probe"):
            f.create_dataset(name, data=ptycho[name])
        f.create_dataset("true_probe", data=scan.probe)
        f.create_dataset("positions_px", data=scan.positions_px)
        f.create_dataset("commanded_px", data=scan.commanded_px)
        f.create_dataset("misfit", data=np.asarray(ptycho["misfit"]))
    io.write_json({key: ptycho[key] for key in ("n_positions", "overlap", "phase_rms_rad", "frc_resolution_nm",
                                                 "probe_fwhm_nm", "probe_correlation", "misfit")},
                  out / "ptycho.json")


def _write(out: Path, spec, instrument, data, volumes, scores, budget, timings) -> None:
    title = f"{spec.phantom}, {spec.instrument}, {instrument.energy_kev:g} keV"
    io.write_json(budget, out / "acquisition_time.json")
    figures.time_breakdown(budget, out / "acquisition_time.png",
                           title=f"{title}: {spec.n_views} angles, {instrument.scan.n_points} points each")
    for name, series in {**data.xrf, "transmission": data.transmission}.items():
        stem = name if name == "transmission" else f"xrf_{name}"
        io.save_series(series, out / f"{stem}.h5")
        if name != "transmission":
            io.save_volume(series.ground_truth, out / f"truth_{name}.h5")
        for method, volume in volumes[name].items():
            io.save_volume(volume, out / f"recon_{name}_{method}.h5")
    plot.orthoslices({"ground truth": data.transmission.ground_truth, **volumes["transmission"]},
                     out / "orthoslices_transmission.png", title=f"{title}: attenuation from the bright field")
    first = int(np.argmin(np.abs(data.transmission.angles_deg)))
    step = instrument.scan.step_nm
    measured = {e: s.data[first] for e, s in data.xrf.items()}
    truth = {e: project(s.ground_truth, [float(s.angles_deg[first])])[0] for e, s in data.xrf.items()}
    angle = float(data.transmission.angles_deg[first])
    figures.element_maps(measured, truth, step, out / "element_maps.png",
                         title=f"{title}: element maps at {angle:g}° (self-absorption included)")
    heaviest = sorted(data.xrf, key=lambda e: -data.xrf[e].provenance["line_energy_kev"])[:3]
    figures.rgb_overlay({e: measured[e] for e in heaviest}, step, out / "rgb_overlay.png",
                        title=f"{title}, {angle:g}°")
    _write_spectra(out, data)
    with atomic_write(out / "scan_positions.h5") as tmp, h5py.File(tmp, "w") as f:
        f.attrs["unit"] = "nm"
        f.attrs["axes"] = "(angle, point, (y, x)) from the field centre, row-major raster"
        f.create_dataset("true", data=data.positions_nm)
        f.create_dataset("commanded", data=instrument.scan.commanded_nm())
        f.create_dataset("angles_deg", data=data.transmission.angles_deg)
    peaks = identified_peaks(data, instrument)
    figures.spectra(data.spectra, data.bin_edges_kev, data.spectrum_points, peaks, out / "spectra.png",
                    title=f"{title}: spectra at {data.transmission.angles_deg[0]:g}°, "
                          f"{instrument.scan.dwell_s * 1e3:g} ms per point")
    figures.sinograms(data.xrf, out / "sinograms.png", title=title)
    io.write_json({name: metrics.scores_as_dict(s) for name, s in scores.items()}, out / "metrics.json")
    io.write_json({"spec": asdict(spec), "instrument": data.provenance, "timings_s": timings,
                   "unreachable": data.unreachable, "undetected": data.undetected,
                   "acquisition_time_s": budget}, out / "provenance.json")


def identified_peaks(data, instrument, *, min_counts: float = 1.0) -> dict:
    """Peaks (lines, escape and sum peaks) with at least ``min_counts`` mean counts at some point of the first view.

    Returns peak name -> energy [keV], from the detector's peak model applied
    to each line's largest mean count in the first view.
    """
    counts = {name: np.asarray(float(data.expected_counts[name][0].max())) for name in data.line_counts}
    energies = {name: data.line_energies_kev[name] for name in counts}
    peaks, peak_energies = instrument.detector.peaks(counts, energies, live_time_s=instrument.scan.dwell_s)
    return {name: peak_energies[name] for name, value in peaks.items() if float(value) >= min_counts}


def _write_spectra(out: Path, data) -> None:
    centres = 0.5 * (data.bin_edges_kev[1:] + data.bin_edges_kev[:-1])
    with atomic_write(out / "spectra.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["energy_kev", *data.spectrum_points])
        for k, energy in enumerate(centres):
            writer.writerow([f"{energy:.3f}", *(f"{v:g}" for v in data.spectra[:, k])])


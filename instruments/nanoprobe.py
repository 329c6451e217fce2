"""The scanning X-ray nanoprobe: one raster scan records fluorescence, transmission and phase at once.

A zone plate focuses the beam to a probe (:func:`sim.xray_probe.focused_probe`,
or the ``projection``-level Gaussian shortcut when ``probe_fwhm_nm`` is
set); the sample is raster-scanned through it (:class:`sim.raster_scan.RasterScan`,
with jitter recorded as ground truth) at every tomographic angle, while

- an energy-dispersive detector at 90° to the beam counts fluorescence
  (:func:`sim.xrf_volume.xrf_volume_projection`: every reachable line of
  every element, self-absorption of the incident and emitted beams, the
  detector's solid angle and efficiency; a spectrum per point with Poisson
  counts; region-of-interest element maps from the spectra);
- a pixel detector behind the sample records the transmitted beam: its total
  (bright field, absorption) and its centre of mass (differential phase
  contrast, ``k_com = ∇φ / 2π``, the probe-weighted phase gradient);
- in a separate, defocused scan of a smaller field (:meth:`Nanoprobe.ptychography`),
  the far-field diffraction patterns of chosen views for ptychography.

At this level the sample is a projection: each signal is the pencil-beam
signal on the phantom's voxel grid, blurred by the probe's intensity (its
lateral profile in focus; the change of the probe within its depth of focus,
``±2Δr_N²/λ`` ≈ 2 µm for 30 nm zones at 12 keV, is larger than a micron
particle and is ignored) and sampled at the jittered scan positions.

Units: energies keV, lengths nm (fields µm), times s, flux photons/s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from instruments.xrf_sinogram import element_concentrations, xrf_projections
from sim import validate
from sim.errors import ValidationError
from sim.fluorescence import expected_spectrum, reachable_lines, roi_maps
from sim.noise import generator, poisson_counts
from sim.progress import track
from sim.projector import project
from sim.ptychography import diffraction_patterns, overlap_fraction
from sim.raster_scan import RasterScan
from sim.scheme import TiltScheme
from sim.tiltseries import TiltSeries
from sim.version import __version__
from sim.volume import Volume
from sim.xray_probe import focused_probe, gaussian_probe, probe_fwhm_nm, source_modes
from sim.xray_wave import complex_transmission, project_refractive_index, wavenumber_per_nm
from sim.xrf_detector import XrfDetector
from sim.zone_plate import ZonePlate

NM_PER_CM = 1.0e7
MIN_DETECTED_FRACTION = 1.0e-2
"""Lines of which the detector records a smaller fraction (O Kα through 8 µm Be: 0.3 %) are not mapped."""
KERNEL_SOURCE_NODES = 7
"""Gauss–Hermite nodes per axis of the source in the probe's intensity (exact to the 13th moment: FWHM within 0.1 %);
ptychographic patterns use the default 3 (9 modes)."""
PROBE_FIELD_ZONES = 16.0
"""The probe kernel spans ±8 outermost-zone widths plus the defocus spread: the Airy rings beyond hold < 1 %."""


@dataclass(frozen=True)
class NanoprobeScan:
    """What one tomographic nanoprobe scan recorded, with its ground truth.

    Attributes
    ----------
    xrf : dict
        Element -> :class:`sim.TiltSeries` of ``"line integral"`` values: the
        mass density's path integral [g/cm³·nm] measured from the element's
        strongest line's region-of-interest counts, less the background
        (counts / (flux · dwell · detected fraction · σ · Ω/4π), the detected
        fraction being the efficiency less the escape peak), ground truth the element's mass density
        [g/cm³] on the scan grid. Self-absorption is in the data, not undone.
    line_counts : dict
        Line name -> ``(n_angles, n_lines_scan, n_points_per_line)`` ROI counts.
    expected_counts : dict
        Line name -> mean photons of that line reaching the detector (before
        its efficiency, escape and pile-up), every line of every element.
    transmission : TiltSeries
        ``"-log transmission"`` of the bright-field detector, ground truth
        μ at the incident energy [1/nm].
    dpc_rad_per_nm : ndarray, (n_angles, 2, n_scan_rows, n_scan_cols)
        Phase gradient (row, column) from the centre of mass of the
        transmitted beam, with its counting noise [rad/nm].
    phase_truth_rad : ndarray, (n_angles, n_scan_rows, n_scan_cols)
        The true projected phase ``−k∫δ dz`` at the scan positions (no probe blur) [rad].
    spectra : ndarray, (n_spectra, n_bins)
        Counted spectra of a few points of the first view.
    spectrum_points : list of str
        What each spectrum is (the element whose map peaks there).
    bin_edges_kev : ndarray
        Spectrum bin edges [keV].
    line_energies_kev : dict
        Line name -> energy [keV], every excited line.
    positions_nm : ndarray, (n_angles, n_points, 2)
        True probe positions (jitter included) [nm], ``(y, x)`` from the field centre.
    unreachable : list
        ``(element, reason)`` for elements with no line at this energy.
    undetected : list
        ``(line, reason)`` for excited lines the detector hardly sees
        (detected fraction below 1 %, e.g. O Kα behind a Be window) or
        outside the spectrum; they are not mapped.
    time_s : dict
        The acquisition time by part (:meth:`RasterScan.tomography_time`).
    """

    xrf: dict
    line_counts: dict
    expected_counts: dict
    transmission: TiltSeries
    dpc_rad_per_nm: np.ndarray
    phase_truth_rad: np.ndarray
    spectra: np.ndarray
    spectrum_points: list
    bin_edges_kev: np.ndarray
    line_energies_kev: dict
    positions_nm: np.ndarray
    unreachable: list
    undetected: list
    time_s: dict
    provenance: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PtychographyScan:
    """The far-field patterns of one view's ptychographic scan, with the truth.

    Attributes
    ----------
    patterns : ndarray, (n_pos, n, n)
        Poisson counts, zero frequency at the centre.
    positions_px : ndarray, (n_pos, 2)
        True window corners (row, col) in object pixels (jitter included; real-valued).
    commanded_px : ndarray, (n_pos, 2)
        The commanded corners [px] (what a reconstruction is told).
    probe : ndarray, complex, (n, n)
        The true probe [√photons per pixel].
    obj : ndarray, complex, (rows, cols)
        The true object transmission on the object grid.
    pixel_nm : float
        Object pixel [nm].
    overlap : float
        Linear overlap of neighbouring probe positions (``1 − step / FWHM``).
    angle_deg : float
        Tilt of the view [deg].
    """

    patterns: np.ndarray
    positions_px: np.ndarray
    commanded_px: np.ndarray
    probe: np.ndarray
    obj: np.ndarray
    pixel_nm: float
    overlap: float
    angle_deg: float


@dataclass(frozen=True)
class Nanoprobe:
    """Scanning X-ray nanoprobe: XRF (self-absorption), transmission, DPC and ptychography in one scan.

    Parameters
    ----------
    energy_kev : float
        Incident photon energy [keV].
    flux_photons_per_s : float
        Photons per second in the focus [photons/s].
    zone_plate : ZonePlate
        The focusing optic; the probe and its depth of focus follow from it.
    probe_fwhm_nm : float, optional
        If set, a Gaussian probe of this FWHM replaces the zone plate's (the
        ``projection``-level shortcut, labelled so in the provenance).
    source_fwhm_nm : float
        FWHM of the source's demagnified image in the focus [nm]: partial
        spatial coherence (:func:`sim.xray_probe.source_modes`); it widens
        the probe's intensity and mixes ptychographic patterns incoherently.
        0 is a fully coherent probe.
    scan : RasterScan
        The raster at every angle: field, step, dwell, mode, overheads, jitter.
    detector : XrfDetector
        The fluorescence detector (solid angle, efficiency, resolution).
    detector_side : int
        ``+1``: the fluorescence detector looks from +x at 0°; ``−1``: from −x.
    background_cps_per_kev : float
        Flat spectral background (scatter, incomplete charge collection)
        [counts/s/keV].
    spectrum_max_kev : float
        Upper edge of the recorded spectrum [keV] (bins of 10 eV from 0.1 keV).
    rotation_overhead_s : float
        Per angle: rotate, re-centre, refocus [s].
    ptycho_field_um : float
        Side of the square field of the ptychographic scan [µm].
    ptycho_step_nm : float
        Step of the ptychographic scan [nm].
    ptycho_defocus_nm : float
        Defocus of the probe for ptychography [nm] (a larger probe for overlap).
    ptycho_pixel_nm : float
        Object pixel of ptychography [nm] (set by the detector's angular range).
    ptycho_pattern_px : int
        Diffraction pattern side [px].
    self_absorption : bool
        Attenuate the incident and emitted beams (``False``: the linear reference).
    """

    energy_kev: float = 12.0
    flux_photons_per_s: float = 1.0e9
    zone_plate: ZonePlate = field(default_factory=lambda: ZonePlate(diameter_um=160.0, outer_zone_nm=30.0,
                                                                    central_stop_fraction=0.3, efficiency=0.15))
    probe_fwhm_nm: float | None = None
    source_fwhm_nm: float = 0.0
    scan: RasterScan = field(default_factory=lambda: RasterScan(field_um=(1.6, 1.6), step_nm=20.0, dwell_s=0.05,
                                                                 mode="fly"))
    detector: XrfDetector = field(default_factory=XrfDetector)
    detector_side: int = 1
    background_cps_per_kev: float = 20.0
    spectrum_max_kev: float | None = None
    rotation_overhead_s: float = 10.0
    ptycho_field_um: float = 0.6
    ptycho_step_nm: float = 20.0
    ptycho_defocus_nm: float = 60_000.0
    ptycho_pixel_nm: float = 8.0
    ptycho_pattern_px: int = 64
    self_absorption: bool = True

    def __post_init__(self):
        validate.positive("energy_kev", self.energy_kev, "keV")
        validate.positive("flux_photons_per_s", self.flux_photons_per_s, "photons/s")
        if not isinstance(self.zone_plate, ZonePlate):
            raise ValidationError("zone_plate", self.zone_plate, "a sim.zone_plate.ZonePlate")
        if self.probe_fwhm_nm is not None:
            validate.positive("probe_fwhm_nm", self.probe_fwhm_nm, "nm")
        validate.non_negative("source_fwhm_nm", self.source_fwhm_nm, "nm")
        if not isinstance(self.scan, RasterScan):
            raise ValidationError("scan", self.scan, "a sim.raster_scan.RasterScan")
        if not isinstance(self.detector, XrfDetector):
            raise ValidationError("detector", self.detector, "a sim.xrf_detector.XrfDetector")
        if self.detector_side not in (1, -1):
            raise ValidationError("detector_side", self.detector_side, "+1 or -1")
        validate.non_negative("background_cps_per_kev", self.background_cps_per_kev, "counts/s/keV")
        if self.spectrum_max_kev is not None:
            validate.positive("spectrum_max_kev", self.spectrum_max_kev, "keV")
        validate.non_negative("rotation_overhead_s", self.rotation_overhead_s, "s")
        for name in ("ptycho_field_um", "ptycho_step_nm", "ptycho_pixel_nm"):
            validate.positive(name, getattr(self, name), "µm" if name.endswith("um") else "nm")
        validate.finite("ptycho_defocus_nm", self.ptycho_defocus_nm, "nm")
        n = self.ptycho_pattern_px
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 8:
            raise ValidationError("ptycho_pattern_px", n, "an integer >= 8 [px]")

    @property
    def fidelity(self) -> str:
        """``"projection"`` (the sample as a projection, probe blur and sampling included)."""
        return "projection"

    def probe_label(self) -> str:
        """Which probe the instrument uses, for plots and provenance."""
        if self.probe_fwhm_nm is not None:
            return f"Gaussian shortcut, FWHM {self.probe_fwhm_nm:g} nm"
        return f"zone plate Δr_N = {self.zone_plate.outer_zone_nm:g} nm, D = {self.zone_plate.diameter_um:g} µm"

    def probe(self, pixel_nm: float, n_px: int, defocus_nm: float = 0.0) -> np.ndarray:
        """The complex probe on an ``(n_px, n_px)`` grid of ``pixel_nm`` [√(photons/s) per pixel]."""
        shape = (int(n_px), int(n_px))
        if self.probe_fwhm_nm is not None:
            return gaussian_probe(self.probe_fwhm_nm, shape=shape, pixel_nm=pixel_nm,
                                  flux_photons_per_s=self.flux_photons_per_s)
        return focused_probe(self.zone_plate, self.energy_kev, shape=shape, pixel_nm=pixel_nm, defocus_nm=defocus_nm,
                             flux_photons_per_s=self.flux_photons_per_s)

    def probe_kernel(self, voxel_nm: float) -> np.ndarray:
        """The probe's intensity on a voxel grid, summing to 1 (odd square, centred).

        Computed on a finer grid (an odd number of sub-pixels per voxel, at
        most half the outermost zone width) and summed into voxels.
        """
        voxel = validate.positive("voxel_nm", voxel_nm, "nm")
        zone = self.zone_plate.outer_zone_nm if self.probe_fwhm_nm is None else self.probe_fwhm_nm / 2.0
        sub = math.ceil(2.0 * voxel / zone)
        sub += 1 - sub % 2
        half = math.ceil((PROBE_FIELD_ZONES * zone / 2.0 + 2.0 * self.source_fwhm_nm) / voxel)
        n_vox = 2 * half + 1
        modes, weights = source_modes(self.probe(voxel / sub, n_vox * sub), voxel / sub, self.source_fwhm_nm,
                                      n_per_axis=KERNEL_SOURCE_NODES)
        intensity = np.tensordot(weights, np.abs(modes) ** 2, 1)
        kernel = intensity.reshape(n_vox, sub, n_vox, sub).sum(axis=(1, 3)).astype(np.float64)
        return kernel / kernel.sum()

    def acquisition_time(self, n_angles: int) -> dict[str, float]:
        """The tomogram's time by part [s] and in hours (:meth:`RasterScan.tomography_time`)."""
        return self.scan.tomography_time(n_angles, self.rotation_overhead_s)

    def bin_edges_kev(self) -> np.ndarray:
        """Spectrum bin edges [keV]: 10 eV bins from 0.1 keV to ``spectrum_max_kev`` (default E + 1 keV)."""
        top = self.spectrum_max_kev if self.spectrum_max_kev is not None else self.energy_kev + 1.0
        return np.arange(0.1, top + 1e-9, 0.01)

    def acquire(self, phantom, scheme, *, seed=0, elements=None, progress: bool = True) -> NanoprobeScan:
        """Scan ``phantom`` at every tilt of ``scheme``: XRF, transmission and DPC.

        Parameters
        ----------
        phantom : phantoms.Phantom
            The sample; the scan field is centred on it.
        scheme : TiltScheme or array_like
            Rotation angles [deg], in acquisition order.
        seed : int or numpy.random.Generator
            Jitter and counting noise; the same seed gives bit-identical data.
        elements : sequence of str, optional
            The elements to map (default: every element of the phantom with
            a detected line). An element named here with no line excited at
            ``energy_kev`` is an error naming it and its edges.
        progress : bool
            Show a progress bar.
        """
        angles = scheme.angles_deg if isinstance(scheme, TiltScheme) else validate.angles("scheme", scheme)
        self.detector.require_outside(0.5 * math.hypot(*phantom.extent_nm[1:]))
        wanted = None if elements is None else set(reachable_lines(list(elements), self.energy_kev, required=True)[0])
        rng = generator(seed)
        tables, signals = xrf_projections(phantom, self.energy_kev, angles, detector_side=self.detector_side,
                                          solid_angle_sr=self.detector.solid_angle_sr,
                                          self_absorption=self.self_absorption, progress=progress)
        voxel = phantom.voxel_nm
        kernel = self.probe_kernel(voxel)
        mu_volume = phantom.mu_per_nm(self.energy_kev)
        delta_paths, _ = project_refractive_index(phantom.delta(self.energy_kev), phantom.beta(self.energy_kev),
                                                  angles, voxel_nm=voxel)
        mu_paths = project(mu_volume, angles, voxel_nm=voxel)
        k = wavenumber_per_nm(self.energy_kev)
        photons = self.flux_photons_per_s * self.scan.dwell_s
        edges = self.bin_edges_kev()
        energies = {line.name: line.energy_kev for line in tables.lines}
        parent = {name: float(self.detector.peaks({name: np.ones(())}, {name: energy},
                                                  live_time_s=self.scan.dwell_s, pileup_lines=0)[0][name])
                  for name, energy in energies.items()}
        in_range = {name for name, energy in energies.items()
                    if edges[0] < energy < edges[-1] and parent[name] >= MIN_DETECTED_FRACTION}
        undetected = [(name, f"{energies[name]:.3f} keV: {parent[name]:.2g} of its photons are detected "
                             f"(window {self.detector.be_window_um:g} µm Be)") for name in sorted(set(energies) - in_range)]
        background = self.background_cps_per_kev * self.scan.dwell_s
        resolution = self.detector.fwhm_at_mn_ka_ev
        background_roi = roi_maps(expected_spectrum({}, {}, edges, background_per_kev=np.full((1,), background),
                                                     fwhm_at_mn_ka_ev=resolution),
                                  edges, {n: energies[n] for n in in_range}, fwhm_at_mn_ka_ev=resolution)
        n_lines_scan, per_line = self.scan.shape
        n_angles = angles.size
        expected = {line.name: np.empty((n_angles, n_lines_scan, per_line)) for line in tables.lines}
        measured = {name: np.empty((n_angles, n_lines_scan, per_line)) for name in in_range}
        bright = np.empty((n_angles, n_lines_scan, per_line))
        dpc = np.empty((n_angles, 2, n_lines_scan, per_line))
        phase_truth = np.empty((n_angles, n_lines_scan, per_line))
        positions = np.empty((n_angles, self.scan.n_points, 2))
        dpc_sigma = 2.0 * math.pi * self._pattern_rms_per_nm() / math.sqrt(photons)
        spectra = spectrum_points = None
        for a in track(range(n_angles), description="nanoprobe scan", enabled=progress):
            positions[a] = self.scan.positions_nm(rng)
            coords = _voxel_coords(positions[a], phantom.shape, voxel)
            for j, line in enumerate(tables.lines):
                expected[line.name][a] = _sample(signals[j, a], kernel, coords, (n_lines_scan, per_line)) * photons
            transmitted = _sample(np.exp(-mu_paths[a].astype(np.float64)), kernel, coords,
                                  (n_lines_scan, per_line), outside=1.0)
            bright[a] = poisson_counts(transmitted * photons, rng)
            phase = -k * delta_paths[a].astype(np.float64)
            phase_truth[a] = ndimage.map_coordinates(phase, coords, order=1, mode="constant").reshape(n_lines_scan,
                                                                                                        per_line)
            for axis in range(2):
                gradient = np.gradient(phase, voxel, axis=axis)
                dpc[a, axis] = _sample(gradient, kernel, coords, (n_lines_scan, per_line)) \
                    + rng.normal(0.0, dpc_sigma, (n_lines_scan, per_line))
            counted = self.detector.spectrum({n: expected[n][a] for n in in_range}, energies, edges,
                                             live_time_s=self.scan.dwell_s, background_per_kev=background,
                                             seed=rng).astype(np.float64)
            rois = roi_maps(counted, edges, {n: energies[n] for n in in_range}, fwhm_at_mn_ka_ev=resolution)
            for name in in_range:
                measured[name][a] = rois[name] - background_roi[name][0]
            if a == 0:
                spectrum_points, flat = _spectrum_points(expected, tables.lines, in_range)
                spectra = counted.reshape(-1, counted.shape[-1])[flat]
        if np.any(bright == 0):
            raise ValidationError("phantom", "<no photon transmitted at some points>",
                                  "a sample thin enough to transmit the beam, or a higher flux or dwell")
        grid_voxel = self.scan.step_nm
        transmission = TiltSeries(
            -np.log(bright / photons), angles_deg=angles, pixel_nm=grid_voxel, values="-log transmission", unit="1",
            dose_per_view=np.full(n_angles, photons), dose_unit="photons/point",
            ground_truth=_resample_truth(mu_volume.data, voxel, grid_voxel, self.scan.shape,
                                         quantity=f"linear attenuation coefficient at {self.energy_kev:g} keV",
                                         unit="1/nm"),
            provenance=self._provenance(seed, "transmission"))
        principal = _principal_lines(tables.lines, in_range)
        densities = element_concentrations(phantom)
        xrf = {}
        for element, line in principal.items():
            if wanted is not None and element not in wanted:
                continue
            scale = photons * parent[line.name] * line.cross_section_cm2_g * self.detector.solid_angle_sr \
                / (4.0 * math.pi) / NM_PER_CM
            truth = densities[element]
            xrf[element] = TiltSeries(
                measured[line.name] / scale, angles_deg=angles, pixel_nm=grid_voxel, values="line integral",
                unit="g/cm^3·nm",
                ground_truth=_resample_truth(truth, voxel, grid_voxel, self.scan.shape,
                                             quantity=f"mass density of {element}", unit="g/cm^3"),
                provenance={**self._provenance(seed, f"XRF {line.name}"), "line": line.name,
                            "line_energy_kev": line.energy_kev, "cross_section_cm2_g": line.cross_section_cm2_g,
                            "detected_fraction": parent[line.name]})
        return NanoprobeScan(xrf=xrf, line_counts=measured, expected_counts=expected, transmission=transmission,
                             dpc_rad_per_nm=dpc, phase_truth_rad=phase_truth, spectra=spectra, spectrum_points=spectrum_points,
                             bin_edges_kev=edges, line_energies_kev=energies, positions_nm=positions, unreachable=tables.unreachable,
                             undetected=undetected,
                             time_s=self.acquisition_time(n_angles), provenance=self._provenance(seed, "scan"))

    def ptychography(self, phantom, angle_deg: float = 0.0, *, seed=0) -> PtychographyScan:
        """The far-field diffraction patterns of a ptychographic scan of one view (thin object).

        With a partially coherent source (``source_fwhm_nm`` > 0) each pattern
        is the incoherent sum of the patterns of the source's probe modes;
        the returned ``probe`` is the coherent one.

        The object is the phantom's complex transmission at ``angle_deg``
        (projected δ and β, :func:`sim.xray_wave.complex_transmission`)
        resampled to ``ptycho_pixel_nm``; the probe is the optic's at
        ``ptycho_defocus_nm``; the positions are a ``ptycho_field_um``
        raster of ``ptycho_step_nm`` with the scan's jitter.

        Raises
        ------
        ValidationError
            When the scan's overlap makes the pattern grid impossible: the
            probe window would leave the object, or neighbouring positions
            would not overlap at all.
        """
        angle = validate.finite("angle_deg", angle_deg, "deg")
        rng = generator(seed)
        pixel = self.ptycho_pixel_nm
        n = self.ptycho_pattern_px
        probe = self.probe(pixel, n, self.ptycho_defocus_nm)
        fwhm = probe_fwhm_nm(probe, pixel)
        overlap = overlap_fraction(fwhm, self.ptycho_step_nm)
        if overlap <= 0.0:
            raise ValidationError("ptycho_step_nm", self.ptycho_step_nm,
                                  f"< the probe's FWHM {fwhm:.3g} nm (no overlap between neighbouring positions)")
        raster = RasterScan(field_um=(self.ptycho_field_um, self.ptycho_field_um), step_nm=self.ptycho_step_nm,
                            dwell_s=self.scan.dwell_s, jitter_nm=self.scan.jitter_nm)
        true_nm = raster.positions_nm(rng)
        commanded_nm = raster.commanded_nm()
        extent = self.ptycho_field_um * 1e3 + n * pixel + 8.0 * max(self.scan.jitter_nm, pixel)
        side = int(math.ceil(extent / pixel))
        delta, beta = project_refractive_index(phantom.delta(self.energy_kev), phantom.beta(self.energy_kev), [angle],
                                               voxel_nm=phantom.voxel_nm)
        centre = (side - 1) / 2.0
        rows, cols = np.meshgrid(np.arange(side) - centre, np.arange(side) - centre, indexing="ij")
        coords = np.stack([rows * pixel / phantom.voxel_nm + (phantom.shape[0] - 1) / 2.0,
                           cols * pixel / phantom.voxel_nm + (phantom.shape[2] - 1) / 2.0])
        delta_obj = ndimage.map_coordinates(delta[0].astype(np.float64), coords, order=1, mode="constant")
        beta_obj = ndimage.map_coordinates(beta[0].astype(np.float64), coords, order=1, mode="constant")
        obj = complex_transmission(delta_obj, beta_obj, self.energy_kev)
        to_corner = centre - (n - 1) / 2.0
        true_px = true_nm / pixel + to_corner
        commanded_px = commanded_nm / pixel + to_corner
        modes, weights = source_modes(probe * math.sqrt(self.scan.dwell_s), pixel, self.source_fwhm_nm)
        mean = sum(w * diffraction_patterns(obj, mode, true_px) for mode, w in zip(modes, weights))
        patterns = poisson_counts(mean, rng).astype(np.float64)
        return PtychographyScan(patterns=patterns, positions_px=true_px, commanded_px=commanded_px,
                                probe=probe * math.sqrt(self.scan.dwell_s), obj=obj, pixel_nm=pixel,
                                overlap=overlap, angle_deg=angle)

    def _pattern_rms_per_nm(self) -> float:
        """RMS spatial frequency of the transmitted beam per axis [1/nm]: half the pupil radius for a disc."""
        if self.probe_fwhm_nm is not None:
            sigma_nm = self.probe_fwhm_nm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
            return 1.0 / (4.0 * math.pi * sigma_nm)
        return 0.5 * self.zone_plate.cutoff_frequency_per_nm(self.energy_kev)

    def _provenance(self, seed, signal: str) -> dict:
        return {"instrument": "nanoprobe", "signal": signal, "fidelity": self.fidelity, "probe": self.probe_label(),
                "energy_kev": self.energy_kev, "flux_photons_per_s": self.flux_photons_per_s,
                "step_nm": self.scan.step_nm, "dwell_s": self.scan.dwell_s, "jitter_nm": self.scan.jitter_nm,
                "self_absorption": self.self_absorption, "seed": seed if isinstance(seed, int) else "generator",
                "version": __version__}


def _voxel_coords(positions_nm: np.ndarray, shape, voxel_nm: float) -> np.ndarray:
    """Scan positions ``(y, x)`` [nm] from the phantom's centre as (row, column) voxel coordinates."""
    return np.stack([positions_nm[:, 0] / voxel_nm + (shape[0] - 1) / 2.0,
                     positions_nm[:, 1] / voxel_nm + (shape[2] - 1) / 2.0])


def _sample(image: np.ndarray, kernel: np.ndarray, coords: np.ndarray, grid, outside: float = 0.0) -> np.ndarray:
    """``image`` blurred by the probe kernel, sampled (bilinear) at the scan positions, on the scan grid."""
    blurred = ndimage.convolve(image, kernel, mode="constant", cval=outside)
    return ndimage.map_coordinates(blurred, coords, order=1, mode="constant", cval=outside).reshape(grid)


def _resample_truth(data: np.ndarray, voxel_nm: float, grid_nm: float, scan_shape, *, quantity: str,
                    unit: str) -> Volume:
    """A phantom-grid volume on the scan grid ``(n_lines, n_points, n_points)`` of pitch ``grid_nm``, centred."""
    n_rows, n_cols = scan_shape
    shape = (n_rows, n_cols, n_cols)
    axes = [(np.arange(m) - (m - 1) / 2.0) * grid_nm / voxel_nm + (n - 1) / 2.0 for m, n in zip(shape, data.shape)]
    coords = np.stack(np.meshgrid(*axes, indexing="ij"))
    if grid_nm > voxel_nm:
        data = ndimage.gaussian_filter(np.asarray(data, np.float64), 0.5 * grid_nm / voxel_nm)
    values = ndimage.map_coordinates(np.asarray(data, np.float64), coords, order=1, mode="constant")
    return Volume(np.maximum(values, 0.0), voxel_nm=grid_nm, quantity=quantity, unit=unit)


def _principal_lines(lines, in_range) -> dict:
    """Element -> its strongest recorded line (largest cross section within the spectrum)."""
    best = {}
    for line in lines:
        if line.name not in in_range:
            continue
        element = line.name.split()[0]
        if element not in best or line.cross_section_cm2_g > best[element].cross_section_cm2_g:
            best[element] = line
    return best


def _spectrum_points(expected: dict, lines, in_range) -> tuple[list, np.ndarray]:
    """A few points of the first view: where each element's strongest line peaks."""
    names, flat = [], []
    for element, line in _principal_lines(lines, in_range).items():
        index = int(np.argmax(expected[line.name][0]))
        if index not in flat:
            names.append(f"{element}-rich point")
            flat.append(index)
    return names, np.array(flat, dtype=np.int64)


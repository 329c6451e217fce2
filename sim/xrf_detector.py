"""Energy-dispersive silicon-drift detector (SDD) of an X-ray fluorescence microprobe.

The detector is a disc of area ``A`` facing the sample at distance ``d``
(its axis in the tomography plane, at 90° to the beam). For every photon
arriving at it the model gives

1. **Solid angle** of a disc seen from a point on its axis,
   ``Ω = 2π (1 − d/√(d² + r²))`` with ``r = √(A/π)`` (exact), and the
   half-angle of the acceptance cone ``α = atan(r/d)``.
2. **Efficiency** (normal incidence): transmission of the Be window and of
   the Si dead layer times absorption in the sensitive Si,
   ``ε(E) = exp(−μ_Be ρ_Be t_Be) · exp(−μ_Si ρ_Si t_dead) · (1 − exp(−τ_Si ρ_Si t_Si))``
   with ``μ`` the total (``CS_Total``) and ``τ`` the photoelectric
   (``CS_Photo``) mass attenuation coefficients of xraylib [cm²/g]
   (Schoonjans et al., Spectrochim. Acta B 66, 776 (2011)) and the element
   densities of xraylib (Be 1.848, Si 2.33 g/cm³). This is the usual EDS
   efficiency model (Scholze & Procop, X-Ray Spectrom. 38, 312 (2009));
   Compton-scattered photons are counted as lost (a thin planar sensor).
3. **Si escape peaks**: a photon absorbed in the K shell of a Si atom near
   the entrance face may lose the Si Kα photon (1.740 keV) it emits, giving
   a peak at ``E − 1.740 keV``. The escaped fraction of the detected photons
   is Reed & Ware's closed form for normal incidence on a thick detector
   (J. Phys. E 5, 582 (1972)),
   ``f = ½ ω_K (1 − 1/J_K) [1 − (μ_K/μ_E) ln(1 + μ_E/μ_K)]`` for ``E`` above
   the Si K edge (1.839 keV), with ``ω_K`` the Si K fluorescence yield,
   ``J_K`` the K jump ratio and ``μ_E``, ``μ_K`` the total attenuation of Si
   at ``E`` and at Si Kα (xraylib). The parent peak loses what the escape
   peak gains.
4. **Pile-up (sum peaks)**: two photons arriving within the pulse-pair
   resolving time ``τ`` are recorded as one at the sum of their energies.
   For Poisson arrivals at rates ``R_i`` over the live time ``T`` the sum
   events of lines ``i ≠ j`` number ``2τ R_i R_j T`` and of ``i`` with
   itself ``τ R_i² T``, each removing its two parent photons (first order in
   ``Rτ``; Statham, X-Ray Spectrom. 6, 94 (1977); Knoll, *Radiation
   Detection and Measurement*, 4th ed., ch. 17). The pairs of the
   ``pileup_lines`` strongest lines are modelled (three by default: the
   main sum peaks); weaker pairs, pile-up with the background, triple
   pile-up and escape peaks of sum peaks (all higher order) are not.
5. **Peaks**: Gaussian with the Fano-limited resolution
   (:func:`sim.fluorescence.detector_fwhm_ev`) on a flat background, the
   Poisson counts drawn through :mod:`sim.noise`.

Not modelled: incomplete charge collection (low-energy tails, shelf),
dead-time losses of throughput, Si internal fluorescence, Compton escape,
the angular spread of incidence on the sensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xraylib

from sim import validate
from sim.errors import ValidationError
from sim.fluorescence import detector_fwhm_ev, expected_spectrum
from sim.noise import generator, poisson_counts

SI_Z = 14
BE_Z = 4
SI_KA_KEV = float(xraylib.LineEnergy(SI_Z, xraylib.KA_LINE))
SI_K_EDGE_KEV = float(xraylib.EdgeEnergy(SI_Z, xraylib.K_SHELL))
CM_PER_UM = 1.0e-4
NM_PER_MM = 1.0e6


def _mass_attenuation(cross_section, z: int, energy_kev: np.ndarray) -> np.ndarray:
    """xraylib cross section ``cross_section(z, E)`` [cm²/g] on an array of energies [keV]."""
    flat = [float(cross_section(z, float(e))) for e in energy_kev.ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(energy_kev.shape)


def _energies(energy_kev) -> np.ndarray:
    energy = np.asarray(energy_kev, dtype=np.float64)
    if np.any(~np.isfinite(energy)) or np.any(energy <= 0):
        raise ValidationError("energy_kev", energy_kev, "finite energies > 0 [keV]")
    return energy


@dataclass(frozen=True)
class XrfDetector:
    """A silicon-drift detector for X-ray fluorescence, its axis at 90° to the beam.

    Parameters
    ----------
    area_mm2 : float
        Active area [mm²], > 0. Default 50 mm², a single-element SDD of the
        kind used at nanoprobes (e.g. KETEK VITUS H50, Hitachi Vortex-EM data
        sheets).
    distance_mm : float
        Distance from the sample (the beam axis) to the sensor [mm], > 0.
        Default 20 mm, a typical nanoprobe working distance.
    be_window_um : float
        Be entrance window thickness [µm], >= 0. Default 8 µm (KETEK VITUS
        standard Be window).
    dead_layer_um : float
        Si dead layer at the entrance [µm], >= 0. Default 0.1 µm, an upper
        value of the SDD dead layers fitted by Scholze & Procop, X-Ray
        Spectrom. 38, 312 (2009).
    sensor_um : float
        Sensitive Si thickness [µm], > 0. Default 450 µm (KETEK VITUS; Vortex
        sensors are 350 µm to 1 mm).
    fwhm_at_mn_ka_ev : float
        Resolution at Mn Kα [eV] (:func:`sim.fluorescence.detector_fwhm_ev`).
        Default 130 eV (Strüder et al., Microsc. Microanal. 4, 622 (1998)).
    pulse_pair_time_s : float
        Pulse-pair resolving time of the pulse processor [s], >= 0: two
        photons closer in time are recorded as one. Default 0.3 µs, of the
        order of the fast-channel resolving time of SDD pulse processors
        (Knoll, 4th ed., ch. 17; Statham, X-Ray Spectrom. 6, 94 (1977)).

    Examples
    --------
    >>> detector = XrfDetector()
    >>> round(detector.solid_angle_sr, 4), round(detector.cone_half_angle_deg, 2)
    (0.1214, 11.28)
    >>> round(float(detector.efficiency(6.4)), 3)
    0.994
    """

    area_mm2: float = 50.0
    distance_mm: float = 20.0
    be_window_um: float = 8.0
    dead_layer_um: float = 0.1
    sensor_um: float = 450.0
    fwhm_at_mn_ka_ev: float = 130.0
    pulse_pair_time_s: float = 0.3e-6

    def __post_init__(self):
        validate.positive("area_mm2", self.area_mm2, "[mm²]")
        validate.positive("distance_mm", self.distance_mm, "[mm]")
        validate.non_negative("be_window_um", self.be_window_um, "[µm]")
        validate.non_negative("dead_layer_um", self.dead_layer_um, "[µm]")
        validate.positive("sensor_um", self.sensor_um, "[µm]")
        validate.non_negative("pulse_pair_time_s", self.pulse_pair_time_s, "[s]")
        detector_fwhm_ev(1.0, self.fwhm_at_mn_ka_ev)

    @property
    def radius_mm(self) -> float:
        """Radius of the active disc [mm], ``√(A/π)``."""
        return math.sqrt(self.area_mm2 / math.pi)

    @property
    def solid_angle_sr(self) -> float:
        """Solid angle of the disc from the sample [sr], ``2π(1 − d/√(d² + r²))`` (exact on axis)."""
        d, r = self.distance_mm, self.radius_mm
        return 2.0 * math.pi * (1.0 - d / math.hypot(d, r))

    @property
    def cone_half_angle_deg(self) -> float:
        """Half-angle of the acceptance cone [deg], ``atan(r/d)`` (for ``xrf_projection``)."""
        return math.degrees(math.atan2(self.radius_mm, self.distance_mm))

    def require_outside(self, sample_radius_nm: float) -> XrfDetector:
        """Return ``self`` if the sensor lies outside a sample of radius ``sample_radius_nm`` [nm].

        Raises
        ------
        ValidationError
            ``distance_mm`` <= the sample radius: the detector would sit
            inside the sample.

        Examples
        --------
        >>> XrfDetector(distance_mm=0.001).require_outside(5000.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        sim.errors.ValidationError: distance_mm = 0.001 is not allowed; allowed: > the sample radius 0.005 mm ...
        """
        radius_nm = validate.non_negative("sample_radius_nm", sample_radius_nm, "[nm]")
        if self.distance_mm * NM_PER_MM <= radius_nm:
            allowed = (f"> the sample radius {radius_nm / NM_PER_MM:g} mm ({radius_nm} nm): "
                       "the detector must lie outside the sample")
            raise ValidationError("distance_mm", self.distance_mm, allowed)
        return self

    def efficiency(self, energy_kev):
        """Intrinsic detection efficiency at ``energy_kev`` [keV] (module docstring, item 2).

        Returns
        -------
        float or ndarray
            Probability that a photon reaching the window is absorbed in the
            sensitive Si, in [0, 1].

        Examples
        --------
        >>> np.round(XrfDetector().efficiency([1.0, 10.0, 30.0]), 3).tolist()
        [0.395, 0.967, 0.115]
        """
        energy = _energies(energy_kev)
        be_rho = float(xraylib.ElementDensity(BE_Z))
        si_rho = float(xraylib.ElementDensity(SI_Z))
        window = np.exp(-_mass_attenuation(xraylib.CS_Total, BE_Z, energy) * be_rho * self.be_window_um * CM_PER_UM)
        si_total = _mass_attenuation(xraylib.CS_Total, SI_Z, energy) * si_rho * CM_PER_UM
        si_photo = _mass_attenuation(xraylib.CS_Photo, SI_Z, energy) * si_rho * CM_PER_UM
        return window * np.exp(-si_total * self.dead_layer_um) * -np.expm1(-si_photo * self.sensor_um)

    def escape_fraction(self, energy_kev):
        """Fraction of the detected photons of ``energy_kev`` [keV] moved to the Si escape peak.

        Reed & Ware (1972), module docstring item 3; 0 at or below the Si K
        edge (1.839 keV).

        Examples
        --------
        >>> np.round(XrfDetector().escape_fraction([1.5, 2.0, 6.4]), 5).tolist()
        [0.0, 0.01638, 0.00318]
        """
        energy = _energies(energy_kev)
        above = energy > SI_K_EDGE_KEV
        safe = np.where(above, energy, 2.0 * SI_K_EDGE_KEV)
        omega = float(xraylib.FluorYield(SI_Z, xraylib.K_SHELL))
        jump = float(xraylib.JumpFactor(SI_Z, xraylib.K_SHELL))
        ratio = _mass_attenuation(xraylib.CS_Total, SI_Z, safe) / float(xraylib.CS_Total(SI_Z, SI_KA_KEV))
        fraction = 0.5 * omega * (1.0 - 1.0 / jump) * (1.0 - np.log1p(ratio) / ratio)
        return np.where(above, fraction, 0.0)

    def detected_counts(self, line_counts, line_energies_kev) -> dict[str, np.ndarray]:
        """Photons absorbed in the sensor per line: ``line_counts × ε(E_line)``.

        Parameters
        ----------
        line_counts : dict
            Line name -> array of mean photons reaching the detector (the
            signal per incident photon with this detector's solid angle ×
            flux × dwell).
        line_energies_kev : dict
            Line name -> energy [keV].

        Returns
        -------
        dict
            Line name -> mean absorbed photons (parent peak plus its escape
            peak, before pile-up).
        """
        missing = sorted(set(line_counts) - set(line_energies_kev))
        if missing:
            raise ValidationError("line_energies_kev", missing, "an energy for every line in line_counts")
        detected = {}
        for name, counts in line_counts.items():
            counts = np.asarray(counts, dtype=np.float64)
            if np.any(~np.isfinite(counts)) or np.any(counts < 0):
                raise ValidationError(f"line_counts[{name}]", "<negative or non-finite>", "finite counts >= 0")
            energy = validate.positive(f"line_energies_kev[{name}]", line_energies_kev[name], "[keV]")
            detected[name] = counts * float(self.efficiency(energy))
        return detected

    def peaks(self, line_counts, line_energies_kev, *, live_time_s: float,
              pileup_lines: int = 3) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Mean counts and energies of every recorded peak: parents, escape and sum peaks.

        Parameters
        ----------
        line_counts, line_energies_kev : dict
            As in :meth:`detected_counts` (photons reaching the detector).
        live_time_s : float
            Live time over which ``line_counts`` arrive [s], > 0; sets the
            count rates ``R_i = counts_i ε_i / T`` that drive pile-up.
        pileup_lines : int
            Number of strongest lines (by total counts over all points) whose
            pairs, self-pairs included, form sum peaks; 0 turns pile-up off.

        Returns
        -------
        counts : dict
            Peak name -> mean counts: ``"Fe Ka"`` (parent, after escape and
            pile-up losses), ``"Fe Ka escape"`` (at ``E − 1.740 keV``),
            ``"Fe Ka + Fe Ka"``, ``"Fe Ka + Cu Ka"`` (sum peaks).
        energies : dict
            Peak name -> energy [keV].

        Examples
        --------
        >>> counts, energies = XrfDetector().peaks({"Fe Ka": np.array(1.0e4)}, {"Fe Ka": 6.4}, live_time_s=0.1)
        >>> {name: round(float(c), 1) for name, c in counts.items()}
        {'Fe Ka': 9318.1, 'Fe Ka escape': 29.7, 'Fe Ka + Fe Ka': 296.5}
        >>> round(energies["Fe Ka escape"], 3), round(energies["Fe Ka + Fe Ka"], 1)
        (4.66, 12.8)
        """
        live_time = validate.positive("live_time_s", live_time_s, "[s]")
        if isinstance(pileup_lines, (bool, np.bool_)) or not isinstance(pileup_lines, (int, np.integer)) \
                or pileup_lines < 0:
            raise ValidationError("pileup_lines", pileup_lines, "an integer >= 0")
        detected = self.detected_counts(line_counts, line_energies_kev)
        energies = {name: float(line_energies_kev[name]) for name in detected}
        strongest = sorted(detected, key=lambda name: -float(np.sum(detected[name])))[:pileup_lines]
        remaining = dict(detected)
        sums: dict[str, np.ndarray] = {}
        for i, first in enumerate(strongest):
            for second in strongest[i:]:
                multiplicity = 1.0 if first == second else 2.0
                events = multiplicity * self.pulse_pair_time_s * detected[first] * detected[second] / live_time
                remaining[first] = remaining[first] - events
                remaining[second] = remaining[second] - events
                name = f"{first} + {second}"
                sums[name] = events
                energies[name] = energies[first] + energies[second]
        negative = [name for name, counts in remaining.items() if np.any(counts < 0)]
        if negative:
            allowed = "count rates × pulse_pair_time_s << 1 (first-order pile-up model)"
            raise ValidationError("line_counts", negative, allowed)
        peaks: dict[str, np.ndarray] = {}
        for name, counts in remaining.items():
            escape = float(self.escape_fraction(energies[name]))
            peaks[name] = counts * (1.0 - escape)
            if escape > 0.0:
                peaks[f"{name} escape"] = counts * escape
                energies[f"{name} escape"] = energies[name] - SI_KA_KEV
        peaks.update(sums)
        return peaks, energies

    def spectrum(self, line_counts, line_energies_kev, bin_edges_kev, *, live_time_s: float,
                 background_per_kev=0.0, pileup_lines: int = 3, seed=None) -> np.ndarray:
        """Spectrum per scan point: efficiency, escape and sum peaks on top of ``expected_spectrum``.

        Parameters
        ----------
        line_counts : dict
            Line name -> array (the scan points' shape) of mean photons
            reaching the detector in that line.
        line_energies_kev : dict
            Line name -> energy [keV].
        bin_edges_kev : ndarray, shape (n_bins + 1,)
            Increasing bin edges [keV].
        live_time_s : float
            Live time per point [s] (the dwell), for the pile-up rates.
        background_per_kev : float or ndarray
            Flat detected background [counts/keV] per point (not scaled by
            the efficiency).
        pileup_lines : int
            See :meth:`peaks`.
        seed : None, int or numpy.random.Generator
            ``None``: the mean spectrum; otherwise Poisson counts drawn
            with :func:`sim.noise.poisson_counts` (same seed, same counts).

        Returns
        -------
        ndarray, shape (*points, n_bins)
            Mean counts per bin (float64), or Poisson counts (float32).

        Examples
        --------
        >>> edges = np.linspace(1.0, 15.0, 1401)
        >>> mean = XrfDetector().spectrum({"Fe Ka": np.array([1.0e4])}, {"Fe Ka": 6.4}, edges, live_time_s=0.1)
        >>> round(float(mean.sum()), 1)     # 10⁴ · ε(6.4 keV) = 9940.7, less one count per pile-up pair
        9644.2
        """
        peaks, energies = self.peaks(line_counts, line_energies_kev, live_time_s=live_time_s,
                                     pileup_lines=pileup_lines)
        mean = expected_spectrum(peaks, energies, bin_edges_kev, fwhm_at_mn_ka_ev=self.fwhm_at_mn_ka_ev,
                                 background_per_kev=background_per_kev)
        if seed is None:
            return mean
        return poisson_counts(mean, generator(seed))

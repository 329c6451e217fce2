"""HAADF-STEM tomography: Z-contrast tilt series with dose, probe, stage and damage.

Fidelity levels:

- ``projection`` (voxel phantoms): per view the phantom's Z-contrast density
  ``ζ = Σ_Z N_Z·Zⁿ`` is projected in depth slabs (:func:`sim.slabs.project_slabs`),
  each slab convolved with the probe at its own defocus (the depth of focus
  of the convergent probe), the stage shift and drift blur applied, and the
  fraction of the beam reaching the annular detector is ``1 − exp(−C·s)``
  (:mod:`sim.dark_field`).
- ``multislice`` (atomic models, ``ase.Atoms``): abTEM scans the probe over
  the rotated atoms with an annular detector (:mod:`instruments.atomic`;
  needs ``pip install "nanotomo[electron]"``).

The recorded counts are Poisson with mean ``fraction × electrons per pixel``
(dose × pixel area), the detector counting single electrons (DQE 1). The
series is ``counts_model="dark field"`` with ``line_integral_scale = C``, so
``series.to_line_integrals()`` returns projections of ζ and any reconstruction
method recovers the ground truth ζ [1/nm³].
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from instruments import electron
from sim import validate
from sim.acquisition_time import AcquisitionTiming
from sim.dark_field import detected_fraction, haadf_signal, z_contrast_scale_nm2
from sim.dose import electrons_per_pixel, stem_dose_e_per_a2
from sim.electron_optics import Aberrations, depth_of_field_nm
from sim.errors import ValidationError
from sim.motion import shift_and_blur
from sim.noise import generator, poisson_counts
from sim.progress import track
from sim.scattering import Z_CONTRAST_EXPONENT_RANGE
from sim.slabs import project_slabs
from sim.stage import Stage, Tracking
from sim.tiltseries import TiltSeries
from sim.volume import Volume

FIDELITY_LEVELS = ("projection", "multislice")


@dataclass(frozen=True)
class STEM:
    """A scanning transmission electron microscope recording HAADF tilt series.

    Parameters
    ----------
    voltage_kv : float
        Accelerating voltage [kV].
    dose_total_e_per_a2 : float or None
        Total imaging dose of the series [e⁻/Å²], shared by the views per
        ``dose_weighting``. ``None`` when the dose is set by ``probe_current_pa``
        and ``dwell_time_us`` instead.
    dose_weighting : str
        ``"uniform"`` or ``"1/cos"`` (Saxberg & Saxton 1981).
    probe_current_pa, dwell_time_us : float, optional
        The alternative way to state dose: probe current [pA] and dwell time
        per scan position [µs] give each view's dose (both or neither), and
        the frame time (dwell × scan positions) replaces ``timing.exposure_s``.
    pixel_nm : float, optional
        Scan step [nm]; ``None`` = the phantom's voxel (or an integer multiple of it).
    convergence_mrad : float
        Probe convergence semi-angle α [mrad].
    defocus_nm, cs_mm, c5_mm, astigmatism_nm, astigmatism_angle_deg : float
        Probe aberrations (positive defocus = underfocus) [nm, mm, mm, nm, deg].
    cc_mm, energy_spread_ev : float
        Chromatic aberration [mm] and source energy spread (FWHM) [eV].
    source_size_nm : float
        Effective source size at the specimen (FWHM) [nm].
    haadf_inner_mrad, haadf_outer_mrad : float
        Annular detector collection semi-angles [mrad].
    z_exponent : float
        ``n`` in the Zⁿ contrast (1.7 by default; 1.6–2 in the literature).
    slab_nm : float, optional
        Depth sampling for the probe's depth of focus [nm]; default half the
        depth of field ``1.77·λ/α²`` (:func:`sim.electron_optics.depth_of_field_nm`),
        at least one voxel.
    collection_mrad : float
        Collection semi-angle for the inelastic mean free path [mrad] (recorded).
    holder : str
        ``"standard"`` (±70°), ``"high-tilt"`` (±75°) or ``"on-axis"`` (±90°, needle samples).
    stage : sim.stage.Stage
        The goniometer (height error, hysteresis, jitter, drift).
    tracking : str or sim.stage.Tracking
        ``"tilt-by-tilt"``, ``"predictive"`` or ``"none"``, or a
        :class:`sim.stage.Tracking` with its measurement and focus errors.
    timing : sim.acquisition_time.AcquisitionTiming
        Exposure, readout, settling, tracking and focusing times.
    damage : bool
        Apply radiation damage from the cumulative dose.
    fidelity : str
        ``"projection"`` (voxel phantoms) or ``"multislice"`` (atomic models via abTEM).

    Examples
    --------
    >>> STEM(convergence_mrad=25.0).fidelity
    'projection'
    >>> STEM(convergence_mrad=0.0)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: convergence_mrad = 0.0 is not allowed; allowed: a finite number > 0 mrad
    """

    voltage_kv: float = 200.0
    dose_total_e_per_a2: float | None = 1.0e4
    dose_weighting: str = "uniform"
    probe_current_pa: float | None = None
    dwell_time_us: float | None = None
    pixel_nm: float | None = None
    convergence_mrad: float = 25.0
    defocus_nm: float = 0.0
    cs_mm: float = 0.0
    c5_mm: float = 0.0
    astigmatism_nm: float = 0.0
    astigmatism_angle_deg: float = 0.0
    cc_mm: float = 1.4
    energy_spread_ev: float = 0.3
    source_size_nm: float = 0.05
    haadf_inner_mrad: float = 60.0
    haadf_outer_mrad: float = 200.0
    z_exponent: float = 1.7
    slab_nm: float | None = None
    collection_mrad: float = 10.0
    holder: str = "standard"
    stage: Stage = field(default_factory=Stage)
    tracking: str | Tracking = "tilt-by-tilt"
    timing: AcquisitionTiming = field(default_factory=AcquisitionTiming)
    damage: bool = True
    fidelity: str = "projection"

    def __post_init__(self):
        electron.check_common(self)
        validate.positive("convergence_mrad", self.convergence_mrad, "mrad")
        inner = validate.positive("haadf_inner_mrad", self.haadf_inner_mrad, "mrad")
        if validate.positive("haadf_outer_mrad", self.haadf_outer_mrad, "mrad") <= inner:
            raise ValidationError("haadf_outer_mrad", self.haadf_outer_mrad, f"> haadf_inner_mrad = {inner} mrad")
        validate.in_range("z_exponent", self.z_exponent, *Z_CONTRAST_EXPONENT_RANGE)
        validate.non_negative("source_size_nm", self.source_size_nm, "nm")
        if self.slab_nm is not None:
            validate.positive("slab_nm", self.slab_nm, "nm")
        by_current = (self.probe_current_pa is not None, self.dwell_time_us is not None)
        if by_current[0] != by_current[1]:
            raise ValidationError("dwell_time_us", self.dwell_time_us, "given together with probe_current_pa (or neither)")
        if by_current[0]:
            validate.positive("probe_current_pa", self.probe_current_pa, "pA")
            validate.positive("dwell_time_us", self.dwell_time_us, "µs")
            if self.dose_total_e_per_a2 is not None:
                raise ValidationError("dose_total_e_per_a2", self.dose_total_e_per_a2,
                                      "None when the dose is set by probe_current_pa and dwell_time_us")
        else:
            validate.positive("dose_total_e_per_a2", self.dose_total_e_per_a2, "e/A^2")
        electron.check_level(self.fidelity, FIDELITY_LEVELS)

    @property
    def aberrations(self) -> Aberrations:
        """The probe's aberrations."""
        return Aberrations(defocus_nm=self.defocus_nm, cs_mm=self.cs_mm, c5_mm=self.c5_mm,
                           astigmatism_nm=self.astigmatism_nm, astigmatism_angle_deg=self.astigmatism_angle_deg)

    def scale_nm2(self) -> float:
        """``C`` [nm²]: annular-detector cross-section per unit Zⁿ (see :mod:`sim.dark_field`)."""
        return z_contrast_scale_nm2(self.voltage_kv, self.haadf_inner_mrad, self.haadf_outer_mrad, self.z_exponent)

    def fields(self, phantom) -> electron.SampleFields:
        """The phantom's Z-contrast density per material, ready to project."""
        zeta = [phantom.material(name).z_contrast_per_nm3(self.z_exponent) for name in phantom.material_names]
        return electron.SampleFields(phantom, {"z_contrast": zeta}, pixel_nm=self.pixel_nm, damage=self.damage)

    def ground_truth(self, phantom, cumulative_dose_e_per_a2: float = 0.0) -> Volume:
        """ζ = Σ N_Z·Zⁿ [1/nm³] on the scan grid, after ``cumulative_dose_e_per_a2`` of radiation damage.

        The default (no dose) is the series' ``ground_truth``; pass a view's
        ``series.views["cumulative_dose_e_per_a2"][i]`` for what the sample
        looked like when view ``i`` was recorded.
        """
        fields = self.fields(phantom)
        dose = validate.non_negative("cumulative_dose_e_per_a2", cumulative_dose_e_per_a2, "e/A^2")
        return Volume(fields.volume("z_contrast", dose), voxel_nm=fields.voxel_nm,
                      quantity=f"Z-contrast density (sum N*Z^{self.z_exponent:g})", unit="1/nm^3")

    def acquire(self, phantom, scheme, *, seed, progress: bool = True) -> TiltSeries:
        """Record a HAADF tilt series of ``phantom`` (a ``phantoms.Phantom``).

        Returns a series of counts (``counts_model="dark field"``) with the
        per-view table (tilt, dose, cumulative dose, shift, blur, defocus,
        time, remaining mass and thickness per material), the true shifts in
        ``shifts_px``, the ground truth ζ and provenance (incl. the time breakdown).
        """
        atomic = not hasattr(phantom, "fractions")
        if atomic != (self.fidelity == "multislice"):
            raise ValidationError("fidelity", self.fidelity, "'multislice' for an atomic model (ase.Atoms), "
                                  "'projection' for a voxel phantom")
        if atomic:
            from instruments.atomic import atomic_stem_series

            return atomic_stem_series(self, phantom, scheme, seed=seed, progress=progress)
        rng = generator(seed)
        scheme = electron.scheme_of(scheme)
        fields = self.fields(phantom)
        pixel = fields.voxel_nm
        dose, timing = None, None
        if self.probe_current_pa is not None:
            dose = stem_dose_e_per_a2(self.probe_current_pa, self.dwell_time_us, pixel)
            n_rows, _, n_x = fields.volume("z_contrast").shape
            timing = replace(self.timing, exposure_s=self.dwell_time_us * 1e-6 * n_rows * n_x)
        plan = electron.plan_views(self, scheme, rng, dose_per_view_e_per_a2=dose, timing=timing)
        scale = self.scale_nm2()
        slab = self.slab_nm or max(0.5 * depth_of_field_nm(self.voltage_kv, self.convergence_mrad), pixel)
        incident = electrons_per_pixel(plan.dose_e_per_a2, pixel)
        frames = []
        for i in track(range(len(scheme)), description="HAADF tilt series", enabled=progress):
            volume = fields.volume("z_contrast", plan.cumulative_dose_e_per_a2[i])
            slabs, depths = project_slabs(volume, plan.angles_deg[i], voxel_nm=pixel, slab_nm=slab)
            aberrations = self.aberrations.with_defocus(self.defocus_nm + plan.defocus_change_nm[i])
            signal = haadf_signal(slabs, depths, pixel_nm=pixel, voltage_kv=self.voltage_kv,
                                  convergence_mrad=self.convergence_mrad, aberrations=aberrations,
                                  source_size_nm=self.source_size_nm)
            signal = shift_and_blur(signal, plan.shift_nm[i] / pixel, plan.blur_nm[i] / pixel)
            expected = detected_fraction(np.maximum(signal, 0.0), scale) * incident[i]
            frames.append(poisson_counts(expected, rng))
        truth = Volume(fields.volume("z_contrast"), voxel_nm=pixel, quantity=f"Z-contrast density (sum N*Z^{self.z_exponent:g})",
                       unit="1/nm^3")
        views = {**plan.columns(), **fields.damage_columns(plan.cumulative_dose_e_per_a2),
                 "defocus_nm": self.defocus_nm + plan.defocus_change_nm, "incident_per_px": incident}
        return TiltSeries(
            np.stack(frames),
            angles_deg=plan.angles_deg,
            pixel_nm=pixel,
            values="counts",
            unit="counts",
            dose_per_view=plan.dose_e_per_a2,
            dose_unit="e/A^2",
            shifts_px=plan.shift_nm / pixel,
            ground_truth=truth,
            phantom=phantom,
            provenance=electron.provenance(self, "STEM-HAADF", seed, scheme, phantom, plan, {"scale_nm2": scale, "slab_nm": slab}),
            views=views,
            counts_model="dark field",
            line_integral_scale=scale,
        )

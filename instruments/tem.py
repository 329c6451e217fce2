"""Bright-field TEM tomography: phase and amplitude contrast through the CTF, with dose, filter, stage and damage.

Per view the sample's projected mean inner potential (phase ``σ·V_p``) and
inelastic optical depth (``a = Σ t/λ_in``) come from the projector, so the
path through a tilted lamella grows as ``t/cos θ`` by geometry. Then, by
fidelity level (:mod:`sim.bright_field`):

- ``projection``: weak-phase / weak-amplitude object through the CTF (linear),
  each depth plane of the tilted sample at its own defocus ``Δf + w`` (the
  defocus gradient across a tilted specimen and the objective's depth of focus);
- ``wave``: the phase grating ``exp(iσV_p − a/2)`` through the CTF at the
  centre plane's defocus (phase wrapping, aperture losses);
- ``multislice``: the voxel multislice (:mod:`sim.multislice`) through depth
  slabs of the tilted phantom, then the CTF with the defocus referred to the
  volume centre (as the other levels); for atomic models
  (``ase.Atoms``) abTEM's plane-wave multislice (needs ``nanotomo[electron]``).

Inelastically scattered electrons add a chromatically blurred image unless
the energy filter's slit removes them. The detector (counting or integrating)
applies its DQE and MTF to the expected electrons per pixel (dose × pixel area).

The series holds counts with ``counts_model="transmission"``: ``−log(I/I₀)``
is the zero-loss optical depth plus phase contrast, and the ground truth is
the inelastic attenuation coefficient ``Σ f_m/λ_in,m`` [1/nm] that an ideal
reconstruction of an energy-filtered, in-focus series recovers. The mean
inner potential [V], the source of the phase contrast, is
:meth:`TEM.potential`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from instruments import electron
from sim import validate
from sim.acquisition_time import AcquisitionTiming
from sim.bright_field import coherent_image, exit_wave, inelastic_image, linear_image, transfer_function
from sim.detector import DETECTORS
from sim.detector import detector as detector_named
from sim.dose import electrons_per_pixel
from sim.electron_optics import Aberrations, interaction_constant, wavelength_nm
from sim.errors import ValidationError
from sim.motion import shift_and_blur
from sim.multislice import multislice
from sim.noise import generator
from sim.progress import track
from sim.slabs import project_slabs
from sim.stage import Stage, Tracking
from sim.tiltseries import TiltSeries
from sim.volume import Volume

FIDELITY_LEVELS = ("projection", "wave", "multislice")
DEFOCUS_PHASE_RAD = 0.05
"""Largest phase error [rad] at the corner frequency from merging depth planes of nearby defocus."""


@dataclass(frozen=True)
class TEM:
    """A transmission electron microscope recording bright-field tilt series.

    Parameters
    ----------
    voltage_kv : float
        Accelerating voltage [kV].
    dose_total_e_per_a2 : float
        Total imaging dose of the series [e⁻/Å²].
    dose_weighting : str
        ``"uniform"`` or ``"1/cos"`` (Saxberg & Saxton 1981).
    pixel_nm : float, optional
        Pixel size at the specimen [nm]; ``None`` = the phantom's voxel (or an integer multiple).
    defocus_nm : float
        Nominal defocus [nm], positive = underfocus.
    cs_mm, c5_mm, astigmatism_nm, astigmatism_angle_deg : float
        Objective lens aberrations [mm, mm, nm, deg].
    cc_mm : float
        Chromatic aberration coefficient [mm].
    energy_spread_ev : float
        Source energy spread (FWHM) [eV].
    illumination_mrad : float
        Illumination semi-angle (partial spatial coherence) [mrad].
    objective_aperture_mrad : float or None
        Objective aperture semi-angle [mrad]; ``None`` = no aperture.
    energy_filter_slit_ev : float or None
        Zero-loss filter slit width [eV]; ``None`` = unfiltered.
    collection_mrad : float
        Collection semi-angle for the inelastic mean free path [mrad].
    detector : str
        ``"counting"`` or ``"integrating"`` (:mod:`sim.detector`).
    slab_nm : float
        Slice thickness of the ``multislice`` level [nm] (default 2 nm).
    holder, stage, tracking, timing, damage, fidelity
        As for :class:`instruments.stem.STEM`.

    Examples
    --------
    >>> TEM(energy_filter_slit_ev=20.0).fidelity
    'projection'
    >>> TEM(energy_spread_ev=-1.0)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: energy_spread_ev = -1.0 is not allowed; allowed: a finite number >= 0
    """

    voltage_kv: float = 300.0
    dose_total_e_per_a2: float = 120.0
    dose_weighting: str = "uniform"
    pixel_nm: float | None = None
    defocus_nm: float = 2000.0
    cs_mm: float = 2.7
    c5_mm: float = 0.0
    astigmatism_nm: float = 0.0
    astigmatism_angle_deg: float = 0.0
    cc_mm: float = 2.7
    energy_spread_ev: float = 0.7
    illumination_mrad: float = 0.02
    objective_aperture_mrad: float | None = 10.0
    energy_filter_slit_ev: float | None = None
    collection_mrad: float = 10.0
    detector: str = "counting"
    slab_nm: float = 2.0
    holder: str = "standard"
    stage: Stage = field(default_factory=Stage)
    tracking: str | Tracking = "tilt-by-tilt"
    timing: AcquisitionTiming = field(default_factory=AcquisitionTiming)
    damage: bool = True
    fidelity: str = "projection"

    def __post_init__(self):
        electron.check_common(self)
        validate.positive("dose_total_e_per_a2", self.dose_total_e_per_a2, "e/A^2")
        validate.non_negative("illumination_mrad", self.illumination_mrad, "mrad")
        if self.objective_aperture_mrad is not None:
            validate.positive("objective_aperture_mrad", self.objective_aperture_mrad, "mrad")
        if self.energy_filter_slit_ev is not None:
            validate.positive("energy_filter_slit_ev", self.energy_filter_slit_ev, "eV")
        validate.positive("slab_nm", self.slab_nm, "nm")
        if self.detector not in DETECTORS:
            raise ValidationError("detector", self.detector, f"one of {tuple(DETECTORS)}")
        electron.check_level(self.fidelity, FIDELITY_LEVELS)

    @property
    def aberrations(self) -> Aberrations:
        """The objective lens' aberrations at the nominal defocus."""
        return Aberrations(defocus_nm=self.defocus_nm, cs_mm=self.cs_mm, c5_mm=self.c5_mm,
                           astigmatism_nm=self.astigmatism_nm, astigmatism_angle_deg=self.astigmatism_angle_deg)

    def fields(self, phantom) -> electron.SampleFields:
        """Mean inner potential [V] and inelastic attenuation ``1/λ_in`` [1/nm] per material."""
        materials = [phantom.material(name) for name in phantom.material_names]
        quantities = {
            "potential": [m.mean_inner_potential_v for m in materials],
            "inelastic": [1.0 / m.inelastic_mfp_nm(self.voltage_kv, self.collection_mrad) for m in materials],
        }
        return electron.SampleFields(phantom, quantities, pixel_nm=self.pixel_nm, damage=self.damage)

    def mean_loss_ev(self, phantom) -> float:
        """Mean energy loss of an inelastic event [eV], averaged over the phantom's materials by volume.

        A phantom holding no material scatters nothing, so any loss gives the
        same image; the plain mean over its materials is returned then.
        """
        fractions = phantom.fractions.reshape(len(phantom.material_names), -1).sum(axis=1, dtype=np.float64)
        losses = np.array([phantom.material(n).mean_energy_loss_ev for n in phantom.material_names])
        if not np.any(fractions > 0):
            return float(losses.mean())
        return float(np.sum(fractions * losses) / np.sum(fractions))

    def ground_truth(self, phantom, cumulative_dose_e_per_a2: float = 0.0) -> Volume:
        """``1/λ_in`` [1/nm] on the detector grid after ``cumulative_dose_e_per_a2`` of damage (default: none).

        Pass a view's ``series.views["cumulative_dose_e_per_a2"][i]`` for the sample as view ``i`` saw it.
        """
        fields = self.fields(phantom)
        dose = validate.non_negative("cumulative_dose_e_per_a2", cumulative_dose_e_per_a2, "e/A^2")
        return Volume(fields.volume("inelastic", dose), voxel_nm=fields.voxel_nm,
                      quantity="inelastic attenuation coefficient (1/lambda_in)", unit="1/nm")

    def potential(self, phantom) -> Volume:
        """Mean inner potential [V] of the undamaged phantom on the detector grid."""
        fields = self.fields(phantom)
        return Volume(fields.volume("potential"), voxel_nm=fields.voxel_nm, quantity="mean inner potential", unit="V")

    def transfer(self, shape, pixel_nm: float, defocus_nm: float) -> np.ndarray:
        """The objective lens' transfer function at ``defocus_nm`` (aperture, envelopes, aberrations)."""
        return transfer_function(shape, pixel_nm, self.voltage_kv, self.aberrations.with_defocus(defocus_nm),
                                 aperture_mrad=self.objective_aperture_mrad, cc_mm=self.cc_mm,
                                 energy_spread_ev=self.energy_spread_ev, convergence_mrad=self.illumination_mrad)

    def _planes(self, fields, angle_deg: float, cumulative_dose: float, defocus_nm: float):
        """The sample in depth planes for the ``projection`` level: (potential, inelastic depth, defocus per plane).

        Slabs ``slab_nm`` thick along the beam are merged while their defocus
        ``Δf + w`` (a plane ``w`` downstream of the centre is imaged ``w``
        further from focus) differs by less than :data:`DEFOCUS_PHASE_RAD` of
        phase at the detector's corner frequency, ``π·λ·δ·k_max²``.
        """
        pixel = fields.voxel_nm
        potential, depths = project_slabs(fields.volume("potential", cumulative_dose), angle_deg, voxel_nm=pixel,
                                          slab_nm=self.slab_nm)
        inelastic, _ = project_slabs(fields.volume("inelastic", cumulative_dose), angle_deg, voxel_nm=pixel,
                                     slab_nm=self.slab_nm)
        step = DEFOCUS_PHASE_RAD / (np.pi * wavelength_nm(self.voltage_kv) * 0.5 / pixel**2)
        keys = np.round((defocus_nm + depths) / step).astype(int)
        groups = sorted(set(keys[[bool(p.any() or a.any()) for p, a in zip(potential, inelastic)]].tolist())) or [0]
        merged_potential = np.stack([potential[keys == key].sum(axis=0) for key in groups])
        merged_depth = np.stack([inelastic[keys == key].sum(axis=0) for key in groups])
        return merged_potential, merged_depth, [float(key * step) for key in groups]

    def image(self, fields: electron.SampleFields, angle_deg: float, *, cumulative_dose: float = 0.0,
              defocus_change_nm: float = 0.0, shift_px=(0.0, 0.0), blur_px=(0.0, 0.0), mean_loss_ev: float) -> np.ndarray:
        """Noise-free bright-field intensity of one view (fraction of the incident beam)."""
        pixel = fields.voxel_nm
        sigma = interaction_constant(self.voltage_kv)
        defocus = self.defocus_nm + defocus_change_nm
        if self.fidelity == "multislice":
            potential, depths = project_slabs(fields.volume("potential", cumulative_dose), angle_deg, voxel_nm=pixel, slab_nm=self.slab_nm)
            depth, _ = project_slabs(fields.volume("inelastic", cumulative_dose), angle_deg, voxel_nm=pixel, slab_nm=self.slab_nm)
            potential = np.stack([shift_and_blur(s, shift_px, blur_px) for s in potential])
            depth = np.stack([shift_and_blur(s, shift_px, blur_px) for s in depth])
            optical_depth = depth.sum(axis=0)
            # The exit wave is at the last slab's downstream face; the other levels (and the stage's
            # focus) put the specimen at the volume centre, so refer the defocus to the centre:
            # otherwise vacuum padding along the beam would defocus the image.
            defocus += depths[-1] + 0.5 * self.slab_nm
        elif self.fidelity == "projection":
            potential, plane_depth, plane_defocus = self._planes(fields, angle_deg, cumulative_dose, defocus)
            potential = np.stack([shift_and_blur(s, shift_px, blur_px) for s in potential])
            plane_depth = np.stack([shift_and_blur(s, shift_px, blur_px) for s in plane_depth])
            optical_depth = plane_depth.sum(axis=0)
        else:
            potential = shift_and_blur(fields.projection("potential", angle_deg, cumulative_dose), shift_px, blur_px)
            optical_depth = shift_and_blur(fields.projection("inelastic", angle_deg, cumulative_dose), shift_px, blur_px)
        optical_depth = np.maximum(optical_depth, 0.0)
        shape = optical_depth.shape
        if self.fidelity == "projection":
            transfers = np.stack([self.transfer(shape, pixel, f) for f in plane_defocus])
            zero_loss = linear_image(sigma * potential, plane_depth, transfers)
        elif self.fidelity == "wave":
            zero_loss = coherent_image(exit_wave(sigma * potential, optical_depth), self.transfer(shape, pixel, defocus))
        else:
            wave = multislice(potential, pixel_nm=pixel, slice_nm=self.slab_nm, voltage_kv=self.voltage_kv,
                              absorption=0.5 * np.maximum(depth, 0.0))
            zero_loss = coherent_image(wave, self.transfer(shape, pixel, defocus))
        inelastic = inelastic_image(optical_depth, pixel_nm=pixel, voltage_kv=self.voltage_kv, cc_mm=self.cc_mm,
                                    mean_loss_ev=mean_loss_ev, aperture_mrad=self.objective_aperture_mrad or self.collection_mrad,
                                    slit_ev=self.energy_filter_slit_ev)
        return zero_loss + inelastic

    def acquire(self, phantom, scheme, *, seed, progress: bool = True) -> TiltSeries:
        """Record a bright-field tilt series of ``phantom`` (counts; see the module docstring)."""
        if not hasattr(phantom, "fractions"):
            if self.fidelity != "multislice":
                raise ValidationError("fidelity", self.fidelity, "'multislice' for an atomic model (ase.Atoms)")
            from instruments.atomic import atomic_tem_series

            return atomic_tem_series(self, phantom, scheme, seed=seed, progress=progress)
        rng = generator(seed)
        scheme = electron.scheme_of(scheme)
        fields = self.fields(phantom)
        pixel = fields.voxel_nm
        plan = electron.plan_views(self, scheme, rng)
        camera = detector_named(self.detector)
        incident = electrons_per_pixel(plan.dose_e_per_a2, pixel)
        loss = self.mean_loss_ev(phantom)
        frames = []
        for i in track(range(len(scheme)), description="bright-field tilt series", enabled=progress):
            intensity = self.image(fields, plan.angles_deg[i], cumulative_dose=plan.cumulative_dose_e_per_a2[i],
                                   defocus_change_nm=plan.defocus_change_nm[i], shift_px=plan.shift_nm[i] / pixel,
                                   blur_px=plan.blur_nm[i] / pixel, mean_loss_ev=loss)
            frames.append(camera.record(np.maximum(intensity, 0.0) * incident[i], rng))
        truth = Volume(fields.volume("inelastic"), voxel_nm=pixel, quantity="inelastic attenuation coefficient (1/lambda_in)",
                       unit="1/nm")
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
            provenance=electron.provenance(self, "TEM-BF", seed, scheme, phantom, plan, {"mean_energy_loss_ev": loss}),
            views=views,
        )

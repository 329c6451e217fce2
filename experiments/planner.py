"""The experiment planner: views, tilt range, dose and time for a resolution, in closed form.

``plan(PlanRequest(...))`` answers what an experimenter asks before a session:
how many views, over which tilt range, with how much dose per view, what
resolution that gives along and across the beam, and how long it takes. The
pieces, each from the literature:

- **Views**: Crowther's number ``n = ⌈π·D/d⌉`` over 180°
  (:func:`metrics.limits.crowther_views`); over a limited range ±α the same
  angular step ``180°/n`` gives ``⌊2α·n/180°⌋ + 1`` views.
- **Usable tilt range**: the holder's limit (:mod:`sim.holder`; X-ray rotation
  stages turn through ±90°) and the path through the sample, which must stay
  below a usable thickness ``t_u`` (:func:`usable_thickness_nm`). A ``"slab"``
  (a lamella or plate, ``D`` wide and ``t`` thick) is crossed along
  ``min(t/cos θ, D/sin θ)``; a ``"particle"`` (an ellipse of axes ``D``
  across and ``t`` along the beam) along ``1/√(sin²θ/D² + cos²θ/t²)``. The
  usable range is the largest ``α`` with the path below ``t_u`` at every
  ``|θ| ≤ α``: for a slab ``α = arccos(t/t_u)``, capped by the holder.
- **Dose**: the tolerable total dose shared by the views; the Rose criterion
  (Rose, J. Opt. Soc. Am. 38, 196 (1948)): a detail of size ``d`` and contrast
  ``C`` is seen when ``SNR = C·√N ≥ k = 5`` with ``N`` the quanta through it
  (the background's for dark-field signals); by the dose-fractionation
  theorem (Hegerl & Hoppe, Z. Naturforsch. 31a, 1717 (1976); McEwen, Downing
  & Glaeser, Ultramicroscopy 60, 357 (1995)) ``N`` is the whole series'.
  :func:`dose_limited_resolution_nm` solves ``SNR(d) = 5`` for ``d``.
- **Resolution**: across the beam the worst of the target (the views are
  Crowther's for it), the dose limit and the instrument's limit
  (:func:`instrument_resolution_nm`); along the beam that times the
  missing-wedge elongation (:func:`metrics.limits.missing_wedge_elongation`).
- **Time**: electron series by :func:`sim.acquisition_time.acquisition_time`
  with tilt-by-tilt and predictive tracking; TXM scans by
  :func:`sim.scan_time.scan_time`; the nanoprobe by its raster
  (``Nanoprobe.acquisition_time``) over the particle at a step of ``d/2``.

A request is **impossible** (``Plan.feasible`` false, ``Plan.reasons`` says
why) when the sample is thicker than the usable thickness even at 0°, when
the resolution is finer than the instrument's limit, or when the dose the
Rose criterion needs for the resolution exceeds the tolerable dose.
:func:`simulate` checks a plan with the twin (``nanotomo plan --simulate``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rich.markup import escape
from rich.table import Table

import instruments
import metrics
import phantoms
import recon
from experiments.planner_plots import check_figure
from experiments.run import instrument_kind
from sim import io, validate
from sim.acquisition_time import acquisition_time
from sim.dark_field import z_contrast_scale_nm2
from sim.electron_optics import depth_of_field_nm, focal_spread_nm, interaction_constant, wavelength_nm
from sim.errors import ValidationError
from sim.holder import holder as holder_named
from sim.illumination import Illumination
from sim.progress import track
from sim.scan_time import scan_time
from sim.stage import Stage
from sim.xray_detector import XrayDetector

GEOMETRIES = ("slab", "particle")
ROSE_K = 5.0
"""Rose's signal-to-noise threshold for detecting a detail (Rose 1948)."""
USABLE_MFP = {"bf": 1.0, "bf-filtered": 3.0, "haadf": 5.0}
"""Usable path in inelastic mean free paths λ_in, by detection mode.

- ``"bf"`` (bright field, no energy filter): 1 λ_in. Beyond one mean free
  path most electrons forming the image have lost energy (the zero-loss
  fraction is ``exp(−t/λ_in)``, 37 % at ``t = λ_in``) and are blurred by
  chromatic aberration, ``Cc·(E_m/E)·β`` per loss of ``E_m``; specimens
  thicker than λ_in need an energy filter (Koster et al., J. Struct. Biol.
  120, 276 (1997); Egerton, *Electron Energy-Loss Spectroscopy in the
  Electron Microscope*, 3rd ed., Springer (2011)).
- ``"bf-filtered"`` (zero-loss filter): 3 λ_in, where 5 % of the beam is
  still unscattered; zero-loss imaging of ice and cells is done up to a few
  λ_in (Grimm et al., Ultramicroscopy 63, 169 (1996); Koster et al. 1997).
- ``"haadf"``: 5 λ_in (assumed): HAADF intensity stays monotonic in the
  projected mass up to a few mean free paths and loses it in micrometre-thick
  samples (Ercius et al., Appl. Phys. Lett. 88, 243116 (2006)). The probe's
  depth of field sets a second limit, see :func:`usable_thickness_nm`.
"""
XRAY_MU_T = 4.0
"""Usable optical depth ``μ·t`` for X-ray transmission. The variance of a
reconstructed voxel goes as ``exp(μt)/(μt)²``, smallest at ``μt = 2``
(Grodzins, Nucl. Instrum. Methods 206, 541 (1983)); at ``μt = 4`` it is 1.85×
that optimum, beyond it grows fast (12× at ``μt = 8``)."""
SIMULATE_VOXELS_PER_D = 3.0
"""Voxels per resolution element in :func:`simulate`: on a grid of ``d/3`` the
FSC 0.5 of a well-sampled noise-free series reaches the grid's Nyquist
(``2d/3``), so views, dose and range, not the grid, limit the check."""
ELECTRON_KINDS = ("stem", "tem")


@dataclass(frozen=True)
class PlanRequest:
    """What the experimenter knows.

    Parameters
    ----------
    diameter_nm : float
        Particle diameter, or the lamella's width to be reconstructed [nm].
    thickness_nm : float
        Thickness along the beam at 0° tilt [nm].
    resolution_nm : float
        Resolution wanted across the beam [nm].
    instrument : str
        A preset or kind (``nanotomo list``), e.g. ``"stem-200kv-haadf"``.
    materials : str, sequence of str or mapping str -> float, optional
        Resolved on construction to a dict of volume fractions summing to 1.
        Library materials (``phantoms.MATERIALS``): one name, names (equal
        volume fractions) or names with volume fractions. The most abundant is
        the matrix, the others the features to resolve; a single material is
        seen against vacuum. Give this or ``phantom``.
    phantom : str, optional
        A registered phantom: its materials and their fractions (built at its
        default parameters on a 4× coarser voxel, with 2× supersampling, to
        be quick).
    holder : str, optional
        ``"standard"``, ``"high-tilt"`` or ``"on-axis"`` (:mod:`sim.holder`);
        default the instrument's (electrons), ``"on-axis"`` (±90°, X-ray
        rotation stages).
    dose_total_e_per_a2 : float, optional
        Tolerable electron dose of the whole series [e⁻/Å²]; default the
        preset's. Electron instruments only.
    photons_per_pixel : float, optional
        Incident photons per pixel (of ``d/2``) per view; default the
        preset's (TXM) or flux × dwell (nanoprobe). X-ray instruments only.
    geometry : str
        ``"slab"`` or ``"particle"`` (path lengths: module docstring).
    instrument_params : dict
        Overrides of the preset (e.g. ``{"energy_filter_slit_ev": 20}``).

    Examples
    --------
    >>> PlanRequest(150, 150, 2, "stem-200kv-haadf", materials="Au").geometry
    'slab'
    >>> PlanRequest(150, 150, -2, "stem-200kv-haadf", materials="Au")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: resolution_nm = -2 is not allowed; allowed: a finite number > 0 nm
    """

    diameter_nm: float
    thickness_nm: float
    resolution_nm: float
    instrument: str
    materials: object = None
    phantom: str | None = None
    holder: str | None = None
    dose_total_e_per_a2: float | None = None
    photons_per_pixel: float | None = None
    geometry: str = "slab"
    instrument_params: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("diameter_nm", "thickness_nm", "resolution_nm"):
            object.__setattr__(self, name, validate.positive(name, getattr(self, name), "nm"))
        if self.geometry not in GEOMETRIES:
            raise ValidationError("geometry", self.geometry, f"one of {GEOMETRIES}")
        if (self.materials is None) == (self.phantom is None):
            raise ValidationError("materials", self.materials, "materials or a phantom (exactly one of them)")
        if self.phantom is not None and self.phantom not in phantoms.available():
            raise ValidationError("phantom", self.phantom, f"one of {sorted(phantoms.available())}")
        object.__setattr__(self, "materials", _fractions(self.materials) if self.materials is not None
                           else _phantom_fractions(self.phantom))
        if not isinstance(self.instrument_params, dict):
            raise ValidationError("instrument_params", self.instrument_params, "a dict of instrument parameters")
        kind = instrument_kind(self.instrument)
        electron = kind in ELECTRON_KINDS
        if electron and self.photons_per_pixel is not None:
            raise ValidationError("photons_per_pixel", self.photons_per_pixel,
                                  f"unset for the electron instrument {self.instrument!r} (give dose_total_e_per_a2)")
        if not electron and self.dose_total_e_per_a2 is not None:
            raise ValidationError("dose_total_e_per_a2", self.dose_total_e_per_a2,
                                  f"unset for the X-ray instrument {self.instrument!r} (give photons_per_pixel)")
        if self.dose_total_e_per_a2 is not None:
            validate.positive("dose_total_e_per_a2", self.dose_total_e_per_a2, "e/A^2")
        if self.photons_per_pixel is not None:
            validate.positive("photons_per_pixel", self.photons_per_pixel, "photons")
        if self.holder is not None:
            holder_named(self.holder)
        self.config()

    @property
    def kind(self) -> str:
        """The instrument kind: ``"stem"``, ``"tem"``, ``"txm"`` or ``"nanoprobe"``."""
        return instrument_kind(self.instrument)

    def config(self):
        """The validated instrument (preset or kind, with ``instrument_params`` and the dose)."""
        params = dict(self.instrument_params)
        if self.dose_total_e_per_a2 is not None:
            params["dose_total_e_per_a2"] = self.dose_total_e_per_a2
        if self.photons_per_pixel is not None and self.kind == "txm":
            params["photons_per_pixel"] = self.photons_per_pixel
        if self.holder is not None and self.kind in ELECTRON_KINDS:
            params["holder"] = self.holder
        if self.instrument in instruments.PRESETS:
            return instruments.preset(self.instrument, **params)
        return instruments.get(self.instrument, **params)

    def material_fractions(self) -> dict[str, float]:
        """Volume fractions of the solid, by material, summing to 1 (most abundant first)."""
        return dict(self.materials)


def _phantom_fractions(name: str) -> dict[str, float]:
    defaults = phantoms.parameters(name)
    coarse = {"voxel_nm": 4 * defaults["voxel_nm"]} if "voxel_nm" in defaults else {}
    coarse.update({"supersample": 2} if "supersample" in defaults else {})
    phantom = phantoms.get(name, **coarse)
    totals = phantom.fractions.reshape(len(phantom.material_names), -1).sum(axis=1, dtype=np.float64)
    return _fractions(dict(zip(phantom.material_names, totals.tolist())))


def _fractions(materials) -> dict[str, float]:
    if isinstance(materials, str):
        materials = {materials: 1.0}
    elif not isinstance(materials, dict):
        try:
            names = list(materials)
        except TypeError:
            raise ValidationError("materials", materials, "a name, names or names with volume fractions") from None
        materials = {name: 1.0 for name in names}
    if not materials:
        raise ValidationError("materials", materials, "at least one of " + str(sorted(phantoms.MATERIALS)))
    for name, value in materials.items():
        if name not in phantoms.MATERIALS:
            raise ValidationError("materials", name, f"one of {sorted(phantoms.MATERIALS)}")
        validate.positive(f"materials[{name}]", value)
    total = sum(materials.values())
    ordered = sorted(materials.items(), key=lambda item: -item[1])
    return {name: value / total for name, value in ordered}


def path_nm(angles_deg, thickness_nm: float, diameter_nm: float, geometry: str = "slab") -> np.ndarray:
    """Path length [nm] of the central ray through the sample at each tilt [deg].

    ``"slab"``: ``min(t/cos θ, D/sin θ)`` (a rectangle ``D`` across, ``t``
    along the beam at 0°); ``"particle"``: ``1/√(sin²θ/D² + cos²θ/t²)`` (an
    ellipse).

    Examples
    --------
    >>> path_nm([0, 60], 80.0, 1000.0).round(6).tolist()
    [80.0, 160.0]
    >>> path_nm([0, 45, 90], 100.0, 100.0, "particle").round(6).tolist()
    [100.0, 100.0, 100.0]
    """
    theta = np.deg2rad(np.abs(validate.angles("angles_deg", angles_deg)))
    t = validate.positive("thickness_nm", thickness_nm, "nm")
    d = validate.positive("diameter_nm", diameter_nm, "nm")
    sin, cos = np.sin(theta), np.cos(theta)
    if geometry == "slab":
        with np.errstate(divide="ignore"):
            return np.minimum(np.where(cos > 0, t / np.where(cos > 0, cos, 1.0), np.inf),
                              np.where(sin > 0, d / np.where(sin > 0, sin, 1.0), np.inf))
    if geometry == "particle":
        return 1.0 / np.sqrt((sin / d) ** 2 + (cos / t) ** 2)
    raise ValidationError("geometry", geometry, f"one of {GEOMETRIES}")


def usable_tilt_deg(thickness_nm: float, diameter_nm: float, usable_nm: float, limit_deg: float,
                    geometry: str = "slab") -> float:
    """Largest tilt α [deg] ≤ ``limit_deg`` with the path below ``usable_nm`` at every ``|θ| ≤ α``.

    0 when the sample is too thick even at 0°. Solved on a 0.001° grid, then
    exactly for the slab's ``t/cos θ`` branch.

    Examples
    --------
    >>> round(usable_tilt_deg(80.0, 1000.0, 160.0, 70.0), 6)     # arccos(1/2)
    60.0
    >>> usable_tilt_deg(80.0, 1000.0, 400.0, 70.0)                # the holder stops first
    70.0
    """
    limit = validate.in_range("limit_deg", limit_deg, 0.0, 90.0, "deg")
    usable = validate.positive("usable_nm", usable_nm, "nm")
    grid = np.linspace(0.0, limit, int(round(limit * 1000)) + 1)
    ok = path_nm(grid, thickness_nm, diameter_nm, geometry) <= usable * (1 + 1e-12)
    if not ok[0]:
        return 0.0
    if ok.all():
        return limit
    alpha = float(grid[int(np.argmin(ok)) - 1])
    if geometry == "slab" and thickness_nm / usable <= 1.0:
        exact = math.degrees(math.acos(thickness_nm / usable))
        if abs(exact - alpha) < 2e-3:
            alpha = exact
    return min(alpha, limit)


@dataclass(frozen=True)
class Plan:
    """The planner's answer (see the module docstring). All values in the units their names carry."""

    request: PlanRequest
    mode: str
    crowther_views: int
    n_views: int
    step_deg: float
    holder: str
    holder_limit_deg: float
    usable_thickness_nm: float
    usable_thickness_basis: str
    max_tilt_deg: float
    path_at_max_tilt_nm: float
    dose_unit: str
    dose_total: float
    dose_per_view: float
    dose_needed: float
    dose_limited_resolution_nm: float
    instrument_resolution_nm: float
    crowther_resolution_nm: float
    resolution_x_nm: float
    elongation: float
    resolution_z_nm: float
    time_s: dict
    reasons: tuple
    notes: tuple

    @property
    def feasible(self) -> bool:
        """Whether the request can be met (``reasons`` is empty)."""
        return not self.reasons

    def to_dict(self) -> dict:
        """A JSON-ready dict of the plan, the request included; an infinite value (nothing reachable) is ``None``."""
        request = {name: getattr(self.request, name) for name in self.request.__dataclass_fields__}
        out = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "request"}
        out = {name: None if isinstance(value, float) and not math.isfinite(value) else value
               for name, value in out.items()}
        out.update(request=request, feasible=self.feasible, reasons=list(self.reasons), notes=list(self.notes))
        return out

    def table(self) -> Table:
        """The plan as a rich table (quantity, value, unit)."""
        table = Table(title=f"plan: {self.request.resolution_nm:g} nm on a {self.request.diameter_nm:g} nm "
                            f"{self.request.geometry} ({self.request.thickness_nm:g} nm thick), {self.request.instrument}")
        for column, justify in (("quantity", "left"), ("value", "right"), ("unit", "left")):
            table.add_column(column, justify=justify)
        for name, value, unit in self.rows():
            table.add_row(name, value, escape(unit))
        return table

    def rows(self) -> list[tuple[str, str, str]]:
        """``(quantity, value, unit)`` rows of :meth:`table` and :meth:`report`."""
        rows = [
            ("feasible", "yes" if self.feasible else "NO", ""),
            ("Crowther views (180°)", f"{self.crowther_views}", ""),
            ("views over the usable range", f"{self.n_views}", ""),
            ("tilt step", f"{self.step_deg:.3g}", "deg"),
            ("tilt range", f"±{self.max_tilt_deg:.1f}", "deg"),
            (f"holder limit ({self.holder})", f"±{self.holder_limit_deg:g}", "deg"),
            (f"usable thickness ({self.usable_thickness_basis})", f"{self.usable_thickness_nm:.4g}", "nm"),
            ("path at the largest tilt", f"{self.path_at_max_tilt_nm:.4g}", "nm"),
            ("dose, series total", f"{self.dose_total:.4g}", self.dose_unit),
            ("dose per view", f"{self.dose_per_view:.4g}", self.dose_unit),
            ("dose needed (Rose, k = 5)", f"{self.dose_needed:.4g}", self.dose_unit),
            ("dose-limited resolution", f"{self.dose_limited_resolution_nm:.3g}", "nm"),
            ("instrument's resolution limit", f"{self.instrument_resolution_nm:.3g}", "nm"),
            ("predicted resolution across the beam (x)", f"{self.resolution_x_nm:.3g}", "nm"),
            ("missing-wedge elongation", f"{self.elongation:.3g}", ""),
            ("predicted resolution along the beam (z)", f"{self.resolution_z_nm:.3g}", "nm"),
        ]
        rows += [(f"time, {name}", f"{seconds / 3600:.3g}", "h") for name, seconds in self.time_s.items()]
        return rows

    def report(self) -> str:
        """The plan as plain text: the table, then why it is impossible (if so) and notes."""
        width = max(len(name) for name, _, _ in self.rows())
        lines = [f"{name:<{width}}  {value:>10} {unit}".rstrip() for name, value, unit in self.rows()]
        lines += [f"impossible: {reason}" for reason in self.reasons]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def detection_mode(request: PlanRequest) -> str:
    """``"bf"``, ``"bf-filtered"``, ``"haadf"`` (electrons) or ``"xray"``.

    >>> detection_mode(PlanRequest(100, 80, 5, "tem-300kv-bf-lowdose", materials="a-C"))
    'bf'
    """
    config = request.config()
    if request.kind == "tem":
        return "bf" if config.energy_filter_slit_ev is None else "bf-filtered"
    if request.kind == "stem":
        return "haadf"
    return "xray"


def usable_thickness_nm(request: PlanRequest) -> tuple[float, str]:
    """The usable path through the sample [nm] and what sets it.

    Electrons: ``USABLE_MFP[mode]·λ_in`` with ``1/λ_in = Σ f_m/λ_in,m`` the
    volume-weighted mean of the materials' (Malis et al. 1988,
    :meth:`phantoms.Material.inelastic_mfp_nm`); for HAADF-STEM also the
    depth over which the probe stays within ``d``: it widens by ``α·Δz`` at a
    distance ``Δz`` from focus, so a sample focused at mid-depth is sharp to
    ``d`` through ``t = d/α`` (not less than the depth of field ``1.77λ/α²``;
    Hovden, Xin & Muller, Microsc. Microanal. 17, 75 (2011)). X-rays:
    ``μt ≤ XRAY_MU_T`` with ``μ`` the volume-weighted mean, and the zone
    plate's depth of focus (TXM).

    Examples
    --------
    >>> t, basis = usable_thickness_nm(PlanRequest(200, 80, 5, "tem-300kv-bf-lowdose", materials="a-C"))
    >>> round(t, 1), basis
    (187.1, '1 λ_in (BF, no filter)')
    """
    config = request.config()
    mode = detection_mode(request)
    fractions = request.material_fractions()
    if mode == "xray":
        mu = sum(f * phantoms.material(name).mu_per_nm(config.energy_kev) for name, f in fractions.items())
        limits = {f"μt = {XRAY_MU_T:g}": XRAY_MU_T / mu}
        if request.kind == "txm":
            limits["zone-plate depth of focus"] = config.zone_plate.depth_of_focus_nm(config.energy_kev)
        basis = min(limits, key=limits.get)
        return float(limits[basis]), basis
    collection = getattr(config, "collection_mrad", 10.0)
    inverse = sum(f / phantoms.material(name).inelastic_mfp_nm(config.voltage_kv, collection)
                  for name, f in fractions.items())
    factor = USABLE_MFP[mode]
    label = {"bf": "BF, no filter", "bf-filtered": "BF, zero-loss filter", "haadf": "HAADF"}[mode]
    limits = {f"{factor:g} λ_in ({label})": factor / inverse}
    if mode == "haadf":
        alpha = config.convergence_mrad * 1e-3
        depth = max(request.resolution_nm / alpha, depth_of_field_nm(config.voltage_kv, config.convergence_mrad))
        limits[f"probe focus depth d/α (α = {config.convergence_mrad:g} mrad)"] = depth
    basis = min(limits, key=limits.get)
    return float(limits[basis]), basis


def instrument_resolution_nm(request: PlanRequest) -> float:
    """The finest resolution the instrument delivers [nm], whatever the dose and views.

    - TEM: the coarser of the objective aperture's cut-off ``λ/β`` and the
      information limit ``√(πλΔ/2)`` with the focal spread Δ (O'Keefe,
      Ultramicroscopy 47, 282 (1992); :func:`sim.electron_optics.focal_spread_nm`).
    - STEM: the probe, ``0.61·λ/α`` (Rayleigh) and the source size in quadrature.
    - TXM: the zone plate's Rayleigh resolution ``1.22·Δr_N`` (``TXM.resolution_nm``).
    - Nanoprobe: the probe, ``probe_fwhm_nm`` or the zone plate's ``1.22·Δr_N``.

    Examples
    --------
    >>> round(instrument_resolution_nm(PlanRequest(500, 200, 40, "txm-synchrotron", materials="NiO")), 1)
    30.5
    """
    config = request.config()
    if request.kind == "tem":
        wavelength = wavelength_nm(config.voltage_kv)
        spread = focal_spread_nm(config.cc_mm, config.energy_spread_ev, config.voltage_kv)
        limit = math.sqrt(math.pi * wavelength * spread / 2.0)
        if config.objective_aperture_mrad is not None:
            limit = max(limit, wavelength / (config.objective_aperture_mrad * 1e-3))
        return limit
    if request.kind == "stem":
        rayleigh = 0.61 * wavelength_nm(config.voltage_kv) / (config.convergence_mrad * 1e-3)
        return math.hypot(rayleigh, config.source_size_nm)
    if request.kind == "txm":
        return float(config.resolution_nm()["zone_plate_rayleigh_nm"])
    return float(config.probe_fwhm_nm or config.zone_plate.rayleigh_resolution_nm)


def _imaged_value(request: PlanRequest, config, material) -> float:
    """What each modality images, per nm of path: 2σV (TEM phase), ζ = ΣN·Zⁿ (HAADF), μ (X-rays)."""
    if request.kind == "tem":
        return 2.0 * interaction_constant(config.voltage_kv) * material.mean_inner_potential_v
    if request.kind == "stem":
        return material.z_contrast_per_nm3(config.z_exponent)
    return material.mu_per_nm(config.energy_kev)


def _contrast_terms(request: PlanRequest):
    """``(matrix value, [feature - matrix differences])`` of :func:`_imaged_value`; one material: against vacuum."""
    config = request.config()
    values = [_imaged_value(request, config, phantoms.material(name)) for name in request.materials]
    if len(values) == 1:
        return 0.0, [values[0]]
    return values[0], [v - values[0] for v in values[1:]]


def _xray_pixel_nm(request: PlanRequest, config) -> float:
    """The planned X-ray pixel [nm]: ``d/2`` (Nyquist for ``d``); the nanoprobe's step if finer."""
    if request.kind == "txm":
        return request.resolution_nm / 2.0
    return min(config.scan.step_nm, request.resolution_nm / 2.0)


def fluence_per_nm2(request: PlanRequest, n_views: int) -> float:
    """Quanta per nm² of the whole series: electrons, or photons on pixels of ``d/2`` (nanoprobe: the step if finer).

    >>> fluence_per_nm2(PlanRequest(100, 50, 2, "tem-300kv-bf-lowdose", materials="a-C"), 61)   # 100 e/Å²
    10000.0
    """
    config = request.config()
    if request.kind in ELECTRON_KINDS:
        return config.dose_total_e_per_a2 * 100.0
    if request.kind == "txm":
        photons = config.photons_per_pixel
    else:
        photons = request.photons_per_pixel or config.flux_photons_per_s * config.scan.dwell_s
    return n_views * photons / _xray_pixel_nm(request, config) ** 2


def rose_snr(size_nm, request: PlanRequest, fluence_per_nm2: float):
    """Signal-to-noise ratio of the weakest feature of size ``size_nm`` [nm] (Rose 1948; module docstring).

    Transmission (TEM phase contrast ``2σΔV·d`` at the CTF's maximum, X-ray
    absorption ``Δμ·d``): ``SNR = C·√(F·d²·T)`` with the fluence ``F`` and
    the transmission ``T`` through the sample (zero-loss ``exp(−t/λ_in)``,
    ``exp(−μt)``). HAADF (dark field): ``SNR = N·Δp/√(N·p̄)`` with
    ``N = F·d²``, ``Δp = C_Z·Δζ·d`` and the background ``p̄ = C_Z·(ζ_m·t + |Δζ|·d)``
    (``C_Z``: :func:`sim.dark_field.z_contrast_scale_nm2`).
    """
    size = np.asarray(size_nm, dtype=np.float64)
    config = request.config()
    matrix, differences = _contrast_terms(request)
    weakest = min((abs(v) for v in differences if v != 0), default=0.0)
    t = request.thickness_nm
    quanta = fluence_per_nm2 * size**2
    if request.kind == "stem":
        scale = z_contrast_scale_nm2(config.voltage_kv, config.haadf_inner_mrad, config.haadf_outer_mrad, config.z_exponent)
        background = scale * (matrix * t + weakest * size)
        return quanta * scale * weakest * size / np.sqrt(np.maximum(quanta * background, 1e-300))
    if request.kind == "tem":
        fractions = request.material_fractions()
        inverse = sum(f / phantoms.material(n).inelastic_mfp_nm(config.voltage_kv, config.collection_mrad)
                      for n, f in fractions.items())
        transmission = math.exp(-t * inverse)
    else:
        fractions = request.material_fractions()
        mu = sum(f * phantoms.material(n).mu_per_nm(config.energy_kev) for n, f in fractions.items())
        transmission = math.exp(-t * mu)
    return weakest * size * np.sqrt(quanta * transmission)


def dose_limited_resolution_nm(request: PlanRequest, fluence_per_nm2: float) -> float:
    """The smallest detail [nm] with Rose SNR ≥ 5 at this fluence; ``inf`` when nothing has contrast.

    SNR grows monotonically with the size, so bisection in log size from
    1 pm to 1 mm finds it.
    """
    if float(rose_snr(1e6, request, fluence_per_nm2)) < ROSE_K:
        return math.inf
    low, high = math.log(1e-3), math.log(1e6)
    for _ in range(100):
        mid = 0.5 * (low + high)
        if float(rose_snr(math.exp(mid), request, fluence_per_nm2)) >= ROSE_K:
            high = mid
        else:
            low = mid
    return math.exp(high)


def _time_s(request: PlanRequest, angles: np.ndarray) -> dict:
    config = request.config()
    if request.kind in ELECTRON_KINDS:
        return {f"{method} tracking": acquisition_time(angles, config.timing, config.stage, method).total_s
                for method in ("tilt-by-tilt", "predictive")}
    if request.kind == "txm":
        budget = scan_time(config.timing, n_views=angles.size, range_deg=max(float(np.ptp(angles)), 1e-3))
        return {f"{config.timing.mode} scan": budget["total_s"]}
    field_um = round(request.diameter_nm / 1000.0, 6)
    scan = replace(config.scan, field_um=(field_um, field_um), step_nm=min(config.scan.step_nm, request.resolution_nm / 2))
    return {f"raster ({scan.step_nm:g} nm step, {scan.dwell_s:g} s dwell)":
            replace(config, scan=scan).acquisition_time(int(angles.size))["total_s"]}


def plan(request: PlanRequest) -> Plan:
    """Plan an experiment in closed form (module docstring).

    Examples
    --------
    >>> p = plan(PlanRequest(150, 150, 2, "stem-200kv-haadf", materials="Pt", geometry="particle",
    ...                      instrument_params={"convergence_mrad": 10.0}))
    >>> p.crowther_views, p.max_tilt_deg, p.feasible
    (236, 70.0, True)
    """
    if not isinstance(request, PlanRequest):
        raise ValidationError("request", type(request).__name__, "a PlanRequest")
    config = request.config()
    mode = detection_mode(request)
    d, t, diameter = request.resolution_nm, request.thickness_nm, request.diameter_nm
    electron = request.kind in ELECTRON_KINDS
    holder = holder_named(request.holder or (config.holder if electron else "on-axis"))
    usable, basis = usable_thickness_nm(request)
    alpha = usable_tilt_deg(t, diameter, usable, holder.tilt_limit_deg, request.geometry)
    crowther = metrics.limits.crowther_views(diameter, d)
    step = 180.0 / crowther
    n_views = int(math.floor(2.0 * alpha / step + 1e-9)) + 1 if 0 < alpha < 90.0 else (crowther if alpha else 1)
    angles = check_angles(alpha, n_views)
    fluence = fluence_per_nm2(request, n_views)
    dose_limit = dose_limited_resolution_nm(request, fluence)
    instrument_limit = instrument_resolution_nm(request)
    crowther_limit = math.pi * diameter / crowther
    resolution_x = max(d, dose_limit, instrument_limit)
    elongation = metrics.limits.missing_wedge_elongation(alpha) if alpha > 0 else math.inf
    snr = float(rose_snr(d, request, fluence))
    needed_factor = (ROSE_K / snr) ** 2 if snr > 0 else math.inf
    if electron:
        dose_unit, total, given = "e/A^2", float(config.dose_total_e_per_a2), "tolerable"
    else:
        dose_unit, total, given = "photons/px", fluence * _xray_pixel_nm(request, config) ** 2, "planned"
    needed = total * needed_factor
    reasons, notes = [], []
    if alpha <= 0:
        hint = f"; a probe of α <= {d / t * 1e3:.3g} mrad stays within {d:g} nm through it" if "probe" in basis else ""
        reasons.append(f"the sample ({t:g} nm) is thicker than the usable thickness {usable:.4g} nm "
                       f"({basis}) even at 0°{hint}")
    if d < instrument_limit:
        reasons.append(f"{d:g} nm is finer than the instrument's limit, {instrument_limit:.3g} nm")
    if dose_limit > d:
        reasons.append(f"dose-limited: {d:g} nm needs {needed:.3g} {dose_unit} by the Rose criterion "
                       f"(k = 5), the {given} dose is {total:.3g} {dose_unit} (reaches {dose_limit:.3g} nm)")
    if mode == "bf":
        beta_mrad = config.objective_aperture_mrad or config.collection_mrad
        blur = config.cc_mm * 1e6 * beta_mrad * 1e-3 / (config.voltage_kv * 1e3)
        loss = sum(f * phantoms.material(n).mean_energy_loss_ev for n, f in request.material_fractions().items())
        notes.append(f"unfiltered BF: inelastic electrons (mean loss {loss:.3g} eV) are blurred by "
                     f"Cc·(E_m/E)·β = {blur * loss:.3g} nm; a zero-loss filter allows {USABLE_MFP['bf-filtered']:g} λ_in")
    if alpha < holder.tilt_limit_deg and alpha > 0:
        notes.append(f"the tilt range stops at ±{alpha:.1f}° where the path reaches the usable thickness, "
                     f"before the holder's ±{holder.tilt_limit_deg:g}°")
    return Plan(
        request=request, mode=mode, crowther_views=crowther, n_views=n_views, step_deg=step, holder=holder.name,
        holder_limit_deg=holder.tilt_limit_deg, usable_thickness_nm=usable, usable_thickness_basis=basis,
        max_tilt_deg=alpha, path_at_max_tilt_nm=float(path_nm([alpha], t, diameter, request.geometry)[0]),
        dose_unit=dose_unit, dose_total=total, dose_per_view=total / n_views,
        dose_needed=float(needed), dose_limited_resolution_nm=dose_limit, instrument_resolution_nm=instrument_limit,
        crowther_resolution_nm=crowther_limit, resolution_x_nm=resolution_x, elongation=elongation,
        resolution_z_nm=resolution_x * elongation, time_s=_time_s(request, angles), reasons=tuple(reasons),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class SimulationCheck:
    """What :func:`simulate` measured: one row per sweep point and seed.

    Attributes
    ----------
    plan : Plan
        The plan checked.
    rows : tuple of dict
        ``{"axis", "value", "seed", "resolution_nm"}``; axis ``"views"``
        (number of views), ``"dose"`` (total, in ``plan.dose_unit``) or
        ``"max_tilt_deg"`` [deg].
    recommended : dict
        The plan's value on each axis.
    voxel_nm : float
        The simulation grid's voxel [nm].
    """

    plan: Plan
    rows: tuple
    recommended: dict
    voxel_nm: float

    def summary(self, axis: str) -> dict[float, tuple[float, float]]:
        """``value -> (mean, std)`` of the resolution [nm] over seeds on one axis."""
        values = sorted({row["value"] for row in self.rows if row["axis"] == axis})
        out = {}
        for value in values:
            res = [row["resolution_nm"] for row in self.rows if row["axis"] == axis and row["value"] == value]
            out[value] = (float(np.mean(res)), float(np.std(res)))
        return out

    def change(self, axis: str, worse: float, better: float) -> tuple[float, bool]:
        """Paired change of the resolution [nm] from ``better`` to ``worse`` on ``axis``, and whether it is measurable.

        Measurable: the mean over seeds of the paired difference
        ``res(worse) − res(better)`` exceeds twice its standard error and 2 %
        of ``res(better)`` (:data:`MEASURABLE_FRACTION`).
        """
        by_seed = {}
        for row in self.rows:
            if row["axis"] == axis and row["value"] in (worse, better):
                by_seed.setdefault(row["seed"], {})[row["value"]] = row["resolution_nm"]
        pairs = np.array([[v[worse], v[better]] for v in by_seed.values() if len(v) == 2])
        if pairs.shape[0] == 0:
            raise ValidationError("axis", axis, "an axis with both values simulated for the same seeds")
        diff = pairs[:, 0] - pairs[:, 1]
        mean = float(diff.mean())
        error = float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else 0.0
        return mean, bool(mean > 2.0 * error and mean > MEASURABLE_FRACTION * float(pairs[:, 1].mean()))

    def views_verdict(self) -> dict:
        """Halving and doubling the recommended views: the paired changes [nm] and whether they are measurable."""
        n = self.recommended["views"]
        views = sorted(self.summary("views"))
        half, double = views[0], views[-1]
        worse, worse_ok = self.change("views", half, n)
        gain, gain_ok = self.change("views", n, double)
        return {"halving_worsens_nm": worse, "halving_measurable": worse_ok,
                "doubling_improves_nm": gain, "doubling_measurable": gain_ok,
                "confirmed": worse_ok and not gain_ok}

    def to_dict(self) -> dict:
        """A JSON-ready dict: the rows, the recommendation, the views verdict."""
        return {"rows": [dict(row) for row in self.rows], "recommended": dict(self.recommended),
                "voxel_nm": self.voxel_nm, "views_verdict": self.views_verdict()}


MEASURABLE_FRACTION = 0.02
"""Smallest relative change of the resolution :meth:`SimulationCheck.change` calls measurable."""
MAX_SIMULATION_GRID = 256
"""Largest simulation grid side [voxels] :func:`simulate` accepts (``3·D/d``)."""


def check_phantom(request: PlanRequest, seed, *, n_rows: int = 4) -> phantoms.Phantom:
    """A textured sample for :func:`simulate`: the request's cross-section on a grid of ``d/3``.

    The grid's side holds the cross-section at every tilt (the slab's
    diagonal ``√(D² + t²)``, the ellipse's larger axis): no projection is
    truncated.

    The cross-section (slab ``D × t`` or ellipse, in the x–z plane, extruded
    along the ``n_rows`` rows) holds per voxel a uniform random fraction ``f``
    of the first feature material and ``1 − f`` of the matrix (a single
    material: ``f`` of it, the rest vacuum): white texture, with power up to
    the grid's Nyquist frequency, so the FSC measures how well the series
    samples every frequency (Crowther's criterion), not a smooth shape.

    Examples
    --------
    >>> r = PlanRequest(300, 300, 30, "txm-synchrotron", materials={"NiO": 0.9, "CoO": 0.1})
    >>> p = check_phantom(r, seed=1)
    >>> p.shape, p.material_names, p.voxel_nm
    ((4, 44, 44), ('NiO', 'CoO'), 10.0)
    """
    voxel = request.resolution_nm / SIMULATE_VOXELS_PER_D
    d, t = request.diameter_nm, request.thickness_nm
    extent = math.hypot(d, t) if request.geometry == "slab" else max(d, t)
    n = math.ceil(extent / voxel - 1e-9)
    n += n % 2
    if n > MAX_SIMULATION_GRID:
        raise ValidationError("resolution_nm", request.resolution_nm,
                              f">= {3 * extent / MAX_SIMULATION_GRID:.3g} nm for --simulate (its grid of d/3 across "
                              f"the sample's {extent:.4g} nm must stay <= {MAX_SIMULATION_GRID} voxels)")
    rng = np.random.default_rng(seed)
    centres = (np.arange(n) - (n - 1) / 2) * voxel
    z, x = np.meshgrid(centres, centres, indexing="ij")
    if request.geometry == "slab":
        inside = (np.abs(z) <= t / 2) & (np.abs(x) <= d / 2)
    else:
        inside = (x / (d / 2)) ** 2 + (z / (t / 2)) ** 2 <= 1.0
    names = list(request.materials)[:2]
    texture = rng.random((n_rows, n, n)) * inside
    if len(names) == 1:
        fractions = texture[None]
    else:
        fractions = np.stack([inside * 1.0 - texture, texture])
    materials = tuple(phantoms.material(name) for name in names)
    return phantoms.Phantom(fractions.astype(np.float32), materials, voxel, name="planner_check")


def check_instrument(request: PlanRequest, *, dose_scale: float = 1.0):
    """The request's instrument set up for :func:`simulate`: sampling, range and dose, not alignment or optics.

    ``projection`` fidelity; X-rays: an ideal photon counter and a flat,
    still beam; electrons: a still, eucentric stage, no
    tracking, no damage (TEM: in focus, no spherical aberration, a 10 eV
    zero-loss slit, so ``−log(I/I₀)`` is linear in the truth); the dose
    scaled by ``dose_scale`` (TXM: photons per ``d/2`` pixel spread onto the
    ``d/3`` voxels).
    """
    config = request.config()
    if request.kind == "nanoprobe":
        raise ValidationError("instrument", request.instrument, "a TXM, STEM or TEM for --simulate")
    if request.kind == "txm":
        photons = config.photons_per_pixel * dose_scale * (2.0 / SIMULATE_VOXELS_PER_D) ** 2
        return replace(config, fidelity="projection", photons_per_pixel=photons, pixel_nm=None,
                       detector=XrayDetector(), illumination=Illumination())
    still = Stage(height_error_nm=0.0, axis_offset_nm=0.0, axis_elevation_deg=0.0, runout_nm=0.0, hysteresis_nm=0.0,
                  jitter_nm=0.0, drift_nm_per_s=0.0)
    params = {"stage": still, "tracking": "none", "damage": False, "fidelity": "projection", "pixel_nm": None,
              "dose_total_e_per_a2": config.dose_total_e_per_a2 * dose_scale}
    if request.kind == "tem":
        params.update(defocus_nm=0.0, cs_mm=0.0, energy_filter_slit_ev=10.0)
    return replace(config, **params)


def check_angles(max_tilt_deg: float, n_views: int) -> np.ndarray:
    """``n_views`` tilts [deg] evenly over ±α (over [−90°, 90°) for α = 90°, no repeated projection).

    >>> check_angles(90.0, 4).tolist(), check_angles(60.0, 3).tolist()
    ([-90.0, -45.0, 0.0, 45.0], [-60.0, 0.0, 60.0])
    """
    if max_tilt_deg >= 90.0:
        return np.linspace(-90.0, 90.0, n_views, endpoint=False)
    return np.linspace(-max_tilt_deg, max_tilt_deg, n_views)


def tilt_plane_resolution_nm(volume, truth) -> float:
    """FSC-0.5 resolution [nm] against the truth in the tilt plane: the mean over slices of the 2-D FRC's.

    The rows (along the tilt axis) are sampled by the detector whatever the
    views, so the x–z plane is where views, range and dose show.
    """
    data, reference = np.asarray(volume.data), np.asarray(truth.data)
    return float(np.mean([metrics.fsc(data[i], reference[i], voxel_nm=truth.voxel_nm).resolution_nm(0.5)
                          for i in range(data.shape[0])]))


def simulate(plan_: Plan, *, repeats: int = 3, seed: int = 0, axes=("views", "dose", "max_tilt_deg"),
             progress: bool = False) -> SimulationCheck:
    """Check a plan with the twin: a small sweep around the recommendation.

    For each seed a textured sample (:func:`check_phantom`) is recorded by
    the request's instrument (:func:`check_instrument`), reconstructed by
    FBP (ramp filter) and scored by :func:`tilt_plane_resolution_nm`, at

    - ``"views"``: half, the recommended and twice the recommended number of
      views, at the recommended range (electrons keep the total dose, X-rays
      the photons per view, as the instruments are configured);
    - ``"dose"``: 1/16, 1/4 and 1 times the tolerable total dose;
    - ``"max_tilt_deg"``: 1/2, 3/4 and 1 times the recommended range, at the
      recommended angular step.

    Parameters
    ----------
    plan_ : Plan
        The plan to check (its request sets the sample and the instrument).
    repeats : int
        Seeds per point, >= 2 (the spread over seeds is the error bar).
    seed : int
        First seed; point ``k`` uses ``seed + k`` for sample and noise.
    axes : sequence of str
        Which sweeps to run.
    progress : bool
        Show a progress bar.

    Returns
    -------
    SimulationCheck
    """
    if not isinstance(plan_, Plan):
        raise ValidationError("plan", type(plan_).__name__, "a Plan")
    if isinstance(repeats, bool) or int(repeats) != repeats or repeats < 2:
        raise ValidationError("repeats", repeats, "an integer >= 2")
    unknown = [axis for axis in axes if axis not in ("views", "dose", "max_tilt_deg")]
    if unknown or not axes:
        raise ValidationError("axes", list(axes), "some of ['views', 'dose', 'max_tilt_deg']")
    if plan_.max_tilt_deg <= 0:
        raise ValidationError("plan", "infeasible", "a plan with a usable tilt range (the sample fits at 0°)")
    request = plan_.request
    alpha, n, step = plan_.max_tilt_deg, plan_.n_views, plan_.step_deg
    points = []
    if "views" in axes:
        points += [("views", float(k), alpha, k, 1.0) for k in (max(n // 2, 2), n, 2 * n)]
    if "dose" in axes:
        points += [("dose", plan_.dose_total * f, alpha, n, f) for f in (1 / 16, 1 / 4, 1.0)]
    if "max_tilt_deg" in axes:
        for f in (0.5, 0.75, 1.0):
            a = alpha * f
            k = n if f == 1.0 else max(int(math.floor(2 * a / step + 1e-9)) + 1, 2)
            points.append(("max_tilt_deg", a, a, k, 1.0))
    rows = []
    fbp = recon.get("fbp")
    jobs = [(point, seed + r) for r in range(int(repeats)) for point in points]
    for (axis, value, a, k, scale), s in track(jobs, description="planner check", enabled=progress):
        phantom = check_phantom(request, s)
        series = check_instrument(request, dose_scale=scale).acquire(phantom, check_angles(a, k), seed=s,
                                                                     progress=False)
        volume = fbp(series.to_line_integrals(), filter="ramp")
        rows.append({"axis": axis, "value": value, "seed": s,
                     "resolution_nm": tilt_plane_resolution_nm(volume, series.ground_truth)})
    recommended = {"views": float(n), "dose": plan_.dose_total, "max_tilt_deg": alpha}
    return SimulationCheck(plan=plan_, rows=tuple(rows), recommended=recommended,
                           voxel_nm=request.resolution_nm / SIMULATE_VOXELS_PER_D)


def parse_materials(items) -> dict[str, float]:
    """Materials from command-line items ``NAME`` or ``NAME=FRACTION`` (volume fractions; bare names weigh 1).

    >>> parse_materials(["NiO=0.7", "CoO=0.3"])
    {'NiO': 0.7, 'CoO': 0.3}
    >>> parse_materials(["Au"])
    {'Au': 1.0}
    """
    out = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        try:
            out[name] = float(value) if sep else 1.0
        except ValueError:
            raise ValidationError("material", item, "NAME or NAME=FRACTION, e.g. NiO=0.7") from None
    return out


def write_check(check: SimulationCheck, out) -> list:
    """Write ``plan_check.json`` (rows, recommendation, views verdict) and ``plan_check.png`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    return [io.write_json(check.to_dict(), folder / "plan_check.json"), check_figure(check, folder / "plan_check.png")]


def write_plan(plan_: Plan, out, check: SimulationCheck | None = None) -> list:
    """Write ``plan.json`` (and, with a check, its files: :func:`write_check`) into ``out``; return the paths."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = [io.write_json(plan_.to_dict(), folder / "plan.json")]
    if check is not None:
        written += write_check(check, folder)
    return written

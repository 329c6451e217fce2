"""What every electron tomography acquisition shares: holder, dose, stage, time and damage.

A tilt series is planned before any image is formed (:func:`plan_views`):

1. the holder refuses tilts beyond its limit;
2. the time model gives each view's start time and the session's length;
3. dose per view from the budget and the weighting, plus the dose that
   tilt-by-tilt tracking images put on the region of interest, accumulated in
   acquisition order;
4. the non-eucentric stage gives each view's recorded image shift, focus
   change and drift blur (after tracking);
5. radiation damage turns cumulative dose into each material's remaining mass
   and thickness, view by view.

The plan's columns become the series' per-view table (``TiltSeries.views``),
so the true tilt, shift, defocus, dose and damage of every view travel with
the data. Image formation (the optics) is the instrument's: :mod:`instruments.stem`
(HAADF) and :mod:`instruments.tem` (bright field).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from instruments.binning import bin_factor, block_mean
from sim import validate
from sim.acquisition_time import acquisition_time
from sim.damage import classify, damage_class, damage_fractions, mass_remaining, thickness_remaining
from sim.dose import WEIGHTINGS, cumulative_dose, dose_per_view
from sim.errors import ValidationError
from sim.holder import holder as holder_named
from sim.projector import project
from sim.scheme import TiltScheme
from sim.stage import METHODS, Tracking, as_tracking
from sim.version import __version__

@dataclass(frozen=True, eq=False)
class ViewPlan:
    """Per-view acquisition plan in acquisition order (all arrays have one entry per view).

    Attributes
    ----------
    angles_deg : tilt [deg]; dose_e_per_a2 : imaging dose [e⁻/Å²];
    cumulative_dose_e_per_a2 : dose on the region of interest before the view
    (imaging + tracking) [e⁻/Å²]; shift_nm : recorded image shift (row, col)
    [nm]; blur_nm : drift during the exposure (row, col) [nm];
    defocus_change_nm : stage focus error added to the nominal defocus [nm];
    time_s : start time of each view's exposure [s]; timing : the time
    breakdown (tilt moves, settling, exposures, readouts, tracking, focusing,
    calibration, total) [s].
    """

    angles_deg: np.ndarray
    order: str
    dose_e_per_a2: np.ndarray
    cumulative_dose_e_per_a2: np.ndarray
    shift_nm: np.ndarray
    blur_nm: np.ndarray
    defocus_change_nm: np.ndarray
    time_s: np.ndarray
    timing: dict

    def columns(self) -> dict:
        """The plan as ``TiltSeries.views`` columns (names carry units)."""
        return {
            "tilt_deg": self.angles_deg,
            "dose_e_per_a2": self.dose_e_per_a2,
            "cumulative_dose_e_per_a2": self.cumulative_dose_e_per_a2,
            "shift_row_nm": self.shift_nm[:, 0],
            "shift_col_nm": self.shift_nm[:, 1],
            "blur_row_nm": self.blur_nm[:, 0],
            "blur_col_nm": self.blur_nm[:, 1],
            "defocus_change_nm": self.defocus_change_nm,
            "time_s": self.time_s,
        }


def check_common(config) -> None:
    """Validate the fields every electron instrument has (raises ValidationError naming the field)."""
    validate.in_range("voltage_kv", config.voltage_kv, 10.0, 1000.0, "kV")
    if config.pixel_nm is not None:
        validate.positive("pixel_nm", config.pixel_nm, "nm")
    for name in ("cs_mm", "cc_mm", "energy_spread_ev", "astigmatism_nm"):
        validate.non_negative(name, getattr(config, name), "")
    validate.positive("collection_mrad", config.collection_mrad, "mrad")
    if config.dose_weighting not in WEIGHTINGS:
        raise ValidationError("dose_weighting", config.dose_weighting, f"one of {WEIGHTINGS}")
    holder_named(config.holder)
    if not isinstance(config.tracking, Tracking) and config.tracking not in METHODS:
        raise ValidationError("tracking", config.tracking, f"one of {METHODS} or a sim.stage.Tracking")


def scheme_of(scheme) -> TiltScheme:
    """A :class:`TiltScheme` from a scheme or an angle list."""
    return scheme if isinstance(scheme, TiltScheme) else TiltScheme.from_angles(scheme)


def plan_views(config, scheme: TiltScheme, rng: np.random.Generator, *, dose_per_view_e_per_a2=None,
               timing=None) -> ViewPlan:
    """Holder check, timing, dose, stage track for ``scheme`` (see the module docstring).

    ``timing`` replaces ``config.timing`` (e.g. a STEM frame time from its dwell time).
    """
    angles = scheme.angles_deg
    holder_named(config.holder).check(angles)
    tracking = as_tracking(config.tracking)
    timing_config = config.timing if timing is None else timing
    timing = acquisition_time(angles, timing_config, config.stage, tracking)
    if dose_per_view_e_per_a2 is None:
        dose = dose_per_view(angles, config.dose_total_e_per_a2, weighting=config.dose_weighting)
    else:
        dose = np.broadcast_to(np.asarray(dose_per_view_e_per_a2, np.float64), angles.shape).copy()
    extra = np.asarray(timing.tracking_dose_e_per_a2, np.float64)
    cumulative = cumulative_dose(dose, extra_e_per_a2=extra)
    track = config.stage.track(angles, timing.times_s, rng, tracking, exposure_s=timing_config.exposure_s,
                               position_lag_s=timing.position_lag_s, focus_lag_s=timing.focus_lag_s)
    return ViewPlan(
        angles_deg=angles,
        order=scheme.order,
        dose_e_per_a2=dose,
        cumulative_dose_e_per_a2=cumulative,
        shift_nm=np.asarray(track.shift_nm, np.float64),
        blur_nm=np.asarray(track.blur_nm, np.float64),
        defocus_change_nm=np.asarray(track.defocus_change_nm, np.float64),
        time_s=np.asarray(timing.times_s, np.float64),
        timing={**timing.parts(), "total_s": timing.total_s},
    )


class SampleFields:
    """Per-material electron properties of a phantom and its (damaged) projected fields.

    ``quantities`` maps a field name to one value per material (e.g. the mean
    inner potential [V] or ``1/λ_in`` [1/nm]); :meth:`volume` is the field at a
    given cumulative dose (each material's fraction map damaged by its class),
    on the detector grid (block-averaged when the pixel is a multiple of the
    voxel).
    """

    def __init__(self, phantom, quantities: dict, *, pixel_nm: float | None, damage: bool):
        self.phantom = phantom
        self.factor = bin_factor(pixel_nm, phantom.voxel_nm)
        self.voxel_nm = phantom.voxel_nm * self.factor
        self.quantities = {name: np.asarray(values, np.float64) for name, values in quantities.items()}
        self.classes = [damage_class(classify(phantom.material(name).composition)) for name in phantom.material_names]
        self.damaging = damage and any(c.mass_loss_max > 0 or c.shrinkage_max > 0 for c in self.classes)
        self._cache: dict = {}

    def damage_columns(self, cumulative_dose_e_per_a2: np.ndarray) -> dict:
        """Per-view remaining mass and thickness of each material (views columns)."""
        columns = {}
        for name, cls in zip(self.phantom.material_names, self.classes):
            columns[f"mass_remaining[{name}]"] = mass_remaining(cumulative_dose_e_per_a2, cls)
            columns[f"thickness_remaining[{name}]"] = thickness_remaining(cumulative_dose_e_per_a2, cls)
        return columns

    def fractions(self, cumulative_dose_e_per_a2: float) -> np.ndarray:
        """The phantom's fraction maps at this cumulative dose (undamaged if damage is off)."""
        if not self.damaging:
            return self.phantom.fractions
        return damage_fractions(self.phantom.fractions, cumulative_dose_e_per_a2, self.classes)

    def volume(self, name: str, cumulative_dose_e_per_a2: float = 0.0) -> np.ndarray:
        """Field ``name`` = Σ_m value_m·fraction_m at this dose, on the detector grid (float32)."""
        dose = float(cumulative_dose_e_per_a2) if self.damaging else 0.0
        key = (name, dose)
        if key not in self._cache:
            fractions = self.fractions(dose)
            field = np.zeros(fractions.shape[1:], np.float32)
            for fraction, value in zip(fractions, self.quantities[name]):
                if value != 0:
                    field += np.float32(value) * fraction
            self._cache = {k: v for k, v in self._cache.items() if k[1] == dose}
            self._cache[key] = block_mean(field, self.factor)
        return self._cache[key]

    def projection(self, name: str, angle_deg: float, cumulative_dose_e_per_a2: float = 0.0) -> np.ndarray:
        """Line integral of field ``name`` at one tilt [unit × nm], shape (n_rows, n_cols)."""
        return project(self.volume(name, cumulative_dose_e_per_a2), [angle_deg], voxel_nm=self.voxel_nm)[0]


def check_level(fidelity: str, levels: tuple) -> str:
    """``fidelity`` if this instrument offers it, else a ValidationError listing the levels."""
    if fidelity not in levels:
        raise ValidationError("fidelity", fidelity, f"one of {levels}")
    return fidelity


def provenance(config, instrument: str, seed, scheme, phantom, plan, extra: dict) -> dict:
    """The provenance record of an electron series."""
    parameters = asdict(config)
    return {
        "instrument": instrument,
        "fidelity": config.fidelity,
        "seed": seed if not isinstance(seed, np.random.Generator) else "numpy.random.Generator",
        "version": __version__,
        "parameters": parameters,
        "scheme": {"order": scheme.order, "n_views": len(scheme)},
        "phantom": {"name": getattr(phantom, "name", None), "params": getattr(phantom, "params", None)},
        "acquisition_time_s": plan.timing,
        **extra,
    }

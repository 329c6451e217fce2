"""Electron dose: how a series' budget is split over its views, and how it accumulates.

Electron dose (fluence) is in e⁻/Å², the field's unit. A tilt series has a
total budget, set by what the specimen survives; this module splits it over
the views and adds it up in acquisition order (the order of
:class:`sim.scheme.TiltScheme`), which is what radiation damage follows.

- ``"uniform"``: every view gets ``total / n``.
- ``"1/cos"``: dose ∝ 1/cos θ, so that a slab, whose path length grows as
  1/cos θ, gives the same signal-to-noise ratio at every tilt (Saxberg &
  Saxton, Ultramicroscopy 6, 85 (1981)). Undefined at |θ| ≥ 90°.

STEM: a probe of current ``I`` resting ``t`` on a pixel puts ``I·t/e``
electrons on it, spread over the pixel's area, so the dose is
``I·t / (e·p²)`` with ``p`` the pixel in Å (``p[Å] = 10·pixel_nm``).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import e as ELEMENTARY_CHARGE_C

from sim import validate
from sim.errors import ValidationError

WEIGHTINGS = ("uniform", "1/cos")
_A_PER_NM = 10.0
_A_PER_PA = 1e-12
_S_PER_US = 1e-6


def dose_per_view(angles_deg, total_e_per_a2: float, weighting: str = "uniform") -> np.ndarray:
    """Split a dose budget over the views of a tilt series.

    Parameters
    ----------
    angles_deg : array_like, shape (n_views,)
        Tilt angles [deg] in acquisition order (e.g. ``TiltScheme.angles_deg``).
    total_e_per_a2 : float
        Dose budget of the whole series [e⁻/Å²], >= 0.
    weighting : {"uniform", "1/cos"}
        ``"uniform"``: the same dose every view. ``"1/cos"``: dose ∝ 1/cos θ
        (Saxberg & Saxton, Ultramicroscopy 6, 85 (1981)); all |θ| < 90°.

    Returns
    -------
    numpy.ndarray, float64, shape (n_views,)
        Dose of each view [e⁻/Å²], in the order of ``angles_deg``. The doses
        sum to ``total_e_per_a2`` to float64 rounding.

    Examples
    --------
    >>> dose_per_view([0, 30, 60], 120.0).tolist()
    [40.0, 40.0, 40.0]
    >>> d = dose_per_view([0, 60], 90.0, weighting="1/cos")   # 1/cos 60° = 2
    >>> [round(float(x), 9) for x in d]
    [30.0, 60.0]
    """
    angles = validate.angles("angles_deg", angles_deg)
    total = validate.non_negative("total_e_per_a2", total_e_per_a2, "e⁻/Å²")
    if weighting not in WEIGHTINGS:
        raise ValidationError("weighting", weighting, f"one of {WEIGHTINGS}")
    if weighting == "uniform":
        weights = np.ones_like(angles)
    else:
        if np.any(np.abs(angles) >= 90.0):
            worst = float(angles[np.argmax(np.abs(angles))])
            raise ValidationError("angles_deg", worst, "|θ| < 90 deg for the 1/cos weighting")
        weights = 1.0 / np.cos(np.deg2rad(angles))
    return total * (weights / weights.sum())


def cumulative_dose(dose_e_per_a2, extra_e_per_a2=0.0, *, at: str = "start") -> np.ndarray:
    """Dose the specimen has received by each view, in acquisition order.

    ``extra_e_per_a2`` is dose spent at a view besides the recorded image
    (tracking, focusing or drift-correction images); it is taken to be spent
    just before that view is recorded, as tracking and focusing precede the
    exposure.

    Parameters
    ----------
    dose_e_per_a2 : array_like, shape (n_views,)
        Dose of each recorded view [e⁻/Å²] in acquisition order (see
        :func:`dose_per_view`), >= 0.
    extra_e_per_a2 : float or array_like, shape (n_views,)
        Extra dose per view [e⁻/Å²], >= 0; a scalar applies to every view.
    at : {"start", "end"}
        ``"start"``: the dose received before the view's own exposure begins
        (0 at the first view when there is no extra dose). ``"end"``: the dose
        received when its exposure ends (``start + dose``).

    Returns
    -------
    numpy.ndarray, float64, shape (n_views,)
        Cumulative dose [e⁻/Å²] at each view.

    Examples
    --------
    >>> cumulative_dose([10.0, 10.0, 10.0]).tolist()
    [0.0, 10.0, 20.0]
    >>> cumulative_dose([10.0, 10.0, 10.0], at="end").tolist()
    [10.0, 20.0, 30.0]
    >>> cumulative_dose([10.0, 10.0], extra_e_per_a2=1.0).tolist()
    [1.0, 12.0]
    """
    dose = _non_negative_vector("dose_e_per_a2", dose_e_per_a2)
    extra = np.asarray(extra_e_per_a2, dtype=np.float64)
    if extra.ndim == 0:
        extra = np.full_like(dose, validate.non_negative("extra_e_per_a2", extra_e_per_a2, "e⁻/Å²"))
    else:
        extra = _non_negative_vector("extra_e_per_a2", extra)
        if extra.shape != dose.shape:
            raise ValidationError("extra_e_per_a2.shape", extra.shape, f"a scalar or {dose.shape} like dose_e_per_a2")
    if at not in ("start", "end"):
        raise ValidationError("at", at, "'start' or 'end'")
    per_view = dose + extra
    start = np.cumsum(per_view) - dose
    return start if at == "start" else start + dose


def stem_dose_e_per_a2(probe_current_pa: float, dwell_time_us: float, pixel_nm: float) -> float:
    """Dose [e⁻/Å²] of a STEM scan: ``I·t / (e·p²)``, one pixel's electrons over its area.

    Parameters
    ----------
    probe_current_pa : float
        Probe current [pA], > 0.
    dwell_time_us : float
        Dwell time per pixel [µs], > 0.
    pixel_nm : float
        Scan step (pixel size) [nm], > 0.

    Examples
    --------
    50 pA for 10 µs is 5e-16 C, i.e. 5e-16 / 1.602e-19 = 3121 electrons, on a
    0.1 nm = 1 Å pixel:

    >>> round(stem_dose_e_per_a2(50.0, 10.0, 0.1), 1)
    3120.8
    """
    current_a = validate.positive("probe_current_pa", probe_current_pa, "pA") * _A_PER_PA
    dwell_s = validate.positive("dwell_time_us", dwell_time_us, "µs") * _S_PER_US
    pixel_a = validate.positive("pixel_nm", pixel_nm, "nm") * _A_PER_NM
    return current_a * dwell_s / ELEMENTARY_CHARGE_C / pixel_a**2


def stem_dwell_time_us(dose_e_per_a2: float, probe_current_pa: float, pixel_nm: float) -> float:
    """Dwell time [µs] per pixel that gives ``dose_e_per_a2``: the inverse of :func:`stem_dose_e_per_a2`.

    Examples
    --------
    >>> round(stem_dwell_time_us(3120.7547, 50.0, 0.1), 4)
    10.0
    """
    dose = validate.non_negative("dose_e_per_a2", dose_e_per_a2, "e⁻/Å²")
    current_a = validate.positive("probe_current_pa", probe_current_pa, "pA") * _A_PER_PA
    pixel_a = validate.positive("pixel_nm", pixel_nm, "nm") * _A_PER_NM
    return dose * ELEMENTARY_CHARGE_C * pixel_a**2 / current_a / _S_PER_US


def electrons_per_pixel(dose_e_per_a2, pixel_nm: float):
    """Electrons [e⁻] falling on one pixel of side ``pixel_nm`` [nm] at ``dose_e_per_a2`` [e⁻/Å²].

    ``dose_e_per_a2`` may be a scalar (returns a float) or an array (returns a
    float64 array of the same shape), e.g. the per-view doses.

    Examples
    --------
    >>> electrons_per_pixel(20.0, 0.5)     # (5 Å)² × 20 e⁻/Å²
    500.0
    """
    pixel_a = validate.positive("pixel_nm", pixel_nm, "nm") * _A_PER_NM
    dose = np.asarray(dose_e_per_a2, dtype=np.float64)
    if dose.ndim == 0:
        return validate.non_negative("dose_e_per_a2", dose_e_per_a2, "e⁻/Å²") * pixel_a**2
    return _non_negative_array("dose_e_per_a2", dose) * pixel_a**2


def _non_negative_vector(field: str, values) -> np.ndarray:
    array = validate.finite_array(field, values, 1, "(n_views,)", dtype=np.float64)
    return _non_negative_array(field, array)


def _non_negative_array(field: str, array: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        bad = int(np.count_nonzero(~(np.isfinite(array) & (array >= 0))))
        raise ValidationError(field, f"<{bad} negative or non-finite values>", "finite values >= 0 e⁻/Å²")
    return array

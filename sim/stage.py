"""A non-eucentric goniometer and the tracking that keeps a region of interest in view.

Geometry (the convention of :mod:`sim.geometry`)
------------------------------------------------
Lab frame: ``y`` along the detector rows (the tilt axis), ``x`` along the
columns, ``z`` along the beam, which travels towards ``+z``. A tilt θ is a
right-handed rotation about ``+y``, so a point at ``(x, z)`` lands at
``u = x·cos θ + z·sin θ`` and its height along the beam becomes
``w = −x·sin θ + z·cos θ``.

The region of interest (ROI) sits ``z₀`` (``height_error_nm``) along the beam
and ``x₀`` (``axis_offset_nm``) across from the mechanical tilt axis, which is
where the user's eucentric-height adjustment and the offset between the
optical and mechanical axes leave it (Zheng et al., J. Struct. Biol. 147, 91
(2004)). The user centres and focuses the ROI at 0°. Rotating it rigidly by θ
about an axis raised out of the image plane by ε (``axis_elevation_deg``: the
beam is not quite perpendicular to the tilt axis; Mastronarde, J. Microsc. 230,
212 (2008)) moves it, by Rodrigues' formula, by

    Δcol = x₀(cos θ − 1) + z₀ cos ε sin θ
    Δrow = sin ε [x₀ sin θ + z₀ cos ε (1 − cos θ)]
    Δw   = z₀(cos θ − 1) − x₀ cos ε sin θ + z₀ sin²ε (1 − cos θ)

which for ε = 0 is the "ideal eucentric geometry" of Ziese et al., J. Microsc.
211, 179 (2003). A real goniometer adds two repeatable terms across the axis:
a runout ``r·sin 2θ`` (the lowest harmonic the rigid-rotation model, spanned by
1, sin θ, cos θ, cannot absorb) and a hysteresis ``d·h`` that depends on the
direction ``d`` (+1 tilting up, −1 down) in which the stage reached the angle
(backlash). The zero of every displacement is the hysteresis-free position at
0°.

Focus: ``defocus_change_nm`` is Δw. Positive means the ROI moved along the
beam, away from the source, below the plane the objective was focused on, so
the lens is now focused above the specimen: underfocus, in the convention
where positive defocus is underfocus (Kirkland; abTEM's ``defocus``).

Non-repeatable parts: a per-view positioning jitter (isotropic in 3-D, std
``jitter_nm`` per axis) and thermal drift at constant velocity
``drift_nm_per_s`` in a direction drawn uniformly on the sphere once per series
(lab frame; ``t = 0`` when the ROI was centred). A view's ``shift_nm`` is the
ROI's image position at mid-exposure; ``blur_nm`` is the drift during the
exposure (the image is smeared along that segment, centred on the shift; see
:func:`sim.motion.shift_and_blur`).

Tracking (:class:`Tracking`)
----------------------------
- ``"none"``: the full displacement is recorded.
- ``"tilt-by-tilt"``: at every view a tracking image on the ROI measures the
  position (error ``measurement_error_nm`` per axis) and an autofocus
  measurement the height (error ``focus_error_nm``); both are corrected. What
  remains is the measurement error plus the drift between the measurement and
  mid-exposure (``position_lag_s``, ``focus_lag_s`` from
  :func:`sim.acquisition_time.acquisition_time`).
- ``"predictive"``: before the series the displacement is calibrated once in
  both tilt directions at ``calibration_step_deg`` with tracking images
  (Ziese et al. 2003); the lateral prediction is a cubic spline through the
  calibration points of the same direction, the focus prediction is the ideal
  eucentric geometry fitted (least squares) to the lateral calibration, since
  no focus images are taken. No images are taken during the series (as in
  Zheng et al. 2004; SerialEM skips them whenever its prediction is good
  enough, Mastronarde, J. Struct. Biol. 152, 36 (2005)). What remains is the
  jitter, the drift since ``t = 0`` and the calibration error (the calibration
  points' own jitter and measurement error, interpolation, and the runout that
  the ideal geometry leaves in the focus prediction). Drift during the
  calibration run is taken as removed (it is measured by returning to 0°).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import make_interp_spline

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator

METHODS = ("tilt-by-tilt", "predictive", "none")

_MAX_OFFSET_NM = 1e6


@dataclass(frozen=True)
class Tracking:
    """How the ROI is kept centred and focused during a tilt series.

    Parameters
    ----------
    method : str
        ``"tilt-by-tilt"``, ``"predictive"`` or ``"none"`` (see the module
        docstring).
    measurement_error_nm : float
        Error of one cross-correlation position measurement, per axis [nm]
        (std). Default 2 nm: about one pixel of a binned tracking image at a
        100–300 nm field of view (assumed).
    focus_error_nm : float
        Error of one autofocus measurement [nm] (std). Default 50 nm, inside
        the 100 nm focus accuracy quoted by Zheng et al. (2004) (assumed).
    calibration_step_deg : float
        Angular step of the predictive calibration [deg]. Default 10°.

    Examples
    --------
    >>> Tracking("predictive").calibration_step_deg
    10.0
    """

    method: str
    measurement_error_nm: float = 2.0
    focus_error_nm: float = 50.0
    calibration_step_deg: float = 10.0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValidationError("method", self.method, f"one of {METHODS}")
        for name in ("measurement_error_nm", "focus_error_nm"):
            object.__setattr__(self, name, validate.non_negative(name, getattr(self, name), "nm"))
        step = validate.in_range("calibration_step_deg", self.calibration_step_deg, 1e-3, 180, "deg")
        object.__setattr__(self, "calibration_step_deg", step)


def as_tracking(value) -> Tracking:
    """A :class:`Tracking` from itself or from a method name.

    >>> as_tracking("none").method
    'none'
    """
    return value if isinstance(value, Tracking) else Tracking(value)


@dataclass(frozen=True, eq=False)
class StageTrack:
    """Per-view stage displacements of one tilt series, in acquisition order.

    Attributes
    ----------
    shift_nm : ndarray, shape (n, 2)
        Recorded image displacement ``(row, col)`` of the ROI at mid-exposure,
        after tracking [nm]; positive towards higher indices.
    raw_shift_nm : ndarray, shape (n, 2)
        The same before any tracking correction [nm].
    defocus_change_nm : ndarray, shape (n,)
        Recorded focus error after tracking [nm]; positive = underfocus.
    raw_defocus_change_nm : ndarray, shape (n,)
        The same before any focus correction [nm].
    blur_nm : ndarray, shape (n, 2)
        Drift ``(row, col)`` during each exposure [nm].
    direction : ndarray, shape (n,)
        +1 if the stage reached the view tilting up, −1 tilting down.
    """

    shift_nm: np.ndarray
    raw_shift_nm: np.ndarray
    defocus_change_nm: np.ndarray
    raw_defocus_change_nm: np.ndarray
    blur_nm: np.ndarray
    direction: np.ndarray

    def __post_init__(self):
        for name in ("shift_nm", "raw_shift_nm", "defocus_change_nm", "raw_defocus_change_nm", "blur_nm", "direction"):
            object.__setattr__(self, name, validate.frozen(np.asarray(getattr(self, name))))

    def shifts_px(self, pixel_nm: float) -> np.ndarray:
        """Recorded shifts in detector pixels ``(n, 2)``, for ``TiltSeries.shifts_px``."""
        return self.shift_nm / validate.positive("pixel_nm", pixel_nm, "nm")


@dataclass(frozen=True)
class Stage:
    """A side-entry goniometer that is not eucentric at tomographic magnification.

    Parameters
    ----------
    height_error_nm : float
        z₀: ROI height along the beam above (< 0) or below (> 0) the tilt axis
        after the user's eucentric adjustment [nm]. Default 1000 nm: setting
        eucentric height by eye is good to about a micrometre (assumed; the
        field's statement that every tilt needs re-centring at this field of
        view).
    axis_offset_nm : float
        x₀: distance of the ROI from the tilt axis, across it [nm]; the offset
        between the optical and the mechanical axis (Zheng et al. 2004).
        Default 500 nm (assumed).
    axis_elevation_deg : float
        ε: tilt of the tilt axis out of the image plane [deg] (non-
        perpendicular beam, Mastronarde 2008). Default 0.5° (assumed).
    runout_nm : float
        Amplitude of the repeatable non-ideal term ``r·sin 2θ`` across the
        axis [nm]. Default 100 nm (assumed).
    hysteresis_nm : float
        Backlash: the position across the axis differs by ``±h`` with the
        direction of arrival [nm]. Default 50 nm (assumed).
    jitter_nm : float
        Non-repeatable positioning error per view, std per axis in 3-D [nm].
        Default 10 nm, below the 15 nm prediction accuracy of Zheng et al.
        (2004), which it limits.
    drift_nm_per_s : float
        Thermal drift speed, constant over a series, random direction [nm/s].
        Default 0.02 nm/s (about 1 nm/min, a settled side-entry holder;
        assumed).
    settle_s : float
        Wait after every tilt for the goniometer's creep to die out [s].
        Default 2 s (assumed).
    tilt_speed_deg_per_s : float
        Goniometer tilt speed [deg/s]. Default 2 °/s (assumed).

    Examples
    --------
    >>> stage = Stage(axis_elevation_deg=0.0, runout_nm=0.0, hysteresis_nm=0.0)
    >>> row, col, focus = stage.repeatable_nm([0.0, 90.0], +1).T
    >>> col.round(6).tolist()     # x₀(cos θ − 1) + z₀ sin θ
    [0.0, 500.0]
    >>> focus.round(6).tolist()   # z₀(cos θ − 1) − x₀ sin θ
    [0.0, -1500.0]
    """

    height_error_nm: float = 1000.0
    axis_offset_nm: float = 500.0
    axis_elevation_deg: float = 0.5
    runout_nm: float = 100.0
    hysteresis_nm: float = 50.0
    jitter_nm: float = 10.0
    drift_nm_per_s: float = 0.02
    settle_s: float = 2.0
    tilt_speed_deg_per_s: float = 2.0

    def __post_init__(self):
        for name in ("height_error_nm", "axis_offset_nm"):
            value = validate.in_range(name, getattr(self, name), -_MAX_OFFSET_NM, _MAX_OFFSET_NM, "nm")
            object.__setattr__(self, name, value)
        elevation = validate.in_range("axis_elevation_deg", self.axis_elevation_deg, -10, 10, "deg")
        object.__setattr__(self, "axis_elevation_deg", elevation)
        for name, unit in (("runout_nm", "nm"), ("hysteresis_nm", "nm"), ("jitter_nm", "nm"), ("drift_nm_per_s", "nm/s")):
            object.__setattr__(self, name, validate.non_negative(name, getattr(self, name), unit))
        object.__setattr__(self, "settle_s", validate.non_negative("settle_s", self.settle_s, "s"))
        speed = validate.positive("tilt_speed_deg_per_s", self.tilt_speed_deg_per_s, "deg/s")
        object.__setattr__(self, "tilt_speed_deg_per_s", speed)

    def repeatable_nm(self, angles_deg, direction) -> np.ndarray:
        """Repeatable displacement ``(row, col, focus)`` [nm] of the ROI, shape (n, 3).

        ``direction`` (+1 tilting up, −1 down; scalar or per angle) selects
        the hysteresis branch. Closed form in the module docstring.
        """
        theta = np.deg2rad(validate.angles("angles_deg", angles_deg))
        sign = np.broadcast_to(np.asarray(direction, dtype=np.float64), theta.shape)
        if not np.all(np.abs(sign) == 1):
            raise ValidationError("direction", direction, "+1 (tilting up) or -1 (tilting down)")
        x0, z0 = self.axis_offset_nm, self.height_error_nm
        eps = np.deg2rad(self.axis_elevation_deg)
        cos, sin = np.cos(theta), np.sin(theta)
        row = np.sin(eps) * (x0 * sin + z0 * np.cos(eps) * (1 - cos))
        col = x0 * (cos - 1) + z0 * np.cos(eps) * sin + self.runout_nm * np.sin(2 * theta) + sign * self.hysteresis_nm
        focus = z0 * (cos - 1) - x0 * np.cos(eps) * sin + z0 * np.sin(eps) ** 2 * (1 - cos)
        return np.stack([row, col, focus], axis=1)

    def track(
        self,
        angles_deg,
        times_s,
        rng,
        tracking: Tracking | str,
        *,
        exposure_s: float,
        position_lag_s=0.0,
        focus_lag_s=0.0,
    ) -> StageTrack:
        """Simulate the ROI's displacement at every view of a series.

        Parameters
        ----------
        angles_deg : array, shape (n,)
            Tilts in acquisition order [deg].
        times_s : array, shape (n,)
            Start of each exposure [s], non-decreasing, from the moment the
            ROI was centred (``AcquisitionTime.times_s``).
        rng : numpy.random.Generator or int
            Source of the jitter, drift direction and measurement errors.
        tracking : Tracking or str
            The tracking strategy (see the module docstring).
        exposure_s : float
            Record exposure time [s].
        position_lag_s, focus_lag_s : float or array (n,)
            Tilt-by-tilt only: time from the last position / focus measurement
            to the start of the exposure [s] (``AcquisitionTime``).

        Returns
        -------
        StageTrack

        Examples
        --------
        >>> stage = Stage(jitter_nm=0.0, drift_nm_per_s=0.0)
        >>> track = stage.track([0.0, 30.0], [0.0, 10.0], 1, "none", exposure_s=1.0)
        >>> bool(np.allclose(track.shift_nm, stage.repeatable_nm([0.0, 30.0], +1)[:, :2]))
        True
        """
        angles = validate.angles("angles_deg", angles_deg)
        n = angles.size
        times = _times(times_s, n)
        exposure = validate.non_negative("exposure_s", exposure_s, "s")
        method = as_tracking(tracking)
        position_lag = _lag("position_lag_s", position_lag_s, n)
        focus_lag = _lag("focus_lag_s", focus_lag_s, n)
        rng = generator(rng)

        velocity = rng.standard_normal(3)
        velocity *= self.drift_nm_per_s / max(float(np.linalg.norm(velocity)), 1e-300)
        jitter = self.jitter_nm * rng.standard_normal((n, 3))
        measurement = method.measurement_error_nm * rng.standard_normal((n, 2))
        focus_measurement = method.focus_error_nm * rng.standard_normal(n)

        direction = directions(angles)
        mid = times + exposure / 2
        raw = self.repeatable_nm(angles, direction) + jitter + mid[:, None] * velocity
        if method.method == "none":
            recorded = raw
        elif method.method == "tilt-by-tilt":
            recorded = np.empty_like(raw)
            recorded[:, :2] = measurement + (position_lag + exposure / 2)[:, None] * velocity[:2]
            recorded[:, 2] = focus_measurement + (focus_lag + exposure / 2) * velocity[2]
        else:
            recorded = raw - self._prediction(angles, direction, method, rng)
        return StageTrack(
            shift_nm=recorded[:, :2],
            raw_shift_nm=raw[:, :2],
            defocus_change_nm=recorded[:, 2],
            raw_defocus_change_nm=raw[:, 2],
            blur_nm=np.tile(velocity[:2] * exposure, (n, 1)),
            direction=direction,
        )

    def _prediction(self, angles, direction, method: Tracking, rng) -> np.ndarray:
        """Predicted ``(row, col, focus)`` from a two-direction calibration run."""
        points = calibration_angles(angles, method.calibration_step_deg)
        sign = np.repeat([1.0, -1.0], points.size)
        cal_angles = np.concatenate([points, points[::-1]])
        shape = (cal_angles.size, 2)
        noise = self.jitter_nm * rng.standard_normal(shape) + method.measurement_error_nm * rng.standard_normal(shape)
        measured = self.repeatable_nm(cal_angles, sign)[:, :2] + noise
        ascending = {1.0: measured[: points.size], -1.0: measured[points.size :][::-1]}
        prediction = np.zeros((angles.size, 3))
        for branch, values in ascending.items():
            chosen = direction == branch
            if np.any(chosen):
                prediction[chosen, :2] = _interpolate(points, values, angles[chosen])
        theta = np.deg2rad(cal_angles)
        basis = np.stack([np.cos(theta) - 1, np.sin(theta), sign, np.ones_like(theta)], axis=1)
        (x0, z0, _, _), *_ = np.linalg.lstsq(basis, measured[:, 1], rcond=None)
        theta = np.deg2rad(angles)
        prediction[:, 2] = z0 * (np.cos(theta) - 1) - x0 * np.sin(theta)
        return prediction


def directions(angles_deg) -> np.ndarray:
    """Direction (+1 up, −1 down) in which the stage reaches each view.

    A view is reached in the direction of the move into it; a zero move keeps
    the previous direction. The first view is approached from the side the
    series continues on (the software takes up the backlash before starting),
    +1 if the series never moves.

    Examples
    --------
    >>> directions([0, 2, 4, -2, -4]).tolist()
    [1.0, 1.0, 1.0, -1.0, -1.0]
    """
    angles = validate.angles("angles_deg", angles_deg)
    steps = np.sign(np.diff(angles))
    moving = steps[steps != 0]
    signs = np.concatenate([[moving[0] if moving.size else 1.0], steps])
    last_move = np.maximum.accumulate(np.where(signs != 0, np.arange(signs.size), 0))
    return signs[last_move].astype(np.float64)


def calibration_angles(angles_deg, step_deg: float) -> np.ndarray:
    """Calibration tilts [deg]: from the series' lowest to its highest tilt at ``step_deg``, both ends included.

    >>> calibration_angles([-70, 0, 70], 30).tolist()
    [-70.0, -40.0, -10.0, 20.0, 50.0, 70.0]
    """
    angles = validate.angles("angles_deg", angles_deg)
    step = validate.positive("step_deg", step_deg, "deg")
    low, high = float(angles.min()), float(angles.max())
    points = low + step * np.arange(int(np.floor((high - low) / step + 1e-9)) + 1)
    if high - points[-1] > 1e-9:
        points = np.append(points, high)
    return points


def _interpolate(x, y, at):
    if x.size == 1:
        return np.broadcast_to(y[0], (at.size, y.shape[1]))
    return make_interp_spline(x, y, k=min(3, x.size - 1))(at)


def _times(times_s, n: int) -> np.ndarray:
    times = np.atleast_1d(np.asarray(times_s, dtype=np.float64))
    if times.shape != (n,):
        raise ValidationError("times_s.shape", times.shape, f"({n},): one exposure start per angle")
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValidationError("times_s", times.tolist(), "finite times >= 0 s")
    if np.any(np.diff(times) < 0):
        raise ValidationError("times_s", times.tolist(), "non-decreasing times (acquisition order) [s]")
    return times


def _lag(field: str, value, n: int) -> np.ndarray:
    lag = np.asarray(value, dtype=np.float64)
    if lag.ndim == 0:
        lag = np.full(n, float(lag))
    if lag.shape != (n,):
        raise ValidationError(f"{field}.shape", lag.shape, f"({n},) or a scalar")
    if not np.all(np.isfinite(lag)) or np.any(lag < 0):
        raise ValidationError(field, lag.tolist(), "finite times >= 0 s")
    return lag

"""The :class:`Alignment` of a tilt series and :func:`align`, which finds it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.ndimage

from recon.align.axis import axis_angle_deg as estimate_axis_angle
from recon.align.crosscorr import crosscorr_shifts
from recon.align.matching import projection_matching
from sim import validate
from sim.errors import ValidationError
from sim.progress import track
from sim.tiltseries import LINEAR_VALUES, TiltSeries

METHODS = ("crosscorr", "crosscorr+matching", "matching")


@dataclass(frozen=True, eq=False)
class Alignment:
    """Estimated geometry of a tilt series: per-view shifts, axis offset, in-plane axis angle.

    The recorded view ``i`` is modelled as the ideal view (axis along the
    rows, on the centre column) translated by ``(shifts_px[i, 0],
    shifts_px[i, 1] + axis_offset_px)`` and then rotated about the view centre
    by ``axis_angle_deg`` (the convention of :mod:`recon.align.axis`).

    Parameters
    ----------
    shifts_px : array, shape (n_angles, 2)
        Per-view image shifts ``(row, col)`` [px] (``TiltSeries.shifts_px``
        convention).
    axis_offset_px : float
        Tilt-axis column offset [px], the constant part of the column shifts
        in the fit ``a + b·cos θ + d·sin θ`` (``b`` and ``d`` are a volume
        translation; see :mod:`recon.align.matching`).
    axis_angle_deg : float
        In-plane angle of the tilt axis [deg].
    history : dict
        Per-round record: ``"largest_change_px"`` (list of float) and
        ``"shifts_px"`` (list of (n_angles, 2) arrays), starting with the
        cross-correlation estimate when there is one.
    method : str
        How it was found.

    Examples
    --------
    >>> a = Alignment(np.zeros((3, 2)), axis_offset_px=1.0)
    >>> a.geometry_shifts_px()[:, 1].tolist()
    [1.0, 1.0, 1.0]
    """

    shifts_px: np.ndarray
    axis_offset_px: float = 0.0
    axis_angle_deg: float = 0.0
    history: dict = field(default_factory=dict)
    method: str = ""

    def __post_init__(self):
        shifts = np.asarray(self.shifts_px, dtype=np.float64)
        if shifts.ndim != 2 or shifts.shape[1] != 2 or not np.all(np.isfinite(shifts)):
            raise ValidationError("shifts_px", f"<shape {shifts.shape}>", "(n_angles, 2) finite shifts (row, col) [px]")
        object.__setattr__(self, "shifts_px", validate.frozen(shifts))
        offset = validate.in_range("axis_offset_px", self.axis_offset_px, -1e6, 1e6, "px")
        object.__setattr__(self, "axis_offset_px", offset)
        angle = validate.in_range("axis_angle_deg", self.axis_angle_deg, -180.0, 180.0, "deg")
        object.__setattr__(self, "axis_angle_deg", angle)

    def geometry_shifts_px(self) -> np.ndarray:
        """Shifts with the axis offset folded into the columns [px] (the same geometry, one array)."""
        return self.shifts_px + np.array([0.0, self.axis_offset_px])

    def aligned(self, series: TiltSeries) -> TiltSeries:
        """``series`` resampled onto the ideal geometry (rotation, offset and shifts undone).

        Each view is resampled once (cubic spline, 0 outside the field):
        ``aligned(p) = recorded(C + R_φ·(p − C + s))`` with ``s`` the view's
        shift plus the axis offset and ``R_φ`` the in-plane rotation. Any
        reconstruction method then works on it without ``shifts_px``. The
        copy's ``shifts_px`` and ``axis_offset_px`` are what is left of the
        recorded (true) ones, ``recorded − estimated``, so a simulated series
        still carries its remaining error; the alignment goes into
        ``provenance["alignment"]``.
        """
        if not isinstance(series, TiltSeries):
            raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
        if series.n_angles != self.shifts_px.shape[0]:
            raise ValidationError("series.n_angles", series.n_angles, f"{self.shifts_px.shape[0]} views, as aligned")
        n_rows, n_cols = series.data.shape[1:]
        centre = np.array([(n_rows - 1) / 2, (n_cols - 1) / 2])
        phi = np.deg2rad(self.axis_angle_deg)
        rotation = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
        data = np.empty(series.data.shape, np.float32)
        for i, (view, shift) in enumerate(zip(series.data, self.geometry_shifts_px())):
            offset = centre - rotation @ centre + rotation @ shift
            data[i] = scipy.ndimage.affine_transform(view.astype(np.float64), rotation, offset, order=3,
                                                     mode="constant")
        record = {"method": self.method, "shifts_px": self.shifts_px.tolist(), "axis_offset_px": self.axis_offset_px,
                  "axis_angle_deg": self.axis_angle_deg}
        return series.with_data(
            data,
            shifts_px=series.shifts_px - self.shifts_px,
            axis_offset_px=series.axis_offset_px - self.axis_offset_px,
            provenance={**series.provenance, "alignment": record},
        )


def split_axis_offset(shifts_px, angles_deg) -> tuple[np.ndarray, float]:
    """Split column shifts into the axis offset ``a`` of ``a + b·cos θ + d·sin θ`` and the rest [px].

    Examples
    --------
    >>> theta = np.deg2rad(np.arange(-60.0, 61.0, 20.0))
    >>> shifts = np.stack([np.zeros(7), 2.0 * (1 - np.cos(theta))], axis=1)   # an axis 2 px right
    >>> rest, offset = split_axis_offset(shifts, np.rad2deg(theta))
    >>> round(offset, 6), bool(np.allclose(rest[:, 1] + offset, shifts[:, 1]))
    (2.0, True)
    """
    shifts = np.array(shifts_px, dtype=np.float64)
    theta = np.deg2rad(validate.angles("angles_deg", angles_deg))
    design = np.stack([np.ones(theta.size), np.cos(theta), np.sin(theta)], axis=1)
    offset = float(np.linalg.lstsq(design, shifts[:, 1], rcond=None)[0][0])
    shifts[:, 1] -= offset
    return shifts, offset


def align(
    series: TiltSeries,
    *,
    method: str = "crosscorr+matching",
    estimate_angle: bool = False,
    reference: str = "neighbour",
    lowpass: float | None = 0.5,
    highpass: float | None = 0.03,
    max_shift_px: float | None = None,
    recon_method: str = "sirt",
    n_outer: int = 10,
    n_iter_recon: int = 20,
    tol_px: float = 0.1,
    progress: bool = True,
) -> Alignment:
    """Align a tilt series: in-plane axis angle, coarse shifts by cross-correlation, projection matching.

    Steps: (1) the axis angle by the common line
    (:func:`recon.align.axis.axis_angle_deg`) if ``estimate_angle``, and the
    views rotated back; (2) cross-correlation shifts
    (:func:`recon.align.crosscorr_shifts`, 0° view fixed); (3) projection
    matching from there (:func:`recon.align.projection_matching`, which
    keeps that gauge); (4) the axis offset split off the column shifts
    (:func:`split_axis_offset`). ``"crosscorr"`` stops after (2),
    ``"matching"`` starts (3) from zero shifts.

    Parameters
    ----------
    series : TiltSeries
        Line integrals, or ``"counts"`` (converted with
        ``series.to_line_integrals()``).
    method : str
        ``"crosscorr+matching"``, ``"crosscorr"`` or ``"matching"``.
    estimate_angle : bool
        Estimate and undo the in-plane axis angle (else take it as 0).
        Off by default: the common-line criterion is flat on small fields
        (about ±0.4° on a 40 px field; on a 48 px STEM-twin series with no
        rotation at all it reads −0.6° to −0.9°, the probe's depth-dependent
        blur and the sub-pixel row shifts changing the profiles from view to
        view), so it pays only where a rotation larger than that is expected.
    reference, lowpass, highpass, max_shift_px
        Cross-correlation settings (:func:`recon.align.crosscorr_shifts`);
        ``max_shift_px`` also bounds the matching's registration.
    recon_method, n_outer, n_iter_recon, tol_px
        Projection-matching settings (``method``, ``n_outer``,
        ``n_iter_recon``, ``tol_px`` of :func:`recon.align.projection_matching`).
    progress : bool
        Show a progress bar over the steps.

    Returns
    -------
    Alignment
        Use ``alignment.aligned(series)`` with any reconstruction method.

    Examples
    --------
    >>> import sim
    >>> vol = np.zeros((16, 24, 24), np.float32); vol[4:9, 9:14, 8:13] = 1; vol[9:13, 11:15, 13:17] = 2
    >>> angles = np.arange(-60.0, 61.0, 10.0)
    >>> truth = np.random.default_rng(2).uniform(-1.5, 1.5, (13, 2))
    >>> s = sim.TiltSeries(sim.project(vol, angles, voxel_nm=1.0, shifts_px=truth), angles_deg=angles,
    ...                    pixel_nm=1.0, values="line integral", unit="1")
    >>> result = align(s, progress=False)
    >>> len(result.history["largest_change_px"]) > 1, result.aligned(s).shape
    (True, (13, 16, 24))
    """
    if method not in METHODS:
        raise ValidationError("method", method, f"one of {METHODS}")
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    working = series if series.values in LINEAR_VALUES else series.to_line_integrals()
    history = {"largest_change_px": [], "shifts_px": []}
    state = {"series": working, "angle": 0.0, "shifts": np.zeros((series.n_angles, 2))}

    def record(_round, shifts, largest):
        history["largest_change_px"].append(float(largest))
        history["shifts_px"].append(np.array(shifts))

    def rotation():
        state["angle"] = estimate_axis_angle(state["series"])
        state["series"] = Alignment(state["shifts"], axis_angle_deg=state["angle"]).aligned(state["series"])

    def coarse():
        state["shifts"] = crosscorr_shifts(state["series"], reference=reference, lowpass=lowpass, highpass=highpass,
                                           max_shift_px=max_shift_px)
        record(0, state["shifts"], np.abs(state["shifts"]).max())

    def matching():
        state["shifts"] = projection_matching(state["series"], state["shifts"], method=recon_method, n_outer=n_outer,
                                              n_iter_recon=n_iter_recon, tol_px=tol_px, max_shift_px=max_shift_px,
                                              callback=record, progress=False)

    steps = ([rotation] if estimate_angle else []) + {
        "crosscorr": [coarse], "crosscorr+matching": [coarse, matching], "matching": [matching]
    }[method]
    for step in track(steps, description="aligning", total=len(steps), enabled=progress):
        step()
    shifts, offset = split_axis_offset(state["shifts"], series.angles_deg)
    return Alignment(shifts, axis_offset_px=offset, axis_angle_deg=state["angle"], history=history, method=method)

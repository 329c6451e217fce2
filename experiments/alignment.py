"""What an alignment's shift errors cost in resolution: reconstruct with them and with the true shifts.

The shift errors themselves are scored by :mod:`recon.align.score`; this
needs a reconstruction method and an FSC, so it lives above both.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

import recon
from metrics.fsc import fsc
from recon.align.score import as_shifts, unobservable_part
from sim.errors import ValidationError
from sim.tiltseries import LINEAR_VALUES, TiltSeries

SET_HERE = ("shape", "shifts_px", "axis_offset_px", "progress")
"""Method parameters :func:`score_resolution` sets itself."""


@dataclass(frozen=True, eq=False)
class ResolutionScore:
    """What an alignment's shift errors cost in resolution.

    Parameters
    ----------
    resolution_nm : float
        FSC resolution [nm] against the ground truth of the reconstruction with the given shifts.
    true_resolution_nm : float
        The same with the true shifts (the best the method reaches on this series).
    threshold : float or str
        The FSC threshold used (:mod:`metrics.fsc`).
    method : str
        The reconstruction method.
    curve, true_curve : metrics.FSCCurve
        The two FSC curves.

    Attributes
    ----------
    ratio : float
        ``resolution_nm / true_resolution_nm`` (1 = the alignment costs nothing).
    """

    resolution_nm: float
    true_resolution_nm: float
    threshold: object
    method: str
    curve: object
    true_curve: object

    @property
    def ratio(self) -> float:
        return self.resolution_nm / self.true_resolution_nm


def score_resolution(series: TiltSeries, shifts_px, *, method: str = "sirt", params: dict | None = None,
                     threshold=0.5, n_shells: int | None = None, remove_mean: bool = True) -> ResolutionScore:
    """Reconstruct with ``shifts_px`` and with the true shifts; compare both FSC resolutions against the ground truth.

    The FSC against the noise-free ground truth uses 0.5 by default (the
    criterion equivalent to 0.143 between half maps; Rosenthal & Henderson,
    J. Mol. Biol. 333, 721 (2003); :mod:`metrics.fsc`). A translation of the
    whole reconstruction lowers an FSC against the truth without any loss of
    resolution, so by default the sample translation that ``shifts_px −
    true`` contains (:func:`unobservable_part`) is taken out of ``shifts_px``
    first. Both reconstructions use the series' own tilt-axis offset.

    Parameters
    ----------
    series : TiltSeries
        A simulated series with its ground truth; counts are converted to line
        integrals first (:meth:`sim.TiltSeries.to_line_integrals`).
    shifts_px : array_like, shape (n_angles, 2)
        Estimated view shifts ``(row, col)`` [px], in stack order.
    method : str
        A registered reconstruction method (:func:`recon.get`).
    params : dict, optional
        Keyword parameters of the method (e.g. ``{"n_iter": 30}``).
    threshold : float in (0, 1), ``"half-bit"`` or ``"one-bit"``
        The FSC threshold.
    n_shells : int, optional
        FSC shells (:func:`metrics.fsc`; default half the shortest axis,
        at most half the longest: use more for thin slabs).
    remove_mean : bool
        Remove the unobservable sample translation from ``shifts_px`` first.

    Returns
    -------
    ResolutionScore

    Examples
    --------
    >>> import sim
    >>> truth = np.zeros((4, 16, 16), np.float32); truth[:, 6:10, 5:11] = 1.0
    >>> angles = np.arange(-60.0, 61.0, 10.0)
    >>> shifts = np.zeros((angles.size, 2)); shifts[::2, 1] = 1.0
    >>> s = sim.TiltSeries(sim.project(truth, angles, voxel_nm=1.0, shifts_px=shifts), angles_deg=angles, pixel_nm=1.0,
    ...                    values="line integral", shifts_px=shifts, ground_truth=sim.Volume(truth, voxel_nm=1.0))
    >>> score = score_resolution(s, np.zeros_like(shifts), method="fbp", n_shells=8)
    >>> score.true_resolution_nm < score.resolution_nm, score.ratio > 1
    (True, True)
    """
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    truth = series.ground_truth
    if truth is None:
        raise ValidationError("series.ground_truth", None, "a simulated series that carries its ground truth")
    shifts = as_shifts("shifts_px", shifts_px)
    if shifts.shape != series.shifts_px.shape:
        raise ValidationError("shifts_px.shape", shifts.shape, f"{series.shifts_px.shape}: one (row, col) shift per view")
    if remove_mean:
        removed, _ = unobservable_part(shifts - series.shifts_px, series.angles_deg)
        shifts = shifts - removed
    reconstruct = recon.get(method)
    params = dict(params or {})
    recon.check_params(reconstruct, params)
    for key in SET_HERE:
        if key in params:
            raise ValidationError(f"params.{key}", params[key], f"none of {SET_HERE} (score_resolution sets them)")
    line_integrals = series if series.values in LINEAR_VALUES else series.to_line_integrals()
    if "progress" in inspect.signature(reconstruct).parameters:  # not every method shows progress (fbp does not)
        params["progress"] = False

    def resolution(view_shifts):
        volume = reconstruct(line_integrals, **params, shape=truth.shape, shifts_px=view_shifts,
                             axis_offset_px=series.axis_offset_px)
        curve = fsc(volume, truth, n_shells=n_shells)
        return curve.resolution_nm(threshold), curve

    given, curve = resolution(shifts)
    best, true_curve = resolution(series.shifts_px)
    return ResolutionScore(given, best, threshold, method, curve, true_curve)

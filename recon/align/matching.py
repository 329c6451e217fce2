"""Projection matching: refine per-view shifts against reprojections of the current reconstruction.

Method (Dengler, Ultramicroscopy 30, 337 (1989); Odstrčil et al., Opt.
Express 27, 36637 (2019)): reconstruct with the current shifts, reproject the
volume at the measured tilts without shifts, register every measured view to
its reprojection (cross-correlation refined with the upsampled DFT,
:func:`recon.align.crosscorr.register_pairs`) to get its shift, and repeat
until the largest change of a shift falls below ``tol_px``.

Gauge: a rigid translation of the volume by ``(y, x, z)`` changes the shifts
by ``(y, x·cos θ + z·sin θ)`` and fits the data equally well, so that part of
every update is removed (least squares on the basis ``1`` for rows,
``cos θ, sin θ`` for columns): the result keeps the translation of the
starting estimate (for cross-correlation shifts: the 0° view's position).
A constant column shift is not a translation but the tilt-axis offset, and is
kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recon.align.crosscorr import bandpass, register_pairs, taper
from recon.align.score import unobservable_part
from recon.common import line_integrals, volume_shape
from sim import validate
from sim.errors import ValidationError
from sim.progress import track
from sim.projector import project
from sim.tiltseries import TiltSeries

RECONSTRUCTIONS = ("sirt", "fbp")


def remove_translation(shifts_px, angles_deg) -> np.ndarray:
    """``shifts_px`` without the part a rigid volume translation can make (least squares, :func:`~recon.align.score.unobservable_part`).

    Examples
    --------
    >>> theta = np.deg2rad([-40.0, 0.0, 40.0])
    >>> moved = np.stack([np.full(3, 2.0), 1.5 * np.cos(theta) - 0.5 * np.sin(theta)], axis=1)
    >>> bool(np.allclose(remove_translation(moved, [-40.0, 0.0, 40.0]), 0))
    True
    """
    shifts = np.asarray(shifts_px, dtype=np.float64)
    removed, _ = unobservable_part(shifts, validate.angles("angles_deg", angles_deg))
    return shifts - removed


def projection_matching(
    series: TiltSeries,
    shifts_px0=None,
    *,
    method: str = "sirt",
    n_outer: int = 10,
    n_iter_recon: int = 20,
    tol_px: float = 0.1,
    axis_offset_px: float = 0.0,
    lowpass: float | None = 0.5,
    highpass: float | None = None,
    taper_fraction: float = 0.1,
    upsample: int = 50,
    max_shift_px: float | None = None,
    shape: tuple[int, int, int] | None = None,
    callback: Callable[[int, np.ndarray, float], None] | None = None,
    progress: bool = True,
) -> np.ndarray:
    """Per-view shifts ``(row, col)`` [px] refined by projection matching (module docstring).

    Parameters
    ----------
    series : TiltSeries
        Line integrals.
    shifts_px0 : array, shape (n_angles, 2), optional
        Starting shifts [px] (e.g. :func:`recon.align.crosscorr_shifts`);
        default zero. Their volume-translation part is kept (the gauge).
    method : str
        Reconstruction inside the loop: ``"sirt"`` (robust to noise and a
        missing wedge) or ``"fbp"`` (faster).
    n_outer : int
        Most reconstruct–reproject–register rounds (≥ 1).
    n_iter_recon : int
        SIRT iterations per round (≥ 1; ignored for FBP).
    tol_px : float
        Stop when the largest change of a shift in a round is below this [px].
    axis_offset_px : float
        Tilt-axis offset [px] assumed by the reconstruction.
    lowpass, highpass, taper_fraction, upsample, max_shift_px
        Registration settings, as in :func:`recon.align.crosscorr_shifts`;
        the finer default ``upsample`` (a 0.02 px grid) keeps the
        registration's rounding below the shift changes near convergence.
    shape : (n_rows, n_z, n_x), optional
        Reconstruction grid (default as in :func:`recon.fbp.fbp`).
    callback : callable, optional
        ``callback(round, shifts_px, largest_change_px)`` after each round.
    progress : bool
        Show a progress bar over the rounds.

    Returns
    -------
    ndarray, shape (n_angles, 2)
        The refined shifts [px].

    Examples
    --------
    >>> import sim
    >>> vol = np.zeros((16, 24, 24), np.float32); vol[4:9, 9:14, 8:13] = 1; vol[9:13, 11:15, 13:17] = 2
    >>> angles = np.arange(-60.0, 61.0, 10.0)
    >>> truth = np.random.default_rng(2).uniform(-1.5, 1.5, (13, 2))
    >>> s = sim.TiltSeries(sim.project(vol, angles, voxel_nm=1.0, shifts_px=truth), angles_deg=angles,
    ...                    pixel_nm=1.0, values="line integral", unit="1")
    >>> found = projection_matching(s, n_outer=15, progress=False)
    >>> error = remove_translation(found - truth, angles)
    >>> bool(np.sqrt((error**2).sum(axis=1).mean()) < 0.2)
    True
    """
    from recon.fbp import fbp
    from recon.sirt import sirt

    data = line_integrals(series).astype(np.float64)
    n, n_rows, n_cols = data.shape
    angles = series.angles_deg
    shifts = np.zeros((n, 2)) if shifts_px0 is None else np.array(shifts_px0, dtype=np.float64)
    if shifts.shape != (n, 2) or not np.all(np.isfinite(shifts)):
        raise ValidationError("shifts_px0", f"<shape {shifts.shape}>", f"({n}, 2) finite shifts (row, col) [px]")
    if method not in RECONSTRUCTIONS:
        raise ValidationError("method", method, f"one of {RECONSTRUCTIONS}")
    for name, value in (("n_outer", n_outer), ("n_iter_recon", n_iter_recon)):
        if int(value) != value or value < 1:
            raise ValidationError(name, value, "an integer >= 1")
    tol = validate.positive("tol_px", tol_px, "px")
    grid = volume_shape(series, shape)
    window = taper((n_rows, n_cols), taper_fraction)
    response = bandpass((n_rows, n_cols), lowpass, highpass)
    measured = data * window

    def reconstruct(current):
        if method == "fbp":
            return fbp(series, shape=grid, shifts_px=current, axis_offset_px=axis_offset_px).data
        return sirt(series, n_iter=int(n_iter_recon), shape=grid, shifts_px=current, axis_offset_px=axis_offset_px,
                    progress=False).data

    for k in track(range(int(n_outer)), description="projection matching", total=int(n_outer), enabled=progress):
        volume = reconstruct(shifts)
        reprojection = project(volume, angles, voxel_nm=series.pixel_nm, n_cols=n_cols, axis_offset_px=axis_offset_px)
        found = register_pairs(measured, reprojection * window, filter_response=response,
                               max_shift_px=max_shift_px, upsample=upsample)
        change = remove_translation(found - shifts, angles)
        shifts = shifts + change
        largest = float(np.abs(change).max())
        if callback is not None:
            callback(k, shifts.copy(), largest)
        if largest < tol:
            break
    return shifts

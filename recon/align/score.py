"""Score an alignment against the truth a simulated series carries: its shift errors.

What the errors cost in resolution is :func:`experiments.alignment.score_resolution`
(it reconstructs and computes FSCs, which this layer does not import).

What can be scored
------------------
Only the part of a shift error that changes the reconstruction's content. A
rigid translation ``(y0, z0, x0)`` of the sample moves every projection's
content by ``y0`` along the rows and by ``x0·cos θ + z0·sin θ`` along the
columns (the projection geometry of :mod:`sim.geometry`,
``u = x·cos θ + z·sin θ``), and reconstructs as the same volume, translated.
No alignment can recover it from the data, and alignment programs fix it by
convention: AreTomo makes the shifts relative to its zero-tilt view and may
add ``x0·cos θ`` and ``z0·sin θ`` terms to recentre the volume
(``CAlignParam::MakeRelative``, ``RemoveOffsetX``, ``RemoveOffsetZ`` in
https://github.com/czimaginginstitute/AreTomo2, ``MrcUtil/CAlignParam.cpp``).
So, by default, the error is taken after removing that motion from ``estimated −
true``: the mean along rows, and the least-squares fit of ``x0·cos θ + z0·sin θ``
along columns when the tilt angles are known, or the mean along columns when
they are not. A common column offset is *not* in general such a motion (it
moves the tilt axis), so with the angles given it is scored.

The files scored by :func:`score_alignment_file` align each raw view so that
the tilt axis lands on the image's centre column (IMOD ``.xf``, AreTomo
``.aln``), so their true shift of a view is ``series.shifts_px`` plus the tilt
axis' column offset ``series.axis_offset_px``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.io.aretomo import read_aln
from sim.io.atomic import as_path, existing_file
from sim.io.imod import imod_tilt_deg, read_xf
from sim.io.mrc import parse_tlt
from sim.tiltseries import TiltSeries

@dataclass(frozen=True, eq=False)
class ShiftScore:
    """Per-view shift errors of an alignment and their summaries.

    Parameters
    ----------
    error_px : ndarray, shape (n_views, 2)
        ``estimated − true`` per view ``(row, col)`` [px], after removing the
        unobservable motion (see the module docstring).
    offset_px : ndarray, shape (2,)
        Mean ``(row, col)`` [px] of the part removed (the common offset).
    translation_px : ndarray, shape (3,), or None
        The sample translation removed ``(y0, z0, x0)`` [px] along the
        volume's axes ``(n_rows, n_z, n_x)``; None when no angles were given.
    pixel_nm : float
        Pixel size [nm].
    views : ndarray of int, shape (n_views,)
        Index of each scored view in the series (or in the inputs).

    Attributes
    ----------
    rms_px, rms_nm : float
        Root-mean-square length of the per-view error vector [px], [nm].
    max_px : float
        Largest per-view error length [px].
    rms_row_px, rms_col_px : float
        RMS error along rows (the tilt axis) and along columns [px];
        ``rms_px² = rms_row_px² + rms_col_px²``.

    Examples
    --------
    >>> s = ShiftScore(np.array([[3.0, 4.0], [0.0, 0.0]]), np.zeros(2), None, pixel_nm=0.5, views=np.arange(2))
    >>> round(s.rms_px, 6), s.max_px, round(s.rms_nm, 6)
    (3.535534, 5.0, 1.767767)
    """

    error_px: np.ndarray
    offset_px: np.ndarray
    translation_px: np.ndarray | None
    pixel_nm: float
    views: np.ndarray

    def __post_init__(self):
        error = np.array(self.error_px, dtype=np.float64)
        if error.ndim != 2 or error.shape[1] != 2 or error.shape[0] == 0 or not np.all(np.isfinite(error)):
            raise ValidationError("error_px", f"<shape {error.shape}>", "finite (row, col) errors [px], shape (n_views, 2)")
        offset = np.array(self.offset_px, dtype=np.float64).reshape(2)
        translation = None if self.translation_px is None else np.array(self.translation_px, dtype=np.float64).reshape(3)
        views = np.array(self.views, dtype=np.int64).reshape(-1)
        if views.size != error.shape[0]:
            raise ValidationError("views", views.tolist(), f"{error.shape[0]} view indices, one per error row")
        object.__setattr__(self, "error_px", validate.frozen(error))
        object.__setattr__(self, "offset_px", validate.frozen(offset))
        object.__setattr__(self, "translation_px", None if translation is None else validate.frozen(translation))
        object.__setattr__(self, "views", validate.frozen(views))
        object.__setattr__(self, "pixel_nm", validate.positive("pixel_nm", self.pixel_nm, "nm"))

    @property
    def rms_px(self) -> float:
        return float(np.sqrt(np.mean(np.sum(self.error_px**2, axis=1))))

    @property
    def rms_nm(self) -> float:
        return self.rms_px * self.pixel_nm

    @property
    def max_px(self) -> float:
        return float(np.max(np.hypot(self.error_px[:, 0], self.error_px[:, 1])))

    @property
    def rms_row_px(self) -> float:
        return float(np.sqrt(np.mean(self.error_px[:, 0] ** 2)))

    @property
    def rms_col_px(self) -> float:
        return float(np.sqrt(np.mean(self.error_px[:, 1] ** 2)))

    def as_dict(self) -> dict:
        """The summaries and per-view errors as plain floats and lists (JSON-able)."""
        return {"rms_px": self.rms_px, "rms_nm": self.rms_nm, "max_px": self.max_px, "rms_row_px": self.rms_row_px,
                "rms_col_px": self.rms_col_px, "offset_px": self.offset_px.tolist(),
                "translation_px": None if self.translation_px is None else self.translation_px.tolist(),
                "error_px": self.error_px.tolist(), "views": self.views.tolist(), "pixel_nm": self.pixel_nm}


def score_shifts(estimated_px, true_px, *, pixel_nm: float, remove_mean: bool = True, angles_deg=None) -> ShiftScore:
    """Compare estimated per-view shifts with the true ones.

    Parameters
    ----------
    estimated_px, true_px : array_like, shape (n_views, 2)
        Translation of each view's content ``(row, col)`` [px], as
        :attr:`sim.TiltSeries.shifts_px`.
    pixel_nm : float
        Pixel size [nm], for :attr:`ShiftScore.rms_nm`.
    remove_mean : bool
        Remove the motion no alignment can observe (it only moves the
        reconstruction) before scoring: the mean ``(row, col)`` difference,
        or, with ``angles_deg``, a rigid translation of the sample (mean along
        rows, least-squares ``x0·cos θ + z0·sin θ`` along columns; module
        docstring). False scores the raw differences.
    angles_deg : array_like, shape (n_views,), optional
        Tilt of each view [deg] (nanotomo's sign).

    Returns
    -------
    ShiftScore

    Examples
    --------
    >>> true = np.zeros((4, 2))
    >>> est = np.array([[5.0, 1.0], [5.0, -1.0], [5.0, 1.0], [5.0, -1.0]])  # a 5 px row offset, ±1 px columns
    >>> s = score_shifts(est, true, pixel_nm=2.0)
    >>> s.offset_px.tolist(), s.rms_px, s.rms_nm
    ([5.0, 0.0], 1.0, 2.0)
    """
    estimated = as_shifts("estimated_px", estimated_px)
    true = as_shifts("true_px", true_px)
    if estimated.shape != true.shape:
        raise ValidationError("estimated_px.shape", estimated.shape, f"the shape of true_px, {true.shape}")
    pixel_nm = validate.positive("pixel_nm", pixel_nm, "nm")
    difference = estimated - true
    angles = None if angles_deg is None else validate.angles("angles_deg", angles_deg)
    if angles is not None and angles.size != difference.shape[0]:
        raise ValidationError("angles_deg", f"<{angles.size} angles>", f"{difference.shape[0]} angles, one per view")
    removed, translation = np.zeros_like(difference), None
    if remove_mean:
        removed, translation = unobservable_part(difference, angles)
    return ShiftScore(difference - removed, removed.mean(axis=0), translation, pixel_nm, np.arange(difference.shape[0]))


def unobservable_part(difference_px, angles_deg=None):
    """The part of per-view shift differences that a sample translation explains.

    Parameters
    ----------
    difference_px : ndarray, shape (n_views, 2)
        ``(row, col)`` shift differences [px].
    angles_deg : ndarray, shape (n_views,), optional
        Tilts [deg]. Without them the part is the mean difference.

    Returns
    -------
    removed : ndarray, shape (n_views, 2)
        The fitted motion per view [px].
    translation_px : ndarray, shape (3,), or None
        ``(y0, z0, x0)`` [px] of the fitted translation (None without angles).

    Examples
    --------
    >>> angles = np.array([-60.0, 0.0, 60.0])
    >>> shift = np.stack([np.full(3, 2.0), 3 * np.cos(np.deg2rad(angles)) + 4 * np.sin(np.deg2rad(angles))], axis=1)
    >>> removed, translation = unobservable_part(shift, angles)
    >>> np.round(translation, 6).tolist(), bool(np.allclose(removed, shift))
    ([2.0, 4.0, 3.0], True)
    """
    difference = np.asarray(difference_px, dtype=np.float64)
    removed = np.empty_like(difference)
    y0 = difference[:, 0].mean()
    removed[:, 0] = y0
    if angles_deg is None:
        removed[:, 1] = difference[:, 1].mean()
        return removed, None
    theta = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    basis = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    (x0, z0), *_ = np.linalg.lstsq(basis, difference[:, 1], rcond=None)
    removed[:, 1] = basis @ np.array([x0, z0])
    return removed, np.array([y0, z0, x0])


def score_alignment_file(path, series: TiltSeries, *, tlt_path=None, angle_tol_deg: float = 0.05,
                         remove_mean: bool = True) -> ShiftScore:
    """Score an IMOD ``.xf`` or AreTomo ``.aln`` alignment against a simulated series' true shifts.

    The file's views are matched to the series' views by tilt angle (each
    file view to the one series view within ``angle_tol_deg``), so files that
    list the views in another order (AreTomo sorts them by tilt) or leave
    some out (AreTomo's dark frames) are scored on the views they hold.

    - ``.xf`` (:mod:`sim.io.imod`): one line per view ``A11 A12 A21 A22 DX
      DY``; a view's content shift is ``−A⁻¹·(DX, DY)`` (IMOD maps ``x`` to
      ``A·(x − c) + D + c``; :func:`sim.io.imod.xf_from_shifts` writes
      ``A = I``, ``D = −shift``). Its angles come from the ``.tlt`` at
      ``tlt_path`` (default: beside it, same stem) in IMOD's sign
      ``θ_IMOD = −θ``; without a ``.tlt`` the lines must be the series' views
      in stack order.
    - ``.aln`` (:mod:`sim.io.aretomo`): shifts ``(TY, TX)`` and tilts
      ``−TILT`` as read by :func:`sim.io.aretomo.read_aln`.

    Parameters
    ----------
    path : str or os.PathLike
        The alignment file; its extension (``.xf`` or ``.aln``) picks the reader.
    series : TiltSeries
        A simulated series carrying its ground truth; its ``shifts_px`` (plus
        ``axis_offset_px`` along columns, module docstring) are the truth.
    tlt_path : str or os.PathLike, optional
        The ``.tlt`` of an ``.xf`` file.
    angle_tol_deg : float
        Largest tilt difference [deg] for a file view to match a series view
        (``.aln`` tilts are written to 0.01°).
    remove_mean : bool
        As in :func:`score_shifts`; the series' angles are used, so a rigid
        translation of the sample is removed.

    Returns
    -------
    ShiftScore
        With ``views`` the series index of each scored view, in the file's order.

    Examples
    --------
    >>> import tempfile, pathlib, sim
    >>> from sim.io.aretomo import alignment_from_series, write_aln
    >>> s = sim.TiltSeries(np.zeros((3, 4, 8)), angles_deg=[0, -30, 30], pixel_nm=0.5, values="line integral",
    ...                    shifts_px=[[0, 0], [1, -2], [3, 1]], ground_truth=sim.Volume(np.zeros((4, 8, 8)), 0.5))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     score = score_alignment_file(write_aln(alignment_from_series(s), pathlib.Path(tmp) / "s.aln"), s)
    >>> score.views.tolist(), round(score.rms_px, 12)   # the .aln lists the views sorted by TILT = −θ
    ([2, 0, 1], 0.0)
    """
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    if series.ground_truth is None:
        raise ValidationError("series.ground_truth", None,
                              "a simulated series that carries its ground truth (only then are its shifts_px the true shifts)")
    source = as_path(path)
    tolerance = validate.positive("angle_tol_deg", angle_tol_deg, "deg")
    suffix = source.suffix.lower()
    if suffix == ".xf":
        estimated, angles = _read_xf_views(source, tlt_path, series)
    elif suffix == ".aln":
        alignment = read_aln(source)
        estimated, angles = alignment.shifts_px, alignment.tilt_deg
    else:
        raise ValidationError("path", str(path), "an IMOD .xf or AreTomo .aln file (chosen by the extension)")
    views = match_views(angles, series.angles_deg, tolerance)
    true = np.array(series.shifts_px[views], dtype=np.float64)
    true[:, 1] += series.axis_offset_px
    score = score_shifts(estimated, true, pixel_nm=series.pixel_nm, remove_mean=remove_mean,
                         angles_deg=series.angles_deg[views])
    return ShiftScore(score.error_px, score.offset_px, score.translation_px, score.pixel_nm, views)


def match_views(file_angles_deg, series_angles_deg, angle_tol_deg: float) -> np.ndarray:
    """Index of the series view with each file view's tilt, within ``angle_tol_deg``.

    Raises a ValidationError naming the first file angle that matches no view,
    or more than one, or a view another file angle already took.

    Examples
    --------
    >>> match_views([30.0, -30.0, 0.01], [0.0, -30.0, 30.0, 60.0], 0.05).tolist()
    [2, 1, 0]
    """
    file_angles = validate.angles("file_angles_deg", file_angles_deg)
    series_angles = validate.angles("series_angles_deg", series_angles_deg)
    close = np.abs(file_angles[:, None] - series_angles[None, :]) <= angle_tol_deg
    counts = close.sum(axis=1)
    for angle, count in zip(file_angles, counts):
        if count != 1:
            found = "no series view" if count == 0 else f"{count} series views"
            raise ValidationError("tilt", float(angle), f"the tilt of exactly one series view within ±{angle_tol_deg}° "
                                  f"(nanotomo's sign; found {found})")
    views = np.argmax(close, axis=1)
    if np.unique(views).size != views.size:
        raise ValidationError("tilt", file_angles.tolist(), "distinct views: two file views match one series view")
    return views


def _read_xf_views(source: Path, tlt_path, series: TiltSeries):
    transforms = read_xf(source)
    a = transforms[:, :, :2]
    d = transforms[:, :, 2]
    if np.any(np.abs(np.linalg.det(a)) < 1e-12):
        raise ValidationError("path", str(source), "an .xf file with invertible A11 A12 A21 A22")
    content = -np.linalg.solve(a, d[:, :, None])[:, :, 0]  # (x, y) = (col, row)
    estimated = content[:, ::-1] + 0.0
    tlt = as_path(tlt_path, "tlt_path") if tlt_path is not None else source.with_suffix(".tlt")
    if tlt_path is None and not tlt.is_file():
        if len(estimated) != series.n_angles:
            raise ValidationError("path", str(source), f"{series.n_angles} lines, one per view in stack order "
                                  f"(or a .tlt beside it, {tlt.name!r}, to match views by tilt)")
        return estimated, np.array(series.angles_deg)
    tlt = existing_file(tlt, "tlt_path")
    try:
        angles = imod_tilt_deg(parse_tlt(tlt.read_text(encoding="utf-8")))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("tlt_path", str(tlt), "a .tlt file: one angle [deg] per line") from None
    if angles.size != len(estimated):
        raise ValidationError("tlt_path", str(tlt), f"{len(estimated)} angles, one per line of {source.name!r}")
    return estimated, angles


def as_shifts(field: str, values) -> np.ndarray:
    shifts = np.asarray(values, dtype=np.float64)
    if shifts.ndim != 2 or shifts.shape[1] != 2 or shifts.shape[0] == 0 or not np.all(np.isfinite(shifts)):
        raise ValidationError(field, f"<shape {shifts.shape}>", "finite (row, col) shifts [px], shape (n_views, 2)")
    return shifts

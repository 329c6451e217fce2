"""Half-set FSC: the resolution a tilt series supports, measured without the ground truth.

The views are split into two interleaved halves (even and odd positions in
acquisition order), each half is reconstructed on its own, and the two maps
are correlated with :func:`metrics.fsc`. Their noise is independent, so the
half-set FSC measures the signal-to-noise ratio per shell; the full-set map
correlates with the noise-free truth as

    FSC_truth = sqrt(2·FSC_half / (1 + FSC_half))

(Rosenthal & Henderson, J. Mol. Biol. 333, 721 (2003)), and the
half-set FSC is read at 0.143, the level where ``FSC_truth`` = 0.5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from metrics.fsc import FSCCurve, fsc
from sim.errors import ValidationError
from sim.tiltseries import TiltSeries
from sim.volume import Volume

HALF_SET_THRESHOLD = 0.143


@dataclass(frozen=True, eq=False)
class HalfSetFSC:
    """FSC of the even-view and odd-view reconstructions of one tilt series.

    Parameters
    ----------
    curve : FSCCurve
        The half-set FSC [dimensionless vs 1/nm].
    resolution_nm : float
        Resolution [nm] where ``curve`` first falls below 0.143.

    Examples
    --------
    >>> curve = FSCCurve([0.1, 0.2], [0.6, 0.1], [18, 66], voxel_nm=1.0)
    >>> result = HalfSetFSC(curve, curve.resolution_nm(HALF_SET_THRESHOLD))
    >>> round(result.resolution_nm, 3), result.truth_fsc.round(3).tolist()
    (5.225, [0.866, 0.426])
    """

    curve: FSCCurve
    resolution_nm: float

    @property
    def truth_fsc(self) -> np.ndarray:
        """Estimated FSC of the full-set map against the truth [dimensionless], per shell.

        See :func:`fsc_truth_from_half`.
        """
        return fsc_truth_from_half(self.curve.fsc)


def fsc_truth_from_half(fsc_half) -> np.ndarray:
    """``sqrt(2·FSC_half / (1 + FSC_half))`` [dimensionless] (Rosenthal & Henderson 2003).

    Shells with ``FSC_half ≤ 0`` (no measurable signal) give 0: the formula
    holds for a non-negative signal-to-noise ratio only.

    Examples
    --------
    >>> fsc_truth_from_half([0.143, 1.0, -0.1]).round(3).tolist()
    [0.5, 1.0, 0.0]
    """
    values = np.asarray(fsc_half, dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > 1):
        raise ValidationError("fsc_half", values, "finite correlations in [-1, 1]")
    positive = np.maximum(values, 0.0)
    return np.sqrt(2.0 * positive / (1.0 + positive))


def half_sets(series: TiltSeries) -> tuple[TiltSeries, TiltSeries]:
    """The views at even and at odd positions (acquisition order), as two series.

    Per-view fields (angles, doses, shifts, the ``views`` table) go with their
    views; everything else is shared.

    Examples
    --------
    >>> import numpy as np
    >>> s = TiltSeries(np.zeros((5, 2, 4)), angles_deg=[-20, -10, 0, 10, 20], pixel_nm=1.0,
    ...                values="line integral", unit="1")
    >>> [h.angles_deg.tolist() for h in half_sets(s)]
    [[-20.0, 0.0, 20.0], [-10.0, 10.0]]
    """
    if not isinstance(series, TiltSeries):
        raise ValidationError("series", type(series).__name__, "a sim.TiltSeries")
    if series.n_angles < 4:
        raise ValidationError("series.n_angles", series.n_angles, "at least 4 views (2 per half)")

    def pick(start: int) -> TiltSeries:
        views = slice(start, None, 2)
        dose = None if series.dose_per_view is None else series.dose_per_view[views]
        return replace(series, data=series.data[views], angles_deg=series.angles_deg[views],
                       dose_per_view=dose, shifts_px=series.shifts_px[views],
                       views={name: column[views] for name, column in series.views.items()})

    return pick(0), pick(1)


def half_set_fsc(series: TiltSeries, method: Callable, *, n_shells: int | None = None, **params) -> HalfSetFSC:
    """Reconstruct the even and the odd views separately and correlate the two maps.

    Parameters
    ----------
    series : TiltSeries
        The tilt series (at least 4 views).
    method : callable
        ``method(series, **params)`` → Volume, e.g. ``recon.get("fbp")`` (taken
        as an argument: ``metrics`` does not import ``recon``). A plain array
        is taken to have voxels of the detector pixel, ``series.pixel_nm``.
    n_shells : int, optional
        As in :func:`metrics.fsc`.
    **params
        Passed to ``method``.

    Returns
    -------
    HalfSetFSC
        The half-set curve, its resolution at 0.143 [nm], and (``truth_fsc``)
        the estimated correlation of the full-set map with the truth.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = TiltSeries(rng.normal(size=(8, 8, 8)), angles_deg=np.arange(8) * 22.5, pixel_nm=1.0,
    ...                values="line integral", unit="1")
    >>> mean = lambda half: Volume(np.repeat(half.data.mean(axis=0)[:, None, :], 8, axis=1), voxel_nm=1.0)
    >>> result = half_set_fsc(s, mean)
    >>> result.curve.freq_per_nm.size, result.resolution_nm > 2.0
    (4, True)
    """
    if not callable(method):
        raise ValidationError("method", method, "a reconstruction callable, e.g. recon.get('fbp')")
    even, odd = half_sets(series)
    first, second = method(even, **params), method(odd, **params)
    voxel_nm = None if isinstance(first, Volume) or isinstance(second, Volume) else series.pixel_nm
    curve = fsc(first, second, voxel_nm=voxel_nm, n_shells=n_shells)
    return HalfSetFSC(curve, curve.resolution_nm(HALF_SET_THRESHOLD))

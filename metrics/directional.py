"""Directional (conical) Fourier shell correlation: the resolution along each direction.

The FSC of :mod:`metrics.fsc` averages over whole shells, so the anisotropy a
missing wedge leaves (resolution along the beam worse than across it) is lost.
The conical FSC keeps, in every shell, only the Fourier voxels inside a double
cone of half-angle ``α`` around a direction ``d``,

    |f·d| ≥ |f|·cos α,

and correlates those (conical FSC: Diebolder et al., J. Struct. Biol. 190,
215 (2015)).
Shells, frequencies and the Friedel weighting are those of :func:`metrics.fsc`.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from metrics.fsc import _EMPTY_POWER, FSCCurve, _friedel_weight, _shell_index, checked_maps
from sim import validate
from sim.errors import ValidationError

# Directions as (row, z, x) vectors: z is the beam at zero tilt, rows run along
# the tilt axis, and the "xz_<θ>" directions lie in the x–z plane θ from z.
DEFAULT_DIRECTIONS = {
    "z": (0.0, 1.0, 0.0),
    "xz_30": (0.0, math.cos(math.radians(30)), math.sin(math.radians(30))),
    "xz_60": (0.0, math.cos(math.radians(60)), math.sin(math.radians(60))),
    "x": (0.0, 0.0, 1.0),
    "rows": (1.0, 0.0, 0.0),
}


def conical_fsc(
    volume,
    reference,
    *,
    voxel_nm: float | None = None,
    directions: dict | None = None,
    cone_half_angle_deg: float = 20.0,
    n_shells: int | None = None,
) -> dict[str, FSCCurve]:
    """FSC of two 3-D maps within a double cone around each of several directions.

    Parameters
    ----------
    volume, reference : ndarray or Volume, same 3-D shape (n_rows, n_z, n_x)
        The two maps (a reconstruction and the ground truth, or two half maps).
    voxel_nm : float, optional
        Voxel size [nm]; required for plain arrays.
    directions : dict of str to (row, z, x) vector, optional
        Named directions (need not be unit vectors). Default
        :data:`DEFAULT_DIRECTIONS`: ``z`` (the beam at zero tilt), ``xz_30``,
        ``xz_60`` (in the x–z plane, 30° and 60° from z), ``x`` and ``rows``
        (the tilt axis).
    cone_half_angle_deg : float
        Half-angle ``α`` of each cone [deg], in (0, 90]; 90 gives the plain FSC.
    n_shells : int, optional
        As in :func:`metrics.fsc` (default half the shortest axis).

    Returns
    -------
    dict of str to FSCCurve
        One curve per direction [dimensionless correlation vs 1/nm]; read the
        resolution [nm] with ``curve.resolution_nm(threshold)``. Shells that no
        Fourier voxel of the cone reaches (low shells of a narrow cone off the
        axes) are left out of that curve.

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.random.default_rng(0).normal(size=(16, 16, 16))
    >>> curves = conical_fsc(vol, vol, voxel_nm=1.0)
    >>> sorted(curves), bool(np.allclose(curves["z"].fsc, 1.0))
    (['rows', 'x', 'xz_30', 'xz_60', 'z'], True)
    """
    a, b, voxel_nm, n_shells = checked_maps(volume, reference, voxel_nm, n_shells, ("volume", "reference"), ndims=(3,))
    shape = a.shape
    alpha = validate.in_range("cone_half_angle_deg", cone_half_angle_deg, 1e-9, 90.0, "deg")
    unit_directions = _unit_directions(DEFAULT_DIRECTIONS if directions is None else directions)

    shell = _shell_index(shape, int(n_shells)).ravel()
    weight = np.broadcast_to(_friedel_weight(shape[-1]), _rfft_shape(shape)).ravel()
    fa = scipy.fft.rfftn(a, workers=-1).ravel()
    fb = scipy.fft.rfftn(b, workers=-1).ravel()
    cross_all = (fa.real * fb.real + fa.imag * fb.imag) * weight
    power_a_all = (fa.real**2 + fa.imag**2) * weight
    power_b_all = (fb.real**2 + fb.imag**2) * weight
    total_a, total_b = power_a_all[shell > 0].sum(), power_b_all[shell > 0].sum()
    freqs = _frequencies(shape)
    radius = np.sqrt(sum(f**2 for f in freqs))
    cos_alpha = math.cos(math.radians(alpha))
    step = 0.5 / voxel_nm / n_shells

    curves = {}
    for name, d in unit_directions.items():
        projection = np.abs(sum(f * c for f, c in zip(freqs, d)))
        inside = (projection >= cos_alpha * radius - 1e-12).ravel()
        index = np.where(inside, shell, n_shells + 1)

        def per_shell(values, index=index):
            return np.bincount(index, weights=values, minlength=n_shells + 2)[1:n_shells + 1]

        cross, pa, pb = per_shell(cross_all), per_shell(power_a_all), per_shell(power_b_all)
        counts = np.rint(per_shell(weight)).astype(np.int64)
        has_power = (pa > _EMPTY_POWER * total_a) & (pb > _EMPTY_POWER * total_b)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(has_power, cross / np.sqrt(pa * pb), 0.0)
        values = np.clip(values, -1.0, 1.0)  # only round-off can leave [-1, 1] (Cauchy–Schwarz)
        kept = counts > 0
        freq = step * np.arange(1, n_shells + 1)
        curves[name] = FSCCurve(freq[kept], values[kept], counts[kept], voxel_nm)
    return curves


def conical_resolution_nm(volume, reference, *, threshold, **options) -> dict[str, float]:
    """Resolution [nm] along each direction: :func:`conical_fsc` read at ``threshold``.

    ``threshold`` is as in :meth:`metrics.FSCCurve.resolution_nm` (0.5 against
    the ground truth, 0.143 between half maps); ``options`` go to
    :func:`conical_fsc`.

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.random.default_rng(0).normal(size=(8, 8, 8))
    >>> conical_resolution_nm(vol, vol, voxel_nm=1.0, threshold=0.5)["z"]   # identical: Nyquist
    2.0
    """
    curves = conical_fsc(volume, reference, **options)
    return {name: curve.resolution_nm(threshold) for name, curve in curves.items()}


def _unit_directions(directions) -> dict[str, np.ndarray]:
    """Each named direction as a unit (row, z, x) vector."""
    if not isinstance(directions, dict) or not directions:
        raise ValidationError("directions", directions, "a non-empty dict of name -> (row, z, x) vector")
    unit = {}
    for name, vector in directions.items():
        v = np.asarray(vector, dtype=np.float64)
        norm = float(np.linalg.norm(v)) if v.shape == (3,) else 0.0
        if not (np.isfinite(norm) and norm > 0):
            raise ValidationError(f"directions[{name!r}]", vector, "a finite, non-zero (row, z, x) vector")
        unit[str(name)] = v / norm
    return unit


def _rfft_shape(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    return shape[:-1] + (shape[-1] // 2 + 1,)


def _frequencies(shape: tuple[int, int, int]) -> list[np.ndarray]:
    """Broadcastable rfft frequencies along (row, z, x) [cycles/voxel]."""
    axes = [np.fft.fftfreq(n) for n in shape[:-1]] + [np.fft.rfftfreq(shape[-1])]
    return [np.reshape(f, [-1 if k == axis else 1 for k in range(3)]) for axis, f in enumerate(axes)]

"""Depth-resolved projection: the projection at one tilt, split into slabs along the beam.

The multislice and depth-of-focus models need the sample cut into slabs
perpendicular to the beam. At tilt θ a point at ``(x, z)`` from the volume
centre has detector coordinate and depth

    u = x·cos θ + z·sin θ        (sim.geometry's convention)
    w = −x·sin θ + z·cos θ

``(u, w)`` is ``(x, z)`` turned by a proper rotation (determinant
``cos²θ + sin²θ = 1``), so ``w`` runs along the beam direction
``(−sin θ, cos θ)`` in the sample's ``(x, z)`` frame; at θ = 0, ``w = z``.
**The beam travels towards increasing w** (towards +z at θ = 0): slab 0 is
where it enters (upstream), the last slab where it leaves (downstream), the
order :func:`sim.multislice.multislice` consumes them. For the opposite
direction of travel reverse both outputs (``slabs[::-1]``, ``-depths[::-1]``).

Method: every voxel deposits its full distance-driven footprint (the box of
:mod:`sim.projector`, De Man & Basu, Phys. Med. Biol. 49, 2463 (2004); the
same weights, computed by the same code) into the slab that holds its centre,
``floor((w − w_min)/slab_nm)``. So the slabs add up to
:func:`sim.projector.project` at that angle, and each voxel's mass
``value × voxel`` lands on the detector in exactly one slab. The slabs tile
the rotated volume's depth extent ``(n_x·|sin θ| + n_z·|cos θ|)·voxel`` from
its upstream face ``w_min``; a voxel is not split between slabs, so a slab's
content is the voxelised sample's, to within one voxel of depth.

Units: slab values are line integrals [value unit × nm], as
:func:`sim.projector.project`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim import validate
from sim.errors import ValidationError
from sim.geometry import ParallelGeometry
from sim.projector import footprints, _kernel_geometry, _volume_array

_ROUNDING = 1e-9
"""Slab counts within this fraction of an integer are that integer (float rounding of the extent)."""


def project_slabs(
    volume,
    angle_deg: float,
    *,
    voxel_nm: float | None = None,
    slab_nm: float,
    n_cols: int | None = None,
    axis_offset_px: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Projection of ``volume`` at one tilt angle, split into slabs of depth along the beam.

    Parameters
    ----------
    volume : Volume or ndarray, shape (n_rows, n_z, n_x)
        The field to project. For an ndarray give ``voxel_nm``.
    angle_deg : float
        Tilt angle [deg].
    voxel_nm : float, optional
        Voxel edge [nm]; taken from ``volume`` if it is a :class:`sim.Volume`.
    slab_nm : float
        Slab thickness along the beam [nm].
    n_cols : int, optional
        Detector width [px] (pixel = voxel). Default ``n_x``.
    axis_offset_px : float
        Tilt-axis position right of the detector centre [px].

    Returns
    -------
    slabs : ndarray, float32, shape (n_slabs, n_rows, n_cols)
        Line integrals through each slab [value unit × nm], upstream first;
        ``slabs.sum(0)`` is ``sim.project(volume, [angle_deg], ...)[0]``.
    depths_nm : ndarray, float64, shape (n_slabs,)
        Slab-centre depth ``w`` along the beam from the volume centre [nm],
        increasing downstream.

    Examples
    --------
    >>> import numpy as np
    >>> slabs, depths = project_slabs(np.ones((1, 4, 3), np.float32), 0.0, voxel_nm=1.0, slab_nm=2.0)
    >>> slabs.shape, depths.tolist()      # 4 nm deep at 0°: two 2-nm slabs
    ((2, 1, 3), [-1.0, 1.0])
    >>> slabs[:, 0, 0].tolist()           # two voxels × 1 nm in each
    [2.0, 2.0]
    """
    data, voxel = _volume_array(volume, voxel_nm)
    slab = validate.positive("slab_nm", slab_nm, "nm")
    angle = validate.angles("angle_deg", angle_deg)
    if angle.size != 1:
        raise ValidationError("angle_deg", angle_deg, "one tilt angle [deg]")
    n_rows, n_z, n_x = data.shape
    geometry = ParallelGeometry(angle, n_rows, n_x if n_cols is None else n_cols, None, axis_offset_px)
    cos_t, sin_t, col0 = _kernel_geometry(geometry)
    c, s = float(cos_t[0]), float(sin_t[0])
    half_depth = 0.5 * (n_x * abs(s) + n_z * abs(c)) * voxel
    n_slabs = max(1, math.ceil(2.0 * half_depth / slab - _ROUNDING))
    w_min = -half_depth
    first, second, w_first, w_second, slab_index = _voxel_footprints(
        n_z, n_x, c, s, float(col0[0]), voxel, geometry.n_cols, w_min, slab, n_slabs
    )
    out = np.empty((n_slabs, n_rows, geometry.n_cols), dtype=np.float32)
    _deposit(data, first, second, w_first, w_second, slab_index, out)
    depths = w_min + (np.arange(n_slabs) + 0.5) * slab
    return out, depths


@njit(cache=True)
def _voxel_footprints(n_z, n_x, c, s, col0, voxel, n_cols, w_min, slab, n_slabs):
    """Per voxel of a slice: its two detector bins and weights (as the projector's) and its slab.

    Bins off the detector are folded onto an on-detector bin with zero weight
    so the deposit needs no guard columns.
    """
    cz = 0.5 * (n_z - 1)
    cx = 0.5 * (n_x - 1)
    m = max(abs(c), abs(s))
    weight = np.float32(voxel)  # the projector's footprint weights are single precision
    bins = np.empty(n_x, np.int64)
    w0 = np.empty(n_x, np.float32)
    w1 = np.empty(n_x, np.float32)
    first = np.empty((n_z, n_x), np.int64)
    second = np.empty((n_z, n_x), np.int64)
    w_first = np.empty((n_z, n_x), np.float32)
    w_second = np.empty((n_z, n_x), np.float32)
    slab_index = np.empty((n_z, n_x), np.int64)
    for j in range(n_z):
        t0 = col0 + (j - cz) * s - cx * c + 0.5 - 0.5 * m
        footprints(t0, c, m, weight, n_cols, bins, w0, w1)
        for i in range(n_x):
            k = bins[i] - 1
            first[j, i] = max(k, 0)
            w_first[j, i] = w0[i] if k >= 0 else 0.0
            second[j, i] = min(k + 1, n_cols - 1)
            w_second[j, i] = w1[i] if k + 1 < n_cols else 0.0
            depth = (-(i - cx) * s + (j - cz) * c) * voxel
            slab_index[j, i] = min(max(int(np.floor((depth - w_min) / slab)), 0), n_slabs - 1)
    return first, second, w_first, w_second, slab_index


@njit(parallel=True, cache=True, fastmath=True)
def _deposit(vol, first, second, w_first, w_second, slab_index, out):
    n_rows, n_z, n_x = vol.shape
    for r in prange(n_rows):
        out[:, r, :] = 0.0
        for j in range(n_z):
            for i in range(n_x):
                v = vol[r, j, i]
                k = slab_index[j, i]
                out[k, r, first[j, i]] += w_first[j, i] * v
                out[k, r, second[j, i]] += w_second[j, i] * v

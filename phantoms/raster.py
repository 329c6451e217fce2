"""Rasterise analytic shapes to partial-volume occupancy on a voxel grid.

Grid convention (as in :mod:`sim.geometry`): voxel ``i`` of ``n`` along an
axis has its centre at ``(i − (n − 1)/2)·voxel_nm`` from the volume centre and
covers ``±voxel_nm/2`` around it; axes are ``(n_rows, n_z, n_x)``.

Method: an adaptive octree on the shape's signed distance bound (see
:mod:`phantoms.shapes`). A cell of edge ``h`` whose centre has
``|sdf| ≥ (√3/2)·h`` cannot meet the surface, so it is wholly inside or
outside. The shape's bounding box is cut into blocks of ``BLOCK``³ voxels
classified with one evaluation each; voxels of the blocks that straddle the
surface are classified the same way; voxels that straddle it are split
recursively into 8 sub-cells down to ``voxel/supersample``. A finest sub-cell
of edge ``h`` whose centre lies at distance bound ``d`` counts
``clip(1/2 − d/h, 0, 1)``: the fraction behind a plane at that distance
(exact for faces parallel to the grid). The plain midpoint rule (0 or 1)
would alias large flat faces by up to h/2 when they lie along lattice
directions; the ramp is unbiased at any angle. The remaining bias comes from
curvature, ~(h/R)² (0.25 % for a sphere of 2.5 voxels at ``supersample=4``).
Work happens only in the surface band, in vectorised numpy batches of
bounded size, with the distance bounds evaluated by numba kernels.
"""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError

from phantoms.shapes import Shape

BLOCK = 4
"""Edge of the coarse classification blocks [voxels]."""

SUPERSAMPLES = (1, 2, 4, 8, 16)
"""Allowed ``supersample`` values (sub-samples per voxel edge in the surface band)."""

BATCH_POINTS = 1 << 20
"""Most points evaluated at once (bounds scratch memory to a few tens of MiB)."""

_HALF_DIAGONAL = math.sqrt(3.0) / 2.0
_CHILD = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], dtype=float)


def rasterize(shape: Shape, grid_shape, voxel_nm: float, *, supersample: int = 4) -> np.ndarray:
    """Fraction of each voxel occupied by ``shape``.

    Parameters
    ----------
    shape : phantoms.shapes.Shape
        The solid; coordinates ``(row, z, x)`` [nm] from the volume centre.
    grid_shape : tuple of 3 int
        ``(n_rows, n_z, n_x)`` [voxels].
    voxel_nm : float
        Voxel edge [nm].
    supersample : int
        Sub-samples per voxel edge for voxels on the surface (1, 2, 4, 8, 16).

    Returns
    -------
    ndarray, float32, shape ``grid_shape``
        Occupancy fraction in [0, 1].

    Examples
    --------
    >>> from phantoms.shapes import Sphere
    >>> occ = rasterize(Sphere((0, 0, 0), 5.0), (16, 16, 16), voxel_nm=1.0)
    >>> abs(float(occ.sum()) / (4 / 3 * np.pi * 5**3) - 1) < 0.01    # volume to < 1 %
    True
    >>> float(occ[8, 8, 8]), float(occ[0, 0, 0])
    (1.0, 0.0)
    """
    grid = grid_size(grid_shape)
    out = np.zeros(grid, dtype=np.float32)
    box = rasterize_box(shape, grid, voxel_nm, supersample=supersample)
    if box is not None:
        region, occupancy = box
        out[region] = occupancy
    return out


def rasterize_box(shape: Shape, grid_shape, voxel_nm: float, *, supersample: int = 4):
    """Occupancy of ``shape`` on the part of the grid its bounding box covers.

    Same arguments as :func:`rasterize`. Returns ``(region, occupancy)`` where
    ``region`` is a tuple of three slices into the grid and ``occupancy`` a
    float32 array of that region's shape, or ``None`` if the shape misses the
    grid. Use it to paint many small objects into a large volume cheaply.

    >>> from phantoms.shapes import Sphere
    >>> region, occ = rasterize_box(Sphere((0, 0, 0), 1.0), (8, 8, 8), 1.0)
    >>> region, occ.shape
    ((slice(3, 5, None), slice(3, 5, None), slice(3, 5, None)), (2, 2, 2))
    """
    if not isinstance(shape, Shape):
        raise ValidationError("shape", type(shape).__name__, "a phantoms.shapes.Shape")
    grid = np.array(grid_size(grid_shape))
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    levels = supersample_levels(supersample)
    low, high = (np.asarray(b, dtype=float) for b in shape.bounds())
    with np.errstate(invalid="ignore"):
        start = np.clip(np.floor(low / voxel + grid / 2), 0, grid)
        stop = np.clip(np.ceil(high / voxel + grid / 2), 0, grid)
    start, stop = start.astype(int), stop.astype(int)
    if np.any(stop <= start):
        return None
    size = stop - start
    n_blocks = -(-size // BLOCK)
    padded = np.zeros(tuple(n_blocks * BLOCK), dtype=np.float32)

    # 1. blocks of BLOCK³ voxels, classified by their centres
    origin = (start - (grid - 1) / 2) * voxel  # centre of the first voxel [nm]
    axes = [origin[a] + (BLOCK * np.arange(n_blocks[a]) + (BLOCK - 1) / 2) * voxel for a in range(3)]
    centres = np.stack([c.ravel() for c in np.meshgrid(*axes, indexing="ij")], axis=1)
    d = shape.sdf_points(centres).reshape(tuple(n_blocks))
    reach = _HALF_DIAGONAL * BLOCK * voxel
    full = d <= -reach
    padded.reshape(n_blocks[0], BLOCK, n_blocks[1], BLOCK, n_blocks[2], BLOCK)[...] = full[:, None, :, None, :, None]

    # 2. voxels of the straddling blocks
    straddling = np.argwhere(np.abs(d) < reach)
    offsets = np.stack(np.meshgrid(*(np.arange(BLOCK),) * 3, indexing="ij"), -1).reshape(-1, 3)
    per_batch = max(1, BATCH_POINTS // BLOCK**3)
    flat = padded.reshape(-1)
    strides = np.array([padded.shape[1] * padded.shape[2], padded.shape[2], 1])
    for first in range(0, len(straddling), per_batch):
        index = (straddling[first : first + per_batch, None, :] * BLOCK + offsets[None]).reshape(-1, 3)
        points = origin + index * voxel
        d = shape.sdf_points(points)
        inside = d <= -_HALF_DIAGONAL * voxel
        edge = np.abs(d) < _HALF_DIAGONAL * voxel
        linear = index @ strides
        flat[linear[inside]] = 1.0
        if np.any(edge):
            flat[linear[edge]] = _refine(shape, points[edge], voxel, levels)

    occupancy = padded[: size[0], : size[1], : size[2]]
    region = tuple(slice(int(a), int(b)) for a, b in zip(start, stop))
    return region, np.ascontiguousarray(occupancy)


def grid_size(grid_shape) -> tuple[int, int, int]:
    """Validate a grid shape ``(n_rows, n_z, n_x)``: three integers >= 1."""
    try:
        sizes = tuple(int(n) for n in grid_shape)
        ok = len(sizes) == 3 and all(n >= 1 and n == m for n, m in zip(sizes, grid_shape))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValidationError("grid_shape", grid_shape, "3 integers >= 1 ordered (n_rows, n_z, n_x)")
    return sizes


def supersample_levels(supersample: int) -> int:
    """Octree depth below a voxel for ``supersample`` (one of ``SUPERSAMPLES``), else raise."""
    if supersample not in SUPERSAMPLES:
        raise ValidationError("supersample", supersample, f"one of {SUPERSAMPLES}")
    return int(round(math.log2(supersample)))


def _cut_fraction(d: np.ndarray, h: float) -> np.ndarray:
    """Fraction of a cell of edge ``h`` behind a plane at signed distance ``d`` from its centre.

    ``clip(1/2 − d/h, 0, 1)``: exact for a face parallel to the grid, and odd
    about d = 0, so unbiased for faces at any angle.
    """
    return np.clip(0.5 - d / h, 0.0, 1.0)


def _refine(shape: Shape, points: np.ndarray, h: float, levels: int) -> np.ndarray:
    """Occupied fraction of cubic cells of edge ``h`` [nm] centred on ``points`` (n, 3)."""
    if levels == 0:
        return _cut_fraction(shape.sdf_points(points), h)
    n = points.shape[0]
    result = np.empty(n)
    quarter = _CHILD * (h / 4)
    child = h / 2
    per_batch = max(1, BATCH_POINTS // 8)
    for first in range(0, n, per_batch):
        part = slice(first, min(n, first + per_batch))
        m = part.stop - part.start
        children = (points[part, None, :] + quarter[None]).reshape(-1, 3)
        owner = np.repeat(np.arange(m), 8)
        d = shape.sdf_points(children)
        if levels == 1:
            fraction = np.bincount(owner, weights=_cut_fraction(d, child), minlength=m)
        else:
            reach = _HALF_DIAGONAL * child
            fraction = np.bincount(owner[d <= -reach], minlength=m).astype(np.float64)
            edge = np.abs(d) < reach
            if np.any(edge):
                sub = _refine(shape, children[edge], child, levels - 1)
                fraction += np.bincount(owner[edge], weights=sub, minlength=m)
        result[part] = fraction / 8
    return result

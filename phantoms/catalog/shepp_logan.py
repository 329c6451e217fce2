"""The 3-D modified Shepp–Logan phantom."""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError

from phantoms.grid import seed_record
from phantoms.library import material
from phantoms.phantom import Phantom
from phantoms.raster import rasterize_box
from phantoms.registry import register
from phantoms.shapes import Ellipsoid

# The 3-D Shepp–Logan ellipsoids with Toft's "modified" (high-contrast)
# intensities, as tabulated in M. Schabel's phantom3d (MATLAB File Exchange
# 9416) after Kak & Slaney, "Principles of Computerized Tomographic Imaging"
# (1988) and P. Toft, "The Radon Transform" (PhD thesis, DTU, 1996).
# Columns: additive intensity A; semi-axes a, b, c; centre x0, y0, z0 (all in
# units of the half field of view); rotation φ [deg] about the z axis. The
# central z = 0 section is the 2-D modified Shepp–Logan (ellipses 3 and 4
# tilted by ∓18°); the ψ column of phantom3d is not used.
MODIFIED_SHEPP_LOGAN = (
    (1.0, 0.6900, 0.920, 0.810, 0.00, 0.0000, 0.00, 0.0),
    (-0.8, 0.6624, 0.874, 0.780, 0.00, -0.0184, 0.00, 0.0),
    (-0.2, 0.1100, 0.310, 0.220, 0.22, 0.0000, 0.00, -18.0),
    (-0.2, 0.1600, 0.410, 0.280, -0.22, 0.0000, 0.00, 18.0),
    (0.1, 0.2100, 0.250, 0.410, 0.00, 0.3500, -0.15, 0.0),
    (0.1, 0.0460, 0.046, 0.050, 0.00, 0.1000, 0.25, 0.0),
    (0.1, 0.0460, 0.046, 0.050, 0.00, -0.1000, 0.25, 0.0),
    (0.1, 0.0460, 0.023, 0.050, -0.08, -0.6050, 0.00, 0.0),
    (0.1, 0.0230, 0.023, 0.020, 0.00, -0.6060, 0.00, 0.0),
    (0.1, 0.0230, 0.046, 0.020, 0.06, -0.6050, 0.00, 0.0),
)


@register("shepp_logan_3d", "Classic 3-D modified (Toft) Shepp-Logan ellipsoids on an n³ grid; one material (H2O).")
def shepp_logan_3d(*, n=128, voxel_nm=1.0, supersample=4, seed=0):
    """Classic 3-D modified (Toft) Shepp-Logan ellipsoids on an n³ grid; one material (H2O).

    The phantom has one material, water (1.0 g/cm³), whose volume fraction in
    each voxel is the modified Shepp–Logan intensity (0 outside, 1.0 in the
    skull, 0.2 in the brain, 0.3 in the small bright ellipsoids), with
    partial-volume edges; so μ, δ and β are the classic values times those of
    water.

    Axes: the phantom's x runs along the volume's x, its y (up in the usual
    picture) along −z, and its z (the head axis) along the rows, so
    ``volume[n // 2]`` shows the 2-D modified Shepp–Logan upright with
    ``imshow``. Coordinates ±1 of the table are the faces of the n³ grid.

    Parameters
    ----------
    n : int
        Grid size [voxels] along every axis (even, >= 8).
    voxel_nm : float
        Voxel edge [nm]; the field of view is ``n·voxel_nm``.
    supersample : int
        Sub-samples per voxel edge on ellipsoid surfaces.
    seed : int
        Recorded only (the phantom is deterministic).

    Examples
    --------
    >>> p = shepp_logan_3d(n=32)
    >>> p.shape, p.material_names
    ((32, 32, 32), ('H2O',))
    >>> round(float(p.fractions[0, 16, 16, 16]), 6)     # brain: 1 − 0.8
    0.2
    >>> p.mu_per_nm(10.0).quantity
    'linear attenuation coefficient'
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 8 or n % 2:
        raise ValidationError("n", n, "an even integer >= 8 [voxels]")
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    n = int(n)
    grid = (n, n, n)
    half = n * voxel / 2
    intensity = np.zeros(grid, dtype=np.float64)
    for value, a, b, c, x0, y0, z0, phi in MODIFIED_SHEPP_LOGAN:
        shape = Ellipsoid(_to_volume((x0, y0, z0), half), (a * half, b * half, c * half), _rotation(phi))
        box = rasterize_box(shape, grid, voxel, supersample=supersample)
        if box is not None:
            region, occupancy = box
            intensity[region] += value * occupancy
    if intensity.min() < -1e-6 or intensity.max() > 1 + 1e-6:  # the table nests its ellipsoids
        raise AssertionError("Shepp-Logan intensities left [0, 1]: the ellipsoid table is corrupt")
    np.clip(intensity, 0.0, 1.0, out=intensity)  # float rounding of 1 − 0.8 − 0.2 only
    params = {"n": n, "voxel_nm": voxel, "supersample": supersample, "table": "modified (Toft) Shepp-Logan 3-D"}
    return Phantom(intensity[None].astype(np.float32), (material("H2O"),), voxel, "shepp_logan_3d", params, seed_record(seed))


def _to_volume(xyz, scale: float) -> tuple[float, float, float]:
    """Shepp–Logan (x, y, z) -> volume (row, z, x): row = z, z = −y, x = x."""
    x, y, z = xyz
    return (z * scale, -y * scale, x * scale)


def _rotation(phi_deg: float) -> np.ndarray:
    """Body axes (a, b, c) of an ellipsoid turned by φ about the phantom's z, in (row, z, x)."""
    phi = math.radians(phi_deg)
    a = _to_volume((math.cos(phi), math.sin(phi), 0.0), 1.0)
    b = _to_volume((-math.sin(phi), math.cos(phi), 0.0), 1.0)
    c = _to_volume((0.0, 0.0, 1.0), 1.0)
    return np.array([a, b, c]).T

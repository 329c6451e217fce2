"""XRF projections of a whole volume at once, in a material basis (numba kernel).

:func:`sim.fluorescence.xrf_projection` evaluates Sherman's equation on one
slice from element and attenuation maps. A phantom is a few materials with
volume fractions, and every quantity the equation needs is linear in those
fractions: the attenuation at the incident energy ``μ0 = Σ_m f_m μ0_m``, at
each line's energy ``μ_l = Σ_m f_m μ_lm``, and the line's emission per unit
path ``e_l = Σ_m f_m e_lm`` with ``e_lm = ρ_m · w_{el,m} · σ_l`` (density,
mass fraction of the line's element, production cross section). This kernel
therefore resamples only the fractions onto the beam-aligned grid and forms
every map from them, for all rows of the volume in parallel:

    S_l(row, u) = Ω/4π · Σ_t e_l(t, u) · exp(−τ0(t, u)) · exp(−τ_l(t, u)) · voxel

with the same geometry, bilinear resampling and midpoint path integrals as
:func:`sim.fluorescence.xrf_projection` (beam along ``(−sin θ, cos θ)``,
detector at 90° on the side ``±u``, a single escape direction), so the two
agree to rounding on samples with a vacuum border (tested). Bilinear
interpolation is linear, so resampling the fractions and then mixing them is
the same as mixing and then resampling.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim.errors import ValidationError
from sim.fluorescence import beam_grid_size, scan_geometry


def xrf_volume_projection(
    fractions,
    mu_incident_per_nm,
    mu_line_per_nm,
    emission_per_nm,
    *,
    voxel_nm: float,
    angle_deg: float,
    detector_side: int = 1,
    solid_angle_sr: float = 4.0 * math.pi,
) -> np.ndarray:
    """Detected fluorescence per incident photon of every line, row and beam position at one tilt.

    Parameters
    ----------
    fractions : ndarray, shape (n_mat, n_rows, n_z, n_x)
        Volume fraction of each material in each voxel [1], in [0, 1].
    mu_incident_per_nm : ndarray, shape (n_mat,)
        Linear attenuation of each pure material at the incident energy [1/nm].
    mu_line_per_nm : ndarray, shape (n_lines, n_mat)
        Linear attenuation of each pure material at each line's energy [1/nm].
    emission_per_nm : ndarray, shape (n_lines, n_mat)
        Photons of each line produced per incident photon per nm of pure
        material, ``ρ_m · w_{e,m} · σ_l / 10⁷`` [1/nm] (0 where the material
        lacks the line's element).
    voxel_nm : float
        Voxel edge [nm].
    angle_deg : float
        Tilt [deg]; the beam runs along ``(x, z) = (−sin θ, cos θ)``.
    detector_side : int
        ``+1``: detector towards +u (+x at θ = 0); ``−1``: towards −u.
    solid_angle_sr : float
        Detector solid angle [sr], in (0, 4π].

    Returns
    -------
    ndarray, float64, shape (n_lines, n_rows, n_x)
        Detected photons per incident photon (before detector efficiency).

    Examples
    --------
    >>> f = np.zeros((1, 1, 4, 4)); f[0, 0, 1:3, 1:3] = 1.0
    >>> s = xrf_volume_projection(f, np.zeros(1), np.zeros((1, 1)), np.full((1, 1), 1e-3),
    ...                           voxel_nm=10.0, angle_deg=0.0)
    >>> np.round(s[0, 0], 6).tolist()       # 2 voxels of 10 nm at 1e-3 photons/nm
    [0.0, 0.02, 0.02, 0.0]
    """
    data = np.asarray(fractions)
    if data.ndim != 4:
        raise ValidationError("fractions.shape", data.shape, "(n_mat, n_rows, n_z, n_x)")
    n_mat = data.shape[0]
    mu0 = _table("mu_incident_per_nm", mu_incident_per_nm, (n_mat,))
    mu_line = _table("mu_line_per_nm", mu_line_per_nm, None)
    if mu_line.ndim != 2 or mu_line.shape[1] != n_mat:
        raise ValidationError("mu_line_per_nm.shape", mu_line.shape, f"(n_lines, {n_mat})")
    emission = _table("emission_per_nm", emission_per_nm, mu_line.shape)
    voxel, angle, omega = scan_geometry(voxel_nm, angle_deg, solid_angle_sr, detector_side)
    if not np.issubdtype(data.dtype, np.floating):
        data = data.astype(np.float32)
    n_x = data.shape[3]
    n_t, n_u = beam_grid_size(data.shape[2:])
    out = np.zeros((mu_line.shape[0], data.shape[1], n_x))
    _kernel(np.ascontiguousarray(data), mu0, mu_line, emission, math.cos(angle), math.sin(angle), n_t, n_u,
            voxel, detector_side == 1, out)
    return out * (omega / (4.0 * math.pi))


def _table(field: str, values, shape) -> np.ndarray:
    table = np.asarray(values, dtype=np.float64)
    if shape is not None and table.shape != shape:
        raise ValidationError(f"{field}.shape", table.shape, str(shape))
    if np.any(~np.isfinite(table)) or np.any(table < 0):
        raise ValidationError(field, "<negative or non-finite>", "finite values >= 0")
    return table


@njit(cache=True, parallel=True)
def _kernel(fractions, mu0, mu_line, emission, cos_t, sin_t, n_t, n_u, voxel, towards_plus, out):
    n_mat, n_rows, n_z, n_x = fractions.shape
    n_lines = mu_line.shape[0]
    offset = (n_u - n_x) // 2
    for row in prange(n_rows):
        sampled = np.zeros((n_t, n_u, n_mat))
        for i in range(n_t):
            t = i - (n_t - 1) / 2.0
            for j in range(n_u):
                u = j - (n_u - 1) / 2.0
                z = u * sin_t + t * cos_t + (n_z - 1) / 2.0
                x = u * cos_t - t * sin_t + (n_x - 1) / 2.0
                z0 = math.floor(z)
                x0 = math.floor(x)
                wz = z - z0
                wx = x - x0
                for dz in range(2):
                    zi = int(z0) + dz
                    if zi < 0 or zi >= n_z:
                        continue
                    weight_z = wz if dz == 1 else 1.0 - wz
                    for dx in range(2):
                        xi = int(x0) + dx
                        if xi < 0 or xi >= n_x:
                            continue
                        weight = weight_z * (wx if dx == 1 else 1.0 - wx)
                        for m in range(n_mat):
                            sampled[i, j, m] += weight * fractions[m, row, zi, xi]
        incoming = np.empty((n_t, n_u))
        for j in range(n_u):
            depth = 0.0
            for i in range(n_t):
                mu = 0.0
                for m in range(n_mat):
                    mu += sampled[i, j, m] * mu0[m]
                incoming[i, j] = math.exp(-(depth + 0.5 * mu) * voxel)
                depth += mu
        for line in range(n_lines):
            for i in range(n_t):
                depth = 0.0
                for step in range(n_u):
                    j = n_u - 1 - step if towards_plus else step
                    mu = 0.0
                    emitted = 0.0
                    for m in range(n_mat):
                        mu += sampled[i, j, m] * mu_line[line, m]
                        emitted += sampled[i, j, m] * emission[line, m]
                    column = j - offset
                    if emitted != 0.0 and 0 <= column < n_x:
                        out[line, row, column] += emitted * incoming[i, j] * math.exp(-(depth + 0.5 * mu) * voxel) * voxel
                    depth += mu

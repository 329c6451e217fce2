"""X-ray waves in matter: wavelength, and the complex transmission of a projected refractive index.

The refractive index is ``n = 1 − δ + iβ`` (δ, β ≥ 0 away from edges;
Als-Nielsen & McMorrow, *Elements of Modern X-ray Physics*, 2nd ed., §3.1;
xraylib's ``Refractive_Index_Re/Im``). **Sign convention**: a monochromatic
wave is ``exp(i(k z − ω t))`` with ``k = 2π/λ``, so inside matter it is
``exp(i n k z)`` and, relative to the same path in vacuum, a slab changes it
by the factor

    T = exp(−k ∫β dz) · exp(−i k ∫δ dz)

(Paganin, *Coherent X-Ray Optics*, OUP 2006, eq. 2.43, the projection
approximation). The phase advance is ``φ = −k ∫δ dz`` (negative for
δ > 0: the phase velocity in matter exceeds c), and the intensity
``|T|² = exp(−2k ∫β dz) = exp(−∫μ dz)`` with ``μ = 4πβ/λ``.

Which cross section μ = 4πβ/λ is: xraylib computes
``β = CS_Total(E)·ρ·(constants)/E`` from the *total* cross section
(photoabsorption + coherent + incoherent scattering), so ``4πβ/λ`` equals
``CS_Total_CP(formula, E)·ρ`` [1/cm] (measured: ratio 1 − 1.1e-7 for SiO2, Au
and C from 5.4 to 20 keV, the rounding of xraylib's constants) and so
``phantoms.Material.mu_per_nm``; it exceeds the photoabsorption-only μ by 1 %
(Au, 5.4 keV) to a factor 2 (C, 20 keV). ``tests/sim/test_xray_wave.py``
checks this against xraylib.

Units: lengths and path integrals in nm, energies in keV; ``∫δ dz`` and
``∫β dz`` [nm] are what :func:`sim.project` returns for a δ or β volume.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.constants

from sim import validate
from sim.errors import ValidationError
from sim.projector import project

HC_KEV_NM = scipy.constants.h * scipy.constants.c / (scipy.constants.e * 1e3) * 1e9
"""Planck constant × speed of light [keV·nm] (CODATA via scipy.constants): λ[nm] = HC_KEV_NM / E[keV]."""


def wavelength_nm(energy_kev: float) -> float:
    """Photon wavelength λ = hc/E [nm].

    Parameters
    ----------
    energy_kev : float
        Photon energy [keV], > 0.

    Returns
    -------
    float
        Wavelength [nm].

    Examples
    --------
    >>> round(wavelength_nm(8.0), 6)       # Cu Kα region: 0.155 nm
    0.15498
    """
    return HC_KEV_NM / validate.positive("energy_kev", energy_kev, "keV")


def wavenumber_per_nm(energy_kev: float) -> float:
    """Vacuum wavenumber k = 2π/λ [rad/nm].

    Examples
    --------
    >>> round(wavenumber_per_nm(8.0), 3)
    40.542
    """
    return 2.0 * math.pi / wavelength_nm(energy_kev)


def phase_shift_rad(delta_path_nm, energy_kev: float) -> np.ndarray:
    """Phase advance ``φ = −k ∫δ dz`` [rad] relative to vacuum (module sign convention).

    Parameters
    ----------
    delta_path_nm : array_like
        Projected refractive-index decrement ``∫δ dz`` [nm].
    energy_kev : float
        Photon energy [keV].

    Returns
    -------
    ndarray, float64, same shape

    Examples
    --------
    >>> round(float(phase_shift_rad(1e-3, 8.0)), 5)     # ∫δ dz = 1 pm
    -0.04054
    """
    path = _paths("delta_path_nm", delta_path_nm)
    return -wavenumber_per_nm(energy_kev) * path


def absorption_optical_depth(beta_path_nm, energy_kev: float) -> np.ndarray:
    """Optical depth ``∫μ dz = 2k ∫β dz`` [dimensionless]: the intensity falls by ``exp(−∫μ dz)``.

    Parameters
    ----------
    beta_path_nm : array_like
        Projected absorption index ``∫β dz`` [nm], >= 0.
    energy_kev : float
        Photon energy [keV].

    Returns
    -------
    ndarray, float64, same shape

    Examples
    --------
    >>> round(float(absorption_optical_depth(1e-3, 8.0)), 5)
    0.08108
    """
    path = _beta_paths(beta_path_nm)
    return 2.0 * wavenumber_per_nm(energy_kev) * path


def complex_transmission(delta_path_nm, beta_path_nm, energy_kev: float) -> np.ndarray:
    """Complex transmission ``T = exp(−k∫β dz)·exp(−i k∫δ dz)`` of projected δ and β.

    Parameters
    ----------
    delta_path_nm : array_like
        ``∫δ dz`` [nm] (may be negative near absorption edges).
    beta_path_nm : array_like, same shape
        ``∫β dz`` [nm], >= 0 (a negative value would be gain: an error).
    energy_kev : float
        Photon energy [keV].

    Returns
    -------
    ndarray, complex64, same shape
        Multiplies the incident wave (module sign convention); ``|T|²`` is
        Beer–Lambert's ``exp(−∫μ dz)``.

    Examples
    --------
    >>> t = complex_transmission([0.0, 1e-3], [0.0, 1e-4], 8.0)
    >>> np.abs(t).astype(float).round(4).tolist(), np.angle(t).astype(float).round(4).tolist()  # exp(−kβ), −kδ
    ([1.0, 0.996], [0.0, -0.0405])
    """
    delta = _paths("delta_path_nm", delta_path_nm)
    beta = _beta_paths(beta_path_nm)
    if delta.shape != beta.shape:
        raise ValidationError("beta_path_nm.shape", beta.shape, f"{delta.shape}, the shape of delta_path_nm")
    k = wavenumber_per_nm(energy_kev)
    out = np.empty(delta.shape, np.complex64)
    _transmission(np.ascontiguousarray(delta).ravel(), np.ascontiguousarray(beta).ravel(), k, out.ravel())
    return out


@numba.njit(parallel=True, cache=True)
def _transmission(delta, beta, k, out):
    """``out = exp(−k·β)·(cos kδ − i sin kδ)`` element by element, in float64, stored as complex64."""
    for i in numba.prange(delta.size):
        amplitude = math.exp(-k * beta[i])
        phase = k * delta[i]
        out[i] = complex(amplitude * math.cos(phase), 0.0 - amplitude * math.sin(phase))  # +0 at zero phase


def project_refractive_index(
    delta_volume,
    beta_volume,
    angles_deg,
    *,
    voxel_nm: float | None = None,
    n_cols: int | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Projected δ and β, ``(∫δ dz, ∫β dz)`` [nm], at each tilt through :func:`sim.project`.

    Parameters
    ----------
    delta_volume, beta_volume : Volume or ndarray, shape (n_rows, n_z, n_x)
        δ and β on the same grid (e.g. ``Phantom.delta(E)``, ``Phantom.beta(E)``).
    angles_deg : array_like, shape (n_angles,)
        Tilt angles [deg].
    voxel_nm, n_cols, shifts_px, axis_offset_px
        As in :func:`sim.project`.

    Returns
    -------
    delta_paths_nm, beta_paths_nm : ndarray, float32, shape (n_angles, n_rows, n_cols)

    Examples
    --------
    >>> d, b = project_refractive_index(np.full((1, 4, 4), 1e-6), np.full((1, 4, 4), 1e-8), [0.0], voxel_nm=10.0)
    >>> round(float(d[0, 0, 0]), 9), round(float(b[0, 0, 0]), 11)     # 40 nm of material
    (4e-05, 4e-07)
    """
    delta_shape = np.shape(getattr(delta_volume, "data", delta_volume))
    beta_shape = np.shape(getattr(beta_volume, "data", beta_volume))
    if delta_shape != beta_shape:
        raise ValidationError("beta_volume.shape", beta_shape, f"{delta_shape}, the shape of delta_volume")
    kwargs = dict(voxel_nm=voxel_nm, n_cols=n_cols, shifts_px=shifts_px, axis_offset_px=axis_offset_px)
    return project(delta_volume, angles_deg, **kwargs), project(beta_volume, angles_deg, **kwargs)


def transmission_views(
    delta_volume,
    beta_volume,
    angles_deg,
    *,
    energy_kev: float,
    voxel_nm: float | None = None,
    n_cols: int | None = None,
    shifts_px=None,
    axis_offset_px: float = 0.0,
) -> np.ndarray:
    """Complex transmission of every view (projection approximation), ``(n_angles, n_rows, n_cols)`` complex64.

    :func:`project_refractive_index` then :func:`complex_transmission`.

    Examples
    --------
    >>> t = transmission_views(np.full((1, 4, 4), 1e-6), np.zeros((1, 4, 4)), [0.0, 90.0],
    ...                        energy_kev=8.0, voxel_nm=10.0)
    >>> t.shape, round(float(np.angle(t[0, 0, 0])), 5)          # −k · 40 nm · 1e-6
    ((2, 1, 4), -0.00162)
    """
    delta, beta = project_refractive_index(
        delta_volume,
        beta_volume,
        angles_deg,
        voxel_nm=voxel_nm,
        n_cols=n_cols,
        shifts_px=shifts_px,
        axis_offset_px=axis_offset_px,
    )
    return complex_transmission(delta, beta, energy_kev)


def _paths(field: str, values) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValidationError(f"{field}.dtype", str(array.dtype), "a real numeric type [nm]")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValidationError(field, "<NaN/inf values>", "finite path integrals [nm]")
    return array


def _beta_paths(values) -> np.ndarray:
    array = _paths("beta_path_nm", values)
    if np.any(array < 0):
        raise ValidationError("beta_path_nm", f"<minimum {float(array.min())}>", "values >= 0 nm (absorption, not gain)")
    return array

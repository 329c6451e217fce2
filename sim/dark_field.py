"""HAADF-STEM image formation: incoherent Z-contrast with the probe's depth of focus.

The ``projection`` level of the HAADF twin (Pennycook & Jesson,
Ultramicroscopy 37, 14 (1991); Hartel, Rose & Dinges, Ultramicroscopy 63, 93
(1996)):

- Each voxel scatters onto the annular detector in proportion to
  ``ζ = Σ_Z N_Z·Zⁿ`` [1/nm³] (``n`` ≈ 1.7: screening and thermal diffuse
  scattering bring Rutherford's Z² down to Z¹·⁶–Z²).
- The absolute scale is ``C`` [nm²], the annular cross-section per unit Zⁿ:
  the elastic cross-section into the detector, ``σ(Z) = 2π γ²λ² ∫ |f(q)|² q dq``
  over ``θ_in/λ ≤ q ≤ θ_out/λ`` with the Lobato–Van Dyck scattering factors
  (:mod:`sim.scattering`), fitted as ``C·Zⁿ`` over Z = 6…83 (least squares in
  log σ): tabulated physics, not a typed number.
- Depth of focus: the sample is cut into slabs along the beam; slab ``j`` at
  depth ``w_j`` (downstream positive, from the reference plane) sees the probe
  at defocus ``Δf − w_j`` (a probe focused ``Δf`` underfocus has its
  crossover ``Δf`` downstream) and is convolved with that probe's intensity.
  Where the pixel is coarser than the probe (``pixel > λ/(2α)``, the usual
  tomography sampling) the probe's intensity is the geometric-optics disc of
  radius ``α·|Δf − w|`` convolved with a Gaussian of the in-focus probe's
  width (``0.61·λ/α`` FWHM, Airy) and the source size, in closed form in
  Fourier space; otherwise the wave-optical probe of
  :func:`sim.electron_optics.probe_intensity` is used. Either way the probe
  is not integrated over a pixel: a STEM pixel is a scan position, and the
  projector's pixel average already stands for the sample there (an extra
  pixel aperture would blur the image by a pixel box, 3.5 % rms off the
  exact projection of in-focus 2.5–4 nm particles at 1 nm pixels).
- Thickness: the fraction of the beam reaching the detector is
  ``1 − exp(−C·s)`` with ``s`` the probe-weighted projection of ζ: linear for
  thin samples, sublinear as the beam is depleted (a documented simple model
  of the HAADF thickness saturation, cf. LeBeau et al., Phys. Rev. Lett. 100,
  206101 (2008)).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.integrate
import scipy.special

from sim import validate
from sim.electron_optics import Aberrations, probe_intensity, relativistic_gamma, wavelength_nm
from sim.errors import ValidationError
from sim.scattering import electron_form_factor_nm

FIT_ELEMENTS = tuple(range(6, 84))
"""Elements (C…Bi) over which the annular cross-section is fitted as ``C·Zⁿ``."""

_AIRY_FWHM = 0.61
RADIUS_STEP_PX = 0.1
"""Defocus-disc radii closer than this [px] share one probe transfer in :func:`haadf_signal`."""


@lru_cache(maxsize=256)
def annular_cross_section_nm2(z: int, voltage_kv: float, inner_mrad: float, outer_mrad: float) -> float:
    """Elastic cross-section [nm²] of one atom ``z`` into an annular detector.

    ``σ = 2π γ² λ² ∫ |f(q)|² q dq`` for ``q`` from ``θ_in/λ`` to ``θ_out/λ``
    (small-angle form of the elastic cross-section, Reimer & Kohl, *Transmission
    Electron Microscopy*, 5th ed., §5.1).

    >>> annular_cross_section_nm2(79, 200.0, 60.0, 200.0) > annular_cross_section_nm2(26, 200.0, 60.0, 200.0)
    True
    """
    inner = validate.positive("inner_mrad", inner_mrad, "mrad")
    outer = validate.positive("outer_mrad", outer_mrad, "mrad")
    if outer <= inner:
        raise ValidationError("outer_mrad", outer_mrad, f"> inner_mrad = {inner_mrad} mrad")
    wavelength = wavelength_nm(voltage_kv)
    gamma = relativistic_gamma(voltage_kv)
    q_in, q_out = inner * 1e-3 / wavelength, outer * 1e-3 / wavelength
    integral, _ = scipy.integrate.quad(lambda q: float(electron_form_factor_nm(z, q)) ** 2 * q, q_in, q_out, limit=200)
    return 2.0 * np.pi * gamma**2 * wavelength**2 * integral


@lru_cache(maxsize=64)
def z_contrast_scale_nm2(voltage_kv: float, inner_mrad: float, outer_mrad: float, exponent: float) -> float:
    """``C`` [nm²] such that ``C·Zⁿ`` best fits the annular cross-section over C…Bi (log least squares).

    >>> 1e-9 < z_contrast_scale_nm2(200.0, 60.0, 200.0, 1.7) < 1e-5
    True
    """
    z = np.asarray(FIT_ELEMENTS, float)
    sigma = np.array([annular_cross_section_nm2(int(n), voltage_kv, inner_mrad, outer_mrad) for n in FIT_ELEMENTS])
    return float(np.exp(np.mean(np.log(sigma) - exponent * np.log(z))))


def probe_transfer(shape, pixel_nm: float, voltage_kv: float, convergence_mrad: float, defocus_nm: float, *,
                   source_size_nm: float = 0.0) -> np.ndarray:
    """Fourier transform of the probe intensity at ``defocus_nm`` (rfft layout, real, 1 at k = 0).

    Geometric optics for pixels coarser than the probe (see the module
    docstring): ``jinc(2πRk)·exp(−2π²σ²k²)`` with ``R = α·|Δf|`` and σ the
    Gaussian of the in-focus probe and the source.

    >>> t = probe_transfer((16, 16), 1.0, 200.0, 25.0, 0.0)
    >>> t.shape, float(t[0, 0])
    ((16, 9), 1.0)
    """
    alpha = validate.positive("convergence_mrad", convergence_mrad, "mrad") * 1e-3
    k, base = _in_focus_transfer(shape, pixel_nm, voltage_kv, alpha, source_size_nm)
    return base * disc_transfer(k, alpha * abs(float(defocus_nm)))


def _in_focus_transfer(shape, pixel_nm, voltage_kv, alpha, source_size_nm):
    """|k| on the rfft grid and the in-focus probe's transfer there."""
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    k_rows = scipy.fft.fftfreq(shape[0], pixel)[:, None]
    k_cols = scipy.fft.rfftfreq(shape[1], pixel)[None, :]
    fwhm = np.hypot(_AIRY_FWHM * wavelength_nm(voltage_kv) / alpha,
                    validate.non_negative("source_size_nm", source_size_nm, "nm"))
    sigma = fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    k = np.hypot(k_rows, k_cols)
    return k, np.exp(-2.0 * (np.pi * sigma * k) ** 2)


def disc_transfer(k: np.ndarray, radius_nm: float) -> np.ndarray:
    """Fourier transform of a uniform disc of radius ``radius_nm`` (unit area), ``2·J1(x)/x`` with ``x = 2πRk``.

    ``k`` is the spatial frequency [1/nm].

    >>> disc_transfer(np.array([0.0, 0.6098 / 2.0]), 2.0).round(3).tolist()   # first zero at k = 0.6098/R
    [1.0, 0.0]
    """
    argument = 2.0 * np.pi * radius_nm * k
    disc = np.ones_like(argument)
    nonzero = argument > 1e-12
    disc[nonzero] = 2.0 * scipy.special.j1(argument[nonzero]) / argument[nonzero]
    return disc


def haadf_signal(slabs: np.ndarray, depths_nm: np.ndarray, *, pixel_nm: float, voltage_kv: float,
                 convergence_mrad: float, aberrations: Aberrations, source_size_nm: float = 0.0) -> np.ndarray:
    """Probe-weighted projection ``s`` of ζ [1/nm²]: each depth slab convolved with its defocused probe.

    Parameters
    ----------
    slabs : ndarray (n_slabs, n_rows, n_cols)
        ζ projected through each slab along the beam [1/nm²].
    depths_nm : ndarray (n_slabs,)
        Slab-centre depth along the beam from the reference plane [nm], downstream positive.
    pixel_nm, voltage_kv, convergence_mrad, aberrations, source_size_nm
        Scan step [nm], accelerating voltage [kV], probe semi-angle [mrad],
        probe aberrations (``defocus_nm`` sets the focal plane), source size (FWHM) [nm].

    With coarse pixels, slabs whose defocus discs have the same radius to
    within ``RADIUS_STEP_PX`` of a pixel are summed before one FFT (an error
    far below the pixel).

    >>> slabs = np.zeros((1, 9, 9), np.float32); slabs[0, 4, 4] = 1.0
    >>> s = haadf_signal(slabs, [0.0], pixel_nm=1.0, voltage_kv=200.0, convergence_mrad=25.0,
    ...                  aberrations=Aberrations())
    >>> round(float(s.sum()), 5)
    1.0
    """
    slabs = np.asarray(slabs, np.float32)
    depths = np.asarray(depths_nm, np.float64).reshape(-1)
    if slabs.ndim != 3 or depths.size != slabs.shape[0]:
        raise ValidationError("depths_nm", f"<{depths.size} depths>", f"one per slab of slabs with shape {slabs.shape}")
    shape = slabs.shape[1:]
    alpha = validate.positive("convergence_mrad", convergence_mrad, "mrad") * 1e-3
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    occupied = [j for j in range(slabs.shape[0]) if slabs[j].any()]
    total = np.zeros((shape[0], shape[1] // 2 + 1), np.complex128)
    if pixel > wavelength_nm(voltage_kv) / (2.0 * alpha):
        k, base = _in_focus_transfer(shape, pixel, voltage_kv, alpha, source_size_nm)
        step_nm = RADIUS_STEP_PX * pixel
        groups: dict[int, np.ndarray] = {}
        for j in occupied:
            key = int(round(alpha * abs(aberrations.defocus_nm - depths[j]) / step_nm))
            groups[key] = groups[key] + slabs[j] if key in groups else slabs[j].astype(np.float64)
        for key, summed in groups.items():
            total += scipy.fft.rfft2(summed) * (base * disc_transfer(k, key * step_nm))
    else:
        for j in occupied:
            probe = probe_intensity(shape, pixel, voltage_kv, convergence_mrad,
                                    aberrations.with_defocus(aberrations.defocus_nm - depths[j]),
                                    source_size_nm=source_size_nm)
            total += scipy.fft.rfft2(slabs[j]) * scipy.fft.rfft2(scipy.fft.ifftshift(probe))
    return scipy.fft.irfft2(total, s=shape).astype(np.float32)


def detected_fraction(signal_per_nm2: np.ndarray, scale_nm2: float) -> np.ndarray:
    """Fraction of the incident electrons on the annular detector, ``1 − exp(−C·s)``.

    >>> round(float(detected_fraction(np.array(1e4), 1e-6)), 6)   # thin: ≈ C·s
    0.00995
    """
    return (-np.expm1(-validate.positive("scale_nm2", scale_nm2, "nm²") * np.asarray(signal_per_nm2, np.float64))).astype(np.float32)

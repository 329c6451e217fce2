"""Fresnel zone-plate objective of a full-field transmission X-ray microscope (TXM).

A zone plate of diameter ``D`` and outermost zone width ``Δr_N`` is a
diffractive lens; in its first order every property follows from ``D``,
``Δr_N`` and the wavelength ``λ`` (Attwood, *Soft X-Rays and Extreme
Ultraviolet Radiation*, 1999, ch. 9, §9.2–9.4; Howells, Jacobsen &
Warwick, "Principles and applications of zone plate X-ray microscopes", in
*Science of Microscopy*, 2007, §13.3):

- focal length ``f = D·Δr_N/λ``,
- numerical aperture ``NA = λ/(2Δr_N)``,
- Rayleigh resolution ``δ = 0.610·λ/NA = 1.22·Δr_N`` (incoherent illumination),
- depth of focus ``±λ/(2NA²) = ±2Δr_N²/λ``,
- number of zones ``N = D/(4Δr_N)`` (from ``D = 4NΔr_N``).

The objective acts on the sample's exit wave through its pupil, written in
spatial frequencies of the *object* plane: a disc of radius ``NA/λ``
(= ``1/(2Δr_N)``, independent of energy) with the central stop removed. The
zone plate's first-order efficiency only scales the intensity and is applied
by the caller (``efficiency``); the pupil itself is normalised to 1.

The wavelength is :func:`sim.xray_wave.wavelength_nm` (``λ = hc/E``).

Conventions: energies in keV, lengths in nm unless the name says otherwise
(``diameter_um``, ``focal_length_mm``), spatial frequencies in 1/nm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.xray_wave import wavelength_nm

_NM_PER_UM = 1e3
_NM_PER_MM = 1e6
# Ideal binary amplitude zone plate: first-order efficiency 1/π² ≈ 10.1 % (Kirz, JOSA 64, 301, 1974).
AMPLITUDE_ZONE_PLATE_EFFICIENCY = 1.0 / math.pi**2


def frequencies(shape: tuple[int, int], pixel_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """Spatial-frequency grids ``(f_row, f_col)`` [1/nm] of an image, unshifted FFT layout.

    ``f_row`` has shape ``(n_rows, 1)`` and ``f_col`` shape ``(1, n_cols)``;
    they broadcast to the image shape.

    >>> f_row, f_col = frequencies((4, 8), 10.0)
    >>> f_row.shape, f_col.shape, float(f_col[0, 1])
    ((4, 1), (1, 8), 0.0125)
    """
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    try:
        rows, cols = (int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValidationError("shape", shape, "two positive integers (n_rows, n_cols)") from None
    if rows < 1 or cols < 1:
        raise ValidationError("shape", shape, "two positive integers (n_rows, n_cols)")
    f_row = np.fft.fftfreq(rows, d=pixel)[:, None]
    f_col = np.fft.fftfreq(cols, d=pixel)[None, :]
    return f_row, f_col


@dataclass(frozen=True)
class ZonePlate:
    """A Fresnel zone-plate objective used in its first diffraction order.

    Parameters
    ----------
    diameter_um : float
        Zone-plate diameter ``D`` [µm].
    outer_zone_nm : float
        Outermost zone width ``Δr_N`` [nm]; sets NA and resolution.
    central_stop_fraction : float
        Diameter of the central stop over ``D`` (0 = no stop), in [0, 1).
        The stop blocks pupil frequencies ``|f| < central_stop_fraction·NA/λ``.
    efficiency : float
        First-order diffraction efficiency (intensity fraction) in (0, 1].
        Default ``1/π² ≈ 0.101``, the ideal binary amplitude zone plate
        (Kirz, J. Opt. Soc. Am. 64, 301, 1974; Attwood §9.3); real hard-X-ray
        Au zone plates reach ~0.1–0.3 (Howells et al. 2007, §13.3).

    Examples
    --------
    >>> zp = ZonePlate(diameter_um=160.0, outer_zone_nm=25.0)
    >>> round(zp.focal_length_mm(8.0), 2), round(zp.depth_of_focus_nm(8.0), 1)
    (25.81, 8065.5)
    >>> zp.rayleigh_resolution_nm, zp.n_zones
    (30.5, 1600.0)
    >>> ZonePlate(diameter_um=160.0, outer_zone_nm=0.0)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: outer_zone_nm = 0.0 is not allowed; allowed: a finite number > 0 nm
    """

    diameter_um: float
    outer_zone_nm: float
    central_stop_fraction: float = 0.0
    efficiency: float = AMPLITUDE_ZONE_PLATE_EFFICIENCY

    def __post_init__(self):
        object.__setattr__(self, "diameter_um", validate.positive("diameter_um", self.diameter_um, "µm"))
        object.__setattr__(self, "outer_zone_nm", validate.positive("outer_zone_nm", self.outer_zone_nm, "nm"))
        stop = validate.in_range("central_stop_fraction", self.central_stop_fraction, 0.0, 1.0)
        if stop >= 1.0:
            raise ValidationError("central_stop_fraction", self.central_stop_fraction, "a number in [0, 1)")
        object.__setattr__(self, "central_stop_fraction", stop)
        efficiency = validate.in_range("efficiency", self.efficiency, 0.0, 1.0)
        if efficiency <= 0.0:
            raise ValidationError("efficiency", self.efficiency, "a number in (0, 1]")
        object.__setattr__(self, "efficiency", efficiency)

    @property
    def rayleigh_resolution_nm(self) -> float:
        """Rayleigh resolution ``1.22·Δr_N`` [nm] for incoherent illumination (Attwood ch. 9)."""
        return 1.22 * self.outer_zone_nm

    @property
    def n_zones(self) -> float:
        """Number of zones ``N = D/(4Δr_N)`` (Attwood ch. 9)."""
        return self.diameter_um * _NM_PER_UM / (4.0 * self.outer_zone_nm)

    def focal_length_mm(self, energy_kev: float) -> float:
        """First-order focal length ``f = D·Δr_N/λ`` [mm] (Attwood ch. 9)."""
        return self.diameter_um * _NM_PER_UM * self.outer_zone_nm / wavelength_nm(energy_kev) / _NM_PER_MM

    def numerical_aperture(self, energy_kev: float) -> float:
        """Object-side numerical aperture ``NA = λ/(2Δr_N)`` (Attwood ch. 9)."""
        return wavelength_nm(energy_kev) / (2.0 * self.outer_zone_nm)

    def depth_of_focus_nm(self, energy_kev: float) -> float:
        """Half-width of the depth of focus ``2Δr_N²/λ`` [nm]: the focus is good within ± this.

        Attwood ch. 9 (``DOF = ±λ/(2NA²)``); the full depth is twice the value returned.
        """
        return 2.0 * self.outer_zone_nm**2 / wavelength_nm(energy_kev)

    def cutoff_frequency_per_nm(self, energy_kev: float, *, coherent: bool = True) -> float:
        """Highest transmitted object frequency [1/nm]: ``NA/λ`` (coherent) or ``2NA/λ`` (incoherent).

        Goodman, *Introduction to Fourier Optics*, 3rd ed., §6.2–6.3. For a zone
        plate ``NA/λ = 1/(2Δr_N)``, independent of energy.

        >>> ZonePlate(100.0, 25.0).cutoff_frequency_per_nm(8.0, coherent=False)
        0.04
        """
        return (1.0 if coherent else 2.0) * self.numerical_aperture(energy_kev) / wavelength_nm(energy_kev)

    def magnification(self, energy_kev: float, image_distance_mm: float) -> float:
        """Lateral magnification ``M = q/p = q/f − 1`` for a detector at ``q = image_distance_mm`` [mm].

        From the thin-lens equation ``1/p + 1/q = 1/f`` (Attwood ch. 9); the
        detector must lie beyond the focal length.

        >>> round(ZonePlate(160.0, 25.0).magnification(8.0, 2606.0), 1)
        100.0
        """
        focal = self.focal_length_mm(energy_kev)
        distance = validate.positive("image_distance_mm", image_distance_mm, "mm")
        if distance <= focal:
            raise ValidationError("image_distance_mm", image_distance_mm, f"> the focal length {focal:.4g} mm")
        return distance / focal - 1.0

    def pupil(self, fx, fy, energy_kev: float, defocus_nm: float = 0.0) -> np.ndarray:
        """Complex pupil ``P(f)`` on object-plane spatial frequencies ``fx``, ``fy`` [1/nm].

        ``P = 1`` for ``stop·NA/λ ≤ |f| ≤ NA/λ`` and 0 elsewhere, times the
        paraxial defocus phase ``exp(−iπλ·Δz·|f|²)`` (Goodman eq. 4.21), the
        free-space transfer function over ``Δz = defocus_nm``: a positive
        defocus images the plane ``Δz`` downstream of the sample's exit
        surface, the paraxial limit of :func:`sim.fresnel.transfer_function`.
        Paraxial is exact to ``(λ|f|)²/4 ≤ NA²/4`` (< 1e-6 for hard-X-ray
        zone plates).

        Parameters
        ----------
        fx, fy : array_like
            Spatial frequencies [1/nm]; broadcast against each other (e.g. the
            pair from :func:`frequencies`, possibly shifted).
        energy_kev : float
            Photon energy [keV].
        defocus_nm : float
            Defocus ``Δz`` [nm].

        Returns
        -------
        ndarray, complex128, the broadcast shape of ``fx`` and ``fy``

        Examples
        --------
        >>> zp = ZonePlate(100.0, 25.0, central_stop_fraction=0.5)
        >>> zp.pupil(np.array([0.0, 0.011, 0.019, 0.021]), 0.0, 8.0).real
        array([0., 1., 1., 0.])
        """
        wavelength = wavelength_nm(energy_kev)
        defocus = validate.finite("defocus_nm", defocus_nm, "nm")
        f_sq = np.asarray(fx, dtype=np.float64) ** 2 + np.asarray(fy, dtype=np.float64) ** 2
        cutoff = self.cutoff_frequency_per_nm(energy_kev)
        inside = (f_sq <= cutoff**2) & (f_sq >= (self.central_stop_fraction * cutoff) ** 2)
        if defocus == 0.0:
            return inside.astype(np.complex128)
        return np.where(inside, np.exp(-1j * np.pi * wavelength * defocus * f_sq), 0.0)

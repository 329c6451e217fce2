"""The focused X-ray probe of a scanning microscope (nanoprobe), and its Gaussian shortcut.

A zone plate focuses a coherent plane wave to a spot: the complex probe in the
focal plane is the Fourier transform of the lens pupil (Goodman,
*Introduction to Fourier Optics*, 3rd ed., §5.2),

    P(x) = F⁻¹[ pupil(f) ],

with the pupil of :meth:`sim.zone_plate.ZonePlate.pupil` — a disc of radius
``NA/λ = 1/(2Δr_N)`` with the central stop removed, times the paraxial
defocus phase ``exp(−iπλ·Δz·|f|²)``. In focus and without a stop this is the
Airy pattern, intensity FWHM ``1.029·λ/(2NA) = 1.029·Δr_N`` (Born & Wolf,
*Principles of Optics*, 7th ed., §8.5.2); a central stop of fractional
diameter ``ε`` gives ``I(v) ∝ [2J₁(v)/v − ε²·2J₁(εv)/(εv)]²`` with
``v = 2π·NA·r/λ`` (Born & Wolf ch. 8, annular aperture), a narrower core with stronger rings.
Out of focus the probe spreads once ``|Δz|`` exceeds the depth of focus
``±2Δr_N²/λ`` (Attwood, *Soft X-Rays and EUV Radiation*, 1999, ch. 9).

The probe is normalised to the photon flux in the focus:
``Σ|P|² = flux_photons_per_s`` [photons/s] over the grid (the zone plate's
efficiency and the source brightness are folded into that number by the
caller). The probe is centred on pixel ``(n_rows//2, n_cols//2)``.

:func:`gaussian_probe` is the ``projection``-level shortcut: a real Gaussian
spot of a given FWHM, with no rings, no defocus and no phase.
"""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.zone_plate import ZonePlate, frequencies

_MIN_PUPIL_SAMPLES = 4
"""Frequency samples the grid must put across the pupil radius (field of view ≥ 4·2Δr_N)."""


def focused_probe(
    zone_plate: ZonePlate,
    energy_kev: float,
    *,
    shape: tuple[int, int],
    pixel_nm: float,
    defocus_nm: float = 0.0,
    flux_photons_per_s: float = 1e9,
) -> np.ndarray:
    """Complex probe of a zone plate at a plane ``defocus_nm`` from its focus.

    Parameters
    ----------
    zone_plate : ZonePlate
        The focusing optic (diameter, outermost zone, central stop).
    energy_kev : float
        Photon energy [keV].
    shape : tuple of int
        Probe grid ``(n_rows, n_cols)`` [pixels].
    pixel_nm : float
        Pixel size in the sample plane [nm]; must be below ``Δr_N`` so the
        pupil (radius ``1/(2Δr_N)``) fits below the Nyquist frequency.
    defocus_nm : float
        Distance of the plane from the focus along the beam [nm]; positive is
        downstream (same sign as :func:`sim.fresnel.propagate`).
    flux_photons_per_s : float
        Photon flux in the focus [photons/s]; ``Σ|P|²`` equals it.

    Returns
    -------
    ndarray, complex64, shape ``shape``
        The probe amplitude [√(photons/s) per pixel], centred on
        ``(n_rows//2, n_cols//2)``.

    Examples
    --------
    >>> zp = ZonePlate(diameter_um=100.0, outer_zone_nm=20.0)
    >>> probe = focused_probe(zp, 10.0, shape=(128, 128), pixel_nm=2.0, flux_photons_per_s=1e9)
    >>> round(float(np.sum(np.abs(probe) ** 2)) / 1e9, 5)
    1.0
    >>> round(probe_fwhm_nm(probe, 2.0) / 20.0, 2)
    1.03
    """
    if not isinstance(zone_plate, ZonePlate):
        raise ValidationError("zone_plate", zone_plate, "a sim.zone_plate.ZonePlate")
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    flux = validate.positive("flux_photons_per_s", flux_photons_per_s, "photons/s")
    f_row, f_col = frequencies(shape, pixel)
    cutoff = zone_plate.cutoff_frequency_per_nm(energy_kev)
    if cutoff >= 0.5 / pixel:
        raise ValidationError("pixel_nm", pixel_nm, f"< the outermost zone width {zone_plate.outer_zone_nm:g} nm")
    n_rows, n_cols = f_row.shape[0], f_col.shape[1]
    if cutoff * min(n_rows, n_cols) * pixel < _MIN_PUPIL_SAMPLES:
        raise ValidationError(
            "shape", shape,
            f"a field of view >= {_MIN_PUPIL_SAMPLES / cutoff:g} nm per axis ({_MIN_PUPIL_SAMPLES} samples "
            "across the pupil radius)")
    pupil = zone_plate.pupil(f_row, f_col, energy_kev, defocus_nm)
    probe = np.fft.fftshift(np.fft.ifft2(pupil))
    probe *= math.sqrt(flux / float(np.sum(np.abs(probe) ** 2)))
    return probe.astype(np.complex64)


def gaussian_probe(
    fwhm_nm: float,
    *,
    shape: tuple[int, int],
    pixel_nm: float,
    flux_photons_per_s: float = 1e9,
) -> np.ndarray:
    """The ``projection``-level shortcut: a flat-phase Gaussian spot of intensity FWHM ``fwhm_nm``.

    ``|P|² ∝ exp(−4 ln2 · r²/FWHM²)``, normalised to ``Σ|P|² = flux``; it has
    no Airy rings, no depth of focus and no phase — use :func:`focused_probe`
    for anything that depends on them (ptychography, thick samples).

    Parameters
    ----------
    fwhm_nm : float
        Intensity full width at half maximum [nm].
    shape : tuple of int
        Probe grid ``(n_rows, n_cols)`` [pixels].
    pixel_nm : float
        Pixel size [nm].
    flux_photons_per_s : float
        Photon flux in the spot [photons/s].

    Returns
    -------
    ndarray, complex64, shape ``shape``, centred on ``(n_rows//2, n_cols//2)``

    Examples
    --------
    >>> probe = gaussian_probe(30.0, shape=(64, 64), pixel_nm=2.0)
    >>> round(probe_fwhm_nm(probe, 2.0), 1), round(float(np.sum(np.abs(probe) ** 2)) / 1e9, 5)
    (30.0, 1.0)
    """
    fwhm = validate.positive("fwhm_nm", fwhm_nm, "nm")
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    flux = validate.positive("flux_photons_per_s", flux_photons_per_s, "photons/s")
    f_row, f_col = frequencies(shape, pixel)
    n_rows, n_cols = f_row.shape[0], f_col.shape[1]
    y = (np.arange(n_rows) - n_rows // 2)[:, None] * pixel
    x = (np.arange(n_cols) - n_cols // 2)[None, :] * pixel
    intensity = np.exp(-4.0 * math.log(2.0) * (x**2 + y**2) / fwhm**2)
    amplitude = np.sqrt(intensity * (flux / float(intensity.sum())))
    return amplitude.astype(np.complex64)


def source_modes(probe, pixel_nm: float, source_fwhm_nm: float, n_per_axis: int = 3):
    """Partial spatial coherence: the probe as an incoherent mixture of laterally shifted coherent probes.

    A spatially incoherent source of finite size, demagnified by the optic
    to a Gaussian of FWHM ``source_fwhm_nm`` in the focal plane, sends from
    each of its points a coherent probe displaced by that point's image
    (isoplanatic optic); the probe's mutual intensity is their incoherent sum
    (Goodman, *Statistical Optics*, 2nd ed., §5.5; the mixed-state picture of
    ptychography, Thibault & Menzel, Nature 494, 68 (2013)). The source is
    sampled at ``n_per_axis²`` Gauss–Hermite nodes, whose weights make the
    sum exact for the source's moments up to order ``2·n_per_axis − 1``.
    The intensity of the mixture is ``|P|²`` convolved with the source image.

    Parameters
    ----------
    probe : ndarray, complex, (n, n)
        The coherent probe.
    pixel_nm : float
        Pixel size [nm].
    source_fwhm_nm : float
        FWHM of the source's image in the focal plane [nm], >= 0 (0: coherent).
    n_per_axis : int
        Quadrature nodes per axis, >= 1.

    Returns
    -------
    modes : ndarray, complex, (n_modes, n, n)
        Shifted probes (Fourier shift, sub-pixel), each with the flux of ``probe``.
    weights : ndarray, (n_modes,)
        Their weights, summing to 1.

    Examples
    --------
    >>> probe = gaussian_probe(20.0, shape=(32, 32), pixel_nm=2.0, flux_photons_per_s=1.0)
    >>> modes, weights = source_modes(probe, 2.0, 10.0)
    >>> modes.shape, round(float(weights.sum()), 12)
    ((9, 32, 32), 1.0)
    >>> mixed = np.tensordot(weights, np.abs(modes) ** 2, 1)
    >>> round(probe_fwhm_nm(mixed ** 0.5, 2.0) / math.hypot(20.0, 10.0), 2)   # Gaussians add in quadrature
    1.0
    """
    data = np.asarray(probe, dtype=np.complex128)
    if data.ndim != 2:
        raise ValidationError("probe", getattr(probe, "shape", probe), "a 2-D complex array (n_rows, n_cols)")
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    fwhm = validate.non_negative("source_fwhm_nm", source_fwhm_nm, "nm")
    if isinstance(n_per_axis, (bool, np.bool_)) or not isinstance(n_per_axis, (int, np.integer)) or n_per_axis < 1:
        raise ValidationError("n_per_axis", n_per_axis, "an integer >= 1")
    if fwhm == 0.0:
        return data[None], np.ones(1)
    nodes, node_weights = np.polynomial.hermite_e.hermegauss(int(n_per_axis))
    sigma_px = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0))) / pixel
    offsets = nodes * sigma_px
    weights_1d = node_weights / node_weights.sum()
    f_row = np.fft.fftfreq(data.shape[0])[:, None]
    f_col = np.fft.fftfreq(data.shape[1])[None, :]
    spectrum = np.fft.fft2(data)
    modes, weights = [], []
    for dy, wy in zip(offsets, weights_1d):
        for dx, wx in zip(offsets, weights_1d):
            modes.append(np.fft.ifft2(spectrum * np.exp(-2j * math.pi * (f_row * dy + f_col * dx))))
            weights.append(wy * wx)
    return np.stack(modes), np.asarray(weights)


def probe_fwhm_nm(probe, pixel_nm: float) -> float:
    """Intensity FWHM [nm] of a probe: mean of the row and column cuts through its brightest pixel.

    Each cut's half-maximum crossings either side of the peak are located by
    linear interpolation between pixels, so the width is resolved well below
    one pixel for a spot several pixels wide.

    Parameters
    ----------
    probe : array_like, complex or real, shape (n_rows, n_cols)
        Probe amplitude (its ``|P|²`` is used).
    pixel_nm : float
        Pixel size [nm].

    Returns
    -------
    float
        FWHM [nm].

    Examples
    --------
    >>> probe_fwhm_nm(np.pad(np.ones((3, 3)), 4), 1.0)
    3.0
    """
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    intensity = np.abs(np.asarray(probe)) ** 2
    if intensity.ndim != 2 or intensity.size == 0 or not np.all(np.isfinite(intensity)):
        raise ValidationError("probe", getattr(probe, "shape", probe), "a finite 2-D array (n_rows, n_cols)")
    row, col = np.unravel_index(int(np.argmax(intensity)), intensity.shape)
    widths = [_cut_width(intensity[row, :], col), _cut_width(intensity[:, col], row)]
    return float(np.mean(widths)) * pixel


def _cut_width(cut: np.ndarray, peak: int) -> float:
    """Width [pixels] between the half-maximum crossings either side of ``peak`` of a 1-D cut."""
    half = cut[peak] / 2.0
    if half <= 0.0:
        raise ValidationError("probe", "<all zeros>", "a probe with a positive peak")
    below = np.nonzero(cut < half)[0]
    left, right = below[below < peak], below[below > peak]
    if left.size == 0 or right.size == 0:
        raise ValidationError("probe", f"<spot wider than the {cut.size}-pixel grid>",
                              "a probe whose half-maximum lies inside the grid")
    i, j = left[-1], right[0]
    x_left = i + (half - cut[i]) / (cut[i + 1] - cut[i])
    x_right = j - 1 + (cut[j - 1] - half) / (cut[j - 1] - cut[j])
    return float(x_right - x_left)

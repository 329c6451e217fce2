"""The measured missing-wedge elongation of a point-like feature.

A tilt range of ±α leaves a wedge of 2·(90° − α) empty in Fourier space, and
the image of a point is longer along the beam (z) than across it (x) by
Radermacher's factor (:func:`metrics.missing_wedge_elongation`). This module
measures that ratio on a reconstruction.

The measure: Radermacher's factor is the ratio of resolutions along z and x,
each from the second moment of the sampled region of Fourier space,
``M_x = ∫ k_x² T(k) d²k`` and ``M_z = ∫ k_z² T(k) d²k``, so ``e = sqrt(M_x/M_z)``.
In real space ``−4π²·M_x`` is the curvature of the point image at its peak
along x, so ``sqrt(M_x/M_z)`` is the ratio of the peak's widths along z and x
in the Gaussian approximation. The spectrum of the x–z slice through the
point (with the point moved to the origin) is weighted by k_x² and k_z² and
summed over the disc |k| ≤ ``k_max`` cycles/voxel. The disc and the feature's
own (isotropic) spectrum leave the ratio of an ideal wedge unchanged; the cut
keeps out the backprojector's interpolation aliasing above ~0.35
cycles/voxel, which is there at ±90° too. Other measures of the same images
(FWHM through the peak, second moments in a window, moments of |PSF|²) depend
on the feature's size and the window and miss e(α) by up to 40 %.
"""

from __future__ import annotations

import numpy as np

from metrics._inputs import as_array
from sim import validate
from sim.errors import ValidationError

K_MAX_PER_VOXEL = 0.25


def point_elongation(image, centre=None, *, k_max_per_voxel: float = K_MAX_PER_VOXEL) -> float:
    """Ratio of the widths along z and x of a point-like feature's image [dimensionless].

    Parameters
    ----------
    image : ndarray or Volume
        A reconstruction: a 2-D x–z slice ``(n_z, n_x)`` or a 3-D volume
        ``(n_rows, n_z, n_x)`` (the x–z slice through the feature is used).
        The feature should be isolated: other features within the slice add
        their spectra.
    centre : tuple of int, optional
        The feature's voxel, ``(z, x)`` or ``(row, z, x)``; default the
        brightest voxel.
    k_max_per_voxel : float
        Radius of the spectral disc [cycles/voxel], in (0, 0.5]; 0.25 keeps
        out the backprojector's aliasing (see the module docstring).

    Returns
    -------
    float
        ``sqrt(M_x / M_z)``: 1 for an isotropic image; Radermacher's e(α)
        for a ±α tilt range (divide by the same ratio of a full-range
        reconstruction on the same grid to remove the grid's own anisotropy,
        1.000 for nanotomo's FBP).

    Examples
    --------
    >>> c = np.arange(33) - 16
    >>> z, x = np.meshgrid(c, c, indexing="ij")
    >>> blob = np.exp(-x**2 / (2 * 2.0**2) - z**2 / (2 * 3.0**2))   # σ_z = 1.5 σ_x
    >>> round(point_elongation(blob), 2)   # 1.5 but for the disc's trim of the long axis' spectrum
    1.49
    """
    data = as_array("image", image, ndims=(2, 3)).astype(np.float64)
    k_max = validate.in_range("k_max_per_voxel", k_max_per_voxel, 1e-6, 0.5, "cycles/voxel")
    if centre is None:
        centre = np.unravel_index(int(np.argmax(data)), data.shape)
    centre = tuple(int(c) for c in centre)
    if len(centre) != data.ndim or any(not 0 <= c < n for c, n in zip(centre, data.shape)):
        raise ValidationError("centre", centre, f"a voxel index inside the image's shape {data.shape}")
    if data.ndim == 3:
        data, centre = data[centre[0]], centre[1:]
    at_origin = np.roll(data, (-centre[0], -centre[1]), axis=(0, 1))
    spectrum = np.fft.fft2(at_origin).real
    k_z, k_x = np.meshgrid(np.fft.fftfreq(data.shape[0]), np.fft.fftfreq(data.shape[1]), indexing="ij")
    disc = np.hypot(k_x, k_z) <= k_max
    moment_x, moment_z = (k_x**2 * spectrum)[disc].sum(), (k_z**2 * spectrum)[disc].sum()
    if moment_x <= 0 or moment_z <= 0:
        raise ValidationError("image", "<no positive point image>", "an image with a bright point-like feature at centre")
    return float(np.sqrt(moment_x / moment_z))

"""Multislice propagation of a plane wave through a voxel potential (CPU).

The conventional Fourier multislice (Cowley & Moodie, Acta Cryst. 10, 609
(1957); Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed., §6.4,
eqs. 6.91–6.92): for each slice ``n`` of thickness ``Δz``, upstream first,

    ψ ← ψ · t_n,              t_n = exp(i σ V_n − a_n)
    ψ ← F⁻¹[ P · F[ψ] ],      P(k) = exp(−i π λ Δz k²)

with ``V_n`` the potential projected through the slice [V·nm], ``σ`` the
interaction constant (:func:`sim.electron_optics.interaction_constant`),
``a_n`` an optional amplitude-attenuation exponent and ``λ`` the relativistic
wavelength. The exit wave is the wave after the last slice's propagation
(the exit surface), as in abTEM.

Band limit (Kirkland §6.8): both the transmission functions and the
propagator are cut to ``|k| < ⅔ k_Nyquist`` so that the product ``ψ·t`` of two
band-limited functions does not alias into the kept band. The aperture is
abTEM's (``abtem.antialias.antialias_aperture``, defaults ``cutoff = ⅔`` and
``taper = 0.01/pixel``): 1 inside, a cosine taper ``0.02 k_Nyquist`` wide
ending at 0 on ``⅔ k_Nyquist``, 0 outside. With the same slicing, the exit
wave matches abTEM's ``PlaneWave.multislice`` of a ``PotentialArray`` to
single-precision rounding (``tests/sim/test_multislice.py``).

How it is computed: complex64 throughout. A slice costs four FFTs: two to
band-limit its transmission function, two to propagate. The two jobs are
independent until ``ψ·t_n``, so they run as two pipelines on two threads:
one makes the band-limited ``t_{n+1}`` (double-buffered) while the other
multiplies ``ψ`` by ``t_n`` and propagates it, meeting once per slice (each
pipeline's FFTs use half the cores). Coarse tasks keep the cores busy without
a fork and join around every FFT pass and kernel, which costs much on a small
or shared machine. Each 2-D FFT (``scipy.fft``, in place) is pruned to the
band: a band-limited spectrum has nonzero columns only for ``|k_col| < ⅔
k_Nyquist``, so the column pass (the strided, slower one) of the forward and of
the inverse transform runs only over those columns (about 0.8 of a full 2-D
FFT's time). The pointwise work is in numba kernels that release the GIL:
``exp(iσV − a)`` with a vectorised sin/cos, ``ψ·t``, and the Fourier-space
filter (separable Fresnel factor times aperture, FFT normalisation folded in,
only the aperture's disc read, zeros elsewhere). They are not ``prange``
loops: numba's OpenMP workers spin-wait for milliseconds after each parallel
region (libgomp's default), taking the cores from the FFT threads that run
next (measured at 512² on 2 cores: 25 ms per slice with ``prange`` kernels,
11 ms with the same kernels on plain threads).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import scipy.fft
from numba import njit

from sim import electron_optics, validate
from sim.errors import ValidationError
from sim.progress import track

ANTIALIAS_CUTOFF = 2.0 / 3.0
"""Band limit as a fraction of the Nyquist frequency (Kirkland §6.8; abTEM ``antialias.cutoff``)."""
ANTIALIAS_TAPER = 0.02
"""Width of the aperture's cosine edge, fraction of the Nyquist frequency (abTEM ``antialias.taper``: 0.01/sampling)."""

_HALF_PI = 0.5 * math.pi
# Minimax coefficients of sin and cos on [−π/4, π/4] in single precision (Cephes sinf.c / cosf.c, S. Moshier).
_SIN_1, _SIN_2, _SIN_3 = -1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4
_COS_2, _COS_3, _COS_4 = 4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5


def antialias_aperture(shape: tuple[int, int]) -> np.ndarray:
    """abTEM's anti-aliasing aperture on an image grid (unshifted FFT layout, float32).

    ``A(k) = 1`` for ``k < (⅔ − τ) k_N``, ``½(1 + cos(π (k − (⅔ − τ) k_N)/(τ k_N)))``
    up to ``⅔ k_N`` and 0 beyond, with ``τ = 0.02`` and the Nyquist frequency
    ``k_N = 1/(2·pixel)`` (square pixels, so the pixel size drops out).
    Formula and defaults from ``abtem.antialias.antialias_aperture``
    (abTEM 1.0; Madsen & Susi, Open Res. Europe 1, 24 (2021)).

    Parameters
    ----------
    shape : (int, int)
        Grid ``(n_rows, n_cols)``.

    Returns
    -------
    ndarray, float32, shape ``shape``

    Examples
    --------
    >>> a = antialias_aperture((8, 8))
    >>> a[0, :5].tolist()      # k = 0, ¼, ½, ¾, 1 × k_Nyquist along the columns
    [1.0, 1.0, 1.0, 0.0, 0.0]
    """
    k_rows, k_cols = electron_optics.spatial_frequencies(shape, 0.5)  # pixel 0.5 puts k in units of k_Nyquist
    k = np.hypot(k_rows, k_cols)
    start = ANTIALIAS_CUTOFF - ANTIALIAS_TAPER
    taper = 0.5 * (1.0 + np.cos(np.pi * (k - start) / ANTIALIAS_TAPER))
    aperture = np.where(k > start, taper, 1.0)
    aperture[k > ANTIALIAS_CUTOFF] = 0.0
    return aperture.astype(np.float32)


def fresnel_propagator(shape: tuple[int, int], pixel_nm: float, wavelength_nm: float, slice_nm: float) -> np.ndarray:
    """Band-limited Fresnel propagator over one slice, unshifted FFT layout, complex64.

    ``P(k) = exp(−i π λ Δz k²) · A(k)`` with ``A`` the anti-aliasing aperture
    (:func:`antialias_aperture`); the small-angle free-space propagator
    (Kirkland eq. 6.90), sign convention and band limit as abTEM.

    Parameters
    ----------
    shape : (int, int)
        Grid ``(n_rows, n_cols)``.
    pixel_nm : float
        Pixel size [nm] (square pixels).
    wavelength_nm : float
        Electron wavelength [nm] (:func:`sim.electron_optics.wavelength_nm`).
    slice_nm : float
        Propagation distance Δz [nm].

    Returns
    -------
    ndarray, complex64, shape ``shape``

    Examples
    --------
    >>> p = fresnel_propagator((64, 64), 0.1, 0.0025, 2.0)
    >>> complex(p[0, 0]), float(abs(p[0, 32]))      # k = 0 passes, Nyquist is cut
    ((1+0j), 0.0)
    """
    rows, cols = _fresnel_factors(shape, pixel_nm, wavelength_nm, slice_nm)
    return (rows * cols * antialias_aperture(shape)).astype(np.complex64)


def _fresnel_factors(shape, pixel_nm, wavelength_nm, slice_nm):
    """``exp(−iπλΔz k_row²)`` (column) and ``exp(−iπλΔz k_col²)`` (row vector): P is their product."""
    wavelength = validate.positive("wavelength_nm", wavelength_nm, "nm")
    thickness = validate.positive("slice_nm", slice_nm, "nm")
    k_rows, k_cols = electron_optics.spatial_frequencies(shape, pixel_nm)
    scale = -1j * np.pi * wavelength * thickness
    return np.exp(scale * k_rows**2), np.exp(scale * k_cols**2)


def multislice(
    projected_potential_v_nm,
    *,
    pixel_nm: float,
    slice_nm: float,
    voltage_kv: float,
    absorption=None,
    incident=None,
    progress: bool = False,
) -> np.ndarray:
    """Exit wave of a plane wave (or ``incident``) after multislice through the slices.

    Parameters
    ----------
    projected_potential_v_nm : ndarray, shape (n_slices, n_rows, n_cols)
        Electrostatic potential projected through each slice [V·nm], upstream
        slice first (e.g. :func:`sim.slabs.project_slabs` of a potential in V).
    pixel_nm : float
        Pixel size [nm] (square pixels).
    slice_nm : float
        Slice thickness Δz [nm], the propagation distance after each slice.
    voltage_kv : float
        Accelerating voltage [kV].
    absorption : ndarray, shape (n_slices, n_rows, n_cols), optional
        Amplitude-attenuation exponent ``a >= 0`` per slice [dimensionless]:
        the transmission function is ``exp(i σ V − a)``. Default none.
    incident : ndarray, shape (n_rows, n_cols), optional
        Complex incident wave at the entrance surface. Default a plane wave of
        ones.
    progress : bool
        Show a progress bar over the slices.

    Returns
    -------
    ndarray, complex64, shape (n_rows, n_cols)
        The exit wave (incident amplitude units).

    Examples
    --------
    >>> import numpy as np
    >>> exit_wave = multislice(np.zeros((3, 16, 16)), pixel_nm=0.2, slice_nm=1.0, voltage_kv=200.0)
    >>> bool(np.allclose(exit_wave, 1.0))              # vacuum leaves a plane wave alone
    True
    >>> v = np.full((1, 16, 16), 10.0)                 # uniform 10 V·nm: a phase of σ·10
    >>> exit_wave = multislice(v, pixel_nm=0.2, slice_nm=1.0, voltage_kv=200.0)
    >>> round(float(np.angle(exit_wave[0, 0])), 5)
    0.07288
    """
    potential = np.ascontiguousarray(
        validate.finite_array("projected_potential_v_nm", projected_potential_v_nm, 3, "(n_slices, n_rows, n_cols)")
    )
    n_slices, n_rows, n_cols = potential.shape
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    sigma = np.float32(electron_optics.interaction_constant(voltage_kv))
    fresnel_rows, fresnel_cols = _fresnel_factors(
        (n_rows, n_cols), pixel, electron_optics.wavelength_nm(voltage_kv), slice_nm
    )
    attenuation = _absorption(absorption, potential.shape)
    wave = _incident(incident, (n_rows, n_cols))
    transmissions = np.empty((2, n_rows, n_cols), dtype=np.complex64)  # double buffer: t_n, t_{n+1}
    aperture = antialias_aperture((n_rows, n_cols)) / np.float32(n_rows * n_cols)  # FFT normalisation folded in
    fresnel = (fresnel_rows.ravel().astype(np.complex64), fresnel_cols.ravel().astype(np.complex64))
    spectrum = (_band_columns(aperture), *_disc_extent(aperture))
    absorbing = attenuation is not None
    attenuation = potential if attenuation is None else attenuation
    threads = max(1, (os.cpu_count() or 1) // 2)  # per pipeline
    blocks = np.linspace(0, n_rows, min(threads, n_rows) + 1).astype(int)

    with ThreadPoolExecutor(1) as pipeline, ThreadPoolExecutor(max(1, 2 * (len(blocks) - 2))) as pool:
        rows = partial(_run_rows, pool, blocks)

        def band_limited_transmission(n):
            t = transmissions[n % 2]
            rows(_transmission_rows, t, potential[n], attenuation[n], absorbing, sigma)
            _filter_spectrum(t, False, fresnel, aperture, spectrum, rows, threads)

        pending = [pipeline.submit(band_limited_transmission, n) for n in range(min(2, n_slices))]
        for n in track(range(n_slices), description="multislice", total=n_slices, enabled=progress):
            pending[n].result()
            rows(_multiply_rows, wave, transmissions[n % 2])
            if n + 2 < n_slices:
                pending.append(pipeline.submit(band_limited_transmission, n + 2))
            _filter_spectrum(wave, True, fresnel, aperture, spectrum, rows, threads)
    return wave


def _run_rows(pool, blocks, kernel, *args):
    """Run ``kernel(*args, r0, r1)`` over the row blocks, the first in this thread, the rest on ``pool``."""
    futures = [pool.submit(kernel, *args, blocks[b], blocks[b + 1]) for b in range(1, len(blocks) - 1)]
    kernel(*args, blocks[0], blocks[1])
    for future in futures:
        future.result()


def _filter_spectrum(image, propagate, fresnel, aperture, spectrum, rows, workers):
    """``image ← F⁻¹[P·A·F[image]]`` if ``propagate`` else ``F⁻¹[A·F[image]]``, in place (pruned FFTs)."""
    band, left, right = spectrum
    _fft_band(image, band, forward=True, workers=workers)
    rows(_filter_rows, image, propagate, *fresnel, aperture, left, right)
    _fft_band(image, band, forward=False, workers=workers)


def _absorption(absorption, shape):
    if absorption is None:
        return None
    array = validate.finite_array("absorption", absorption, 3, "(n_slices, n_rows, n_cols)")
    if array.shape != shape:
        raise ValidationError("absorption.shape", array.shape, f"{shape}, the shape of projected_potential_v_nm")
    if np.any(array < 0):
        minimum = float(array.min())
        raise ValidationError("absorption", f"<minimum {minimum}>", "exponents >= 0 (attenuation, not gain)")
    return np.ascontiguousarray(array)


def _incident(incident, shape):
    if incident is None:
        return np.ones(shape, np.complex64)
    wave = np.asarray(incident)
    if wave.shape != shape:
        raise ValidationError("incident.shape", wave.shape, f"{shape}, the (n_rows, n_cols) of the potential")
    if wave.dtype == bool or not np.issubdtype(wave.dtype, np.number):
        raise ValidationError("incident.dtype", str(wave.dtype), "a numeric (complex) type")
    if not np.all(np.isfinite(wave)):
        raise ValidationError("incident", "<NaN/inf values>", "finite values only")
    return wave.astype(np.complex64)


def _band_columns(band_limited):
    """``(left, right)``: columns ``[0, left)`` and ``[n − right, n)`` of the unshifted grid hold the band."""
    nonzero = band_limited.any(axis=0)
    half = (band_limited.shape[1] + 1) // 2
    return int(np.count_nonzero(nonzero[:half])), int(np.count_nonzero(nonzero[half:]))


def _disc_extent(aperture):
    """Per row, ``(left, right)``: columns ``[0, left)`` and ``[n − right, n)`` hold the row's nonzero aperture."""
    half = (aperture.shape[1] + 1) // 2
    nonzero = aperture != 0
    return nonzero[:, :half].sum(axis=1), nonzero[:, half:].sum(axis=1)


def _fft_band(image, band, *, forward, workers):
    """Unnormalised 2-D FFT (or inverse) of ``image`` in place, column pass only over the band columns.

    Forward: the row pass over everything, then the column pass over the band
    columns (the others are left half-transformed, for the filter to zero).
    Inverse: the column pass over the band columns (the others must be zero),
    then the row pass.
    """
    left, right = band
    n_cols = image.shape[1]
    blocks = [block for block in (image[:, :left], image[:, n_cols - right :]) if block.shape[1] > 0]
    transform = scipy.fft.fft if forward else scipy.fft.ifft
    norm = "backward" if forward else "forward"
    if forward:
        transform(image, axis=1, norm=norm, overwrite_x=True, workers=workers)
    for block in blocks:
        transform(block, axis=0, norm=norm, overwrite_x=True, workers=workers)
    if not forward:
        transform(image, axis=1, norm=norm, overwrite_x=True, workers=workers)


@njit(inline="always", fastmath=True)
def _exp_i(phase):
    """``(cos φ, sin φ)`` of a float32 phase to ~1e-7 at any ``|φ|``, branch-free so that loops vectorise.

    The reduction to ``r ∈ [−π/4, π/4]`` is done in double precision (exact
    for float32 input), then single-precision minimax polynomials (Cephes).
    """
    p = np.float64(phase)
    quadrant = np.floor(p * (1.0 / _HALF_PI) + 0.5)
    r = np.float32(p - quadrant * _HALF_PI)
    r2 = r * r
    sin_r = r + r * r2 * (np.float32(_SIN_1) + r2 * (np.float32(_SIN_2) + r2 * np.float32(_SIN_3)))
    cos_r = np.float32(1.0) - np.float32(0.5) * r2 + r2 * r2 * (
        np.float32(_COS_2) + r2 * (np.float32(_COS_3) + r2 * np.float32(_COS_4))
    )
    q = np.int64(quadrant) & 3
    odd = (q & 1) == 1
    cos_phi = sin_r if odd else cos_r
    sin_phi = cos_r if odd else sin_r
    return (-cos_phi if q == 1 or q == 2 else cos_phi), (-sin_phi if q >= 2 else sin_phi)


@njit(nogil=True, cache=True, fastmath=True)
def _transmission_rows(out, potential, attenuation, absorbing, sigma, r0, r1):
    """Rows ``[r0, r1)``: ``out = exp(iσV − a)``; sin/cos of a row go to row buffers (the fused loop won't vectorise)."""
    n_cols = potential.shape[1]
    re = np.empty(n_cols, np.float32)
    im = np.empty(n_cols, np.float32)
    for r in range(r0, r1):
        for c in range(n_cols):
            re[c], im[c] = _exp_i(sigma * potential[r, c])
        if absorbing:
            for c in range(n_cols):
                amplitude = np.float32(math.exp(-attenuation[r, c]))
                re[c] *= amplitude
                im[c] *= amplitude
        line = out[r]
        for c in range(n_cols):
            line[c] = complex(re[c], im[c])


@njit(nogil=True, cache=True, fastmath=True)
def _multiply_rows(wave, transmission, r0, r1):
    """Rows ``[r0, r1)``: ``ψ ← ψ·t``."""
    for r in range(r0, r1):
        line = wave[r]
        factor = transmission[r]
        for c in range(line.size):
            line[c] *= factor[c]


@njit(nogil=True, cache=True, fastmath=True)
def _filter_rows(spectrum, propagate, fresnel_rows, fresnel_cols, aperture, left, right, r0, r1):
    """Rows ``[r0, r1)`` of a spectrum: ``*= P·A`` if ``propagate`` else ``*= A``, zeros outside the disc.

    ``P = fresnel_rows ⊗ fresnel_cols`` (separable), ``A`` the scaled aperture;
    only the columns inside the aperture's disc are read.
    """
    n_cols = spectrum.shape[1]
    for r in range(r0, r1):
        lo = left[r]
        hi = n_cols - right[r]
        line = spectrum[r]
        weights = aperture[r]
        if propagate:
            row_factor = fresnel_rows[r]
            for c in range(lo):
                line[c] *= row_factor * fresnel_cols[c] * weights[c]
            for c in range(hi, n_cols):
                line[c] *= row_factor * fresnel_cols[c] * weights[c]
        else:
            for c in range(lo):
                line[c] *= weights[c]
            for c in range(hi, n_cols):
                line[c] *= weights[c]
        line[lo:hi] = 0.0

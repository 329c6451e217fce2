"""Coarse alignment by cross-correlating neighbouring views, with cosine stretching.

Method (Guckenberger, Ultramicroscopy 9, 167 (1982); IMOD ``tiltxcorr``,
Mastronarde & Held, J. Struct. Biol. 197, 102 (2017)): going outward from the
view nearest 0°, each view is correlated with its neighbour towards 0°
(``reference="neighbour"``) or with the 0° view itself (``"zero"``). Before the
correlation the higher-tilt view is stretched across the tilt axis (along the
columns, about the detector centre) by ``cos θ_ref / cos θ``, so that a
feature at ``x`` in the sample sits at ``x·cos θ_ref`` in both images (the
convention of :mod:`sim.geometry`). Both images get their mean removed and a
cosine edge taper (a Tukey window) so that the image borders do not
correlate, and a Gaussian band-pass. The correlation peak is found on the
FFT grid and refined to sub-pixel precision with the upsampled (matrix-
multiply) DFT of Guizar-Sicairos, Thurman & Fienup, Opt. Lett. 33, 156 (2008).
Every pair is worked on at once (batched ``scipy.fft``).

Shifts are the image translations ``(row, col)`` [px] of :mod:`sim.geometry`
(positive moves the image towards higher indices), accumulated from the 0°
view, whose shift is (0, 0) by definition: a common translation of all views
and the volume translations ``x·cos θ + z·sin θ`` are not observable, so the
0° view fixes them. A constant column offset of the tilt axis shows up as the
column shift ``c·(1 − cos θ)`` (a constant ``c`` plus a volume translation).

Known failure mode: the lattice trap
------------------------------------
At atomic resolution the views of a crystal are periodic. The correlation of
two such views has a peak at every lattice vector, all of nearly the same
height once a high-pass has removed the particle's envelope, and the taper
favours the one nearest zero shift. When the drift between neighbouring views
approaches a lattice spacing ``a``, the peak picked is off by a lattice vector
``n·a`` (``n ≠ 0``), and the error is passed on to every view further out
along the chain. Remedy: correlate only what is not periodic, i.e. low-pass
below the lattice frequency (``lowpass`` < ``2·pixel/a`` of Nyquist) so only
the particle envelope is matched, and without the high-pass; then refine with
projection matching (:func:`recon.align.matching.projection_matching`), which
starts inside the right capture range. ``tests/recon/test_lattice_trap.py``
shows both: on a 48 px particle of 4 px lattice spacing with ±a/2 drift, the
default band-pass puts 17 of 41 views off by a lattice vector; low-pass 0.1,
no high-pass, leaves every view within 0.76 px, and matching then 0.24 px RMS.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from sim import validate
from sim.errors import ValidationError
from sim.tiltseries import TiltSeries

REFERENCES = ("neighbour", "zero")


def as_views(series_or_data) -> np.ndarray:
    """The ``(n_angles, n_rows, n_cols)`` views of a series or an array, as float64."""
    data = series_or_data.data if isinstance(series_or_data, TiltSeries) else series_or_data
    return validate.finite_array("data", data, 3, "(n_angles, n_rows, n_cols)", dtype=np.float64)


def views_and_angles(series_or_data, angles_deg) -> tuple[np.ndarray, np.ndarray]:
    """The views (float64) and their tilts [deg] from a series, or from an array and ``angles_deg``."""
    data = as_views(series_or_data)
    if angles_deg is None:
        if not isinstance(series_or_data, TiltSeries):
            raise ValidationError("angles_deg", None, "tilt angles [deg], one per view (required with an array)")
        angles_deg = series_or_data.angles_deg
    angles = validate.angles("angles_deg", angles_deg)
    if angles.size != data.shape[0]:
        raise ValidationError("angles_deg", f"<{angles.size} angles>", f"{data.shape[0]} angles, one per view")
    return data, angles


def taper(shape: tuple[int, int], fraction: float = 0.1) -> np.ndarray:
    """Separable cosine edge taper (Tukey window), 1 inside, falling to 0 over ``fraction`` of each edge.

    Examples
    --------
    >>> w = taper((8, 10), 0.2)
    >>> float(w[4, 5]), float(w[0, 0])
    (1.0, 0.0)
    """
    fraction = validate.in_range("taper_fraction", fraction, 0.0, 0.5)

    def window(n):
        edge = max(int(round(fraction * n)), 0)
        w = np.ones(n)
        if edge > 0:
            ramp = 0.5 * (1 - np.cos(np.pi * np.arange(edge) / edge))
            w[:edge] = ramp
            w[n - edge:] = ramp[::-1]
        return w

    return np.outer(window(shape[0]), window(shape[1]))


def bandpass(shape: tuple[int, int], lowpass: float | None, highpass: float | None) -> np.ndarray:
    """Gaussian band-pass on the ``rfft2`` grid; cut-offs as fractions of Nyquist.

    ``exp(−f²/(2·lowpass²))·(1 − exp(−f²/(2·highpass²)))`` with ``f`` the
    radial frequency over the Nyquist frequency (0.5 cycles/px); ``None``
    leaves that side open. A cut-off ``f_c`` [1/nm] is ``2·pixel_nm·f_c`` of
    Nyquist.

    Examples
    --------
    >>> h = bandpass((8, 8), 0.5, None)
    >>> float(h[0, 0]), h.shape
    (1.0, (8, 5))
    """
    f_rows = scipy.fft.fftfreq(shape[0])[:, None] / 0.5
    f_cols = scipy.fft.rfftfreq(shape[1])[None, :] / 0.5
    f2 = f_rows**2 + f_cols**2
    response = np.ones_like(f2)
    if lowpass is not None:
        response *= np.exp(-f2 / (2 * validate.positive("lowpass", lowpass, "of Nyquist") ** 2))
    if highpass is not None:
        response *= -np.expm1(-f2 / (2 * validate.positive("highpass", highpass, "of Nyquist") ** 2))
    return response


def stretch_columns(images: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Stretch each image along the columns about the centre by ``factors[i]`` (linear interpolation, 0 outside).

    A feature at column offset ``d`` from the centre moves to ``d·factor``.

    Examples
    --------
    >>> im = np.zeros((1, 1, 9)); im[0, 0, 6] = 1.0
    >>> stretch_columns(im, np.array([2.0]))[0, 0].round(3).tolist()[6:9]
    [0.0, 0.5, 1.0]
    """
    n, _, n_cols = images.shape
    centre = (n_cols - 1) / 2
    source = centre + (np.arange(n_cols)[None, :] - centre) / np.asarray(factors, float)[:, None]
    left = np.floor(source).astype(np.int64)
    frac = source - left
    out = np.zeros_like(images)
    for offset, weight in ((0, 1 - frac), (1, frac)):
        index = left + offset
        inside = (index >= 0) & (index < n_cols)
        columns = np.broadcast_to(np.clip(index, 0, n_cols - 1)[:, None, :], images.shape)
        out += np.take_along_axis(images, columns, axis=2) * (weight * inside)[:, None, :]
    return out


def register_pairs(
    moving: np.ndarray,
    fixed: np.ndarray,
    *,
    filter_response: np.ndarray | None = None,
    max_shift_px: float | None = None,
    upsample: int = 20,
) -> np.ndarray:
    """Translation ``(row, col)`` [px] that best maps each ``fixed[i]`` onto ``moving[i]``.

    ``moving[i] ≈ fixed[i]`` translated by the result (positive towards higher
    indices), from the peak of the circular cross-correlation (computed with
    ``rfft2``), optionally limited to shifts of length ≤ ``max_shift_px``,
    refined on a grid of ``1/upsample`` px with the upsampled DFT of
    Guizar-Sicairos et al., Opt. Lett. 33, 156 (2008). Inputs should already
    be tapered (and zero-mean).

    Examples
    --------
    >>> y, x = np.mgrid[:32, :32]
    >>> blob = lambda r, c: np.exp(-((y - r) ** 2 + (x - c) ** 2) / 8.0)
    >>> register_pairs(blob(17.3, 14.6)[None], blob(16.0, 16.0)[None]).round(2).tolist()
    [[1.3, -1.4]]
    """
    upsample = int(upsample)
    if upsample < 1:
        raise ValidationError("upsample", upsample, "an integer >= 1")
    n, n_rows, n_cols = moving.shape
    product = scipy.fft.rfft2(moving, workers=-1) * np.conj(scipy.fft.rfft2(fixed, workers=-1))
    if filter_response is not None:
        product *= filter_response**2
    correlation = scipy.fft.irfft2(product, s=(n_rows, n_cols), workers=-1)
    lag_rows = scipy.fft.fftfreq(n_rows, 1.0 / n_rows)
    lag_cols = scipy.fft.fftfreq(n_cols, 1.0 / n_cols)
    if max_shift_px is not None:
        limit = validate.positive("max_shift_px", max_shift_px, "px")
        outside = lag_rows[:, None] ** 2 + lag_cols[None, :] ** 2 > limit**2
        correlation[:, outside] = -np.inf
    peak = np.argmax(correlation.reshape(n, -1), axis=1)
    coarse = np.stack([lag_rows[peak // n_cols], lag_cols[peak % n_cols]], axis=1)
    if upsample == 1:
        return coarse
    # Upsampled DFT of the cross-power spectrum on a 1.5-px box around the coarse peak.
    spectrum = scipy.fft.fft2(correlation, workers=-1)
    size = int(np.ceil(1.5 * upsample))
    offsets = (np.arange(size) - size // 2) / upsample
    k_rows = scipy.fft.fftfreq(n_rows)
    k_cols = scipy.fft.fftfreq(n_cols)
    rows = coarse[:, 0:1] + offsets[None, :]
    cols = coarse[:, 1:2] + offsets[None, :]
    kernel_rows = np.exp(2j * np.pi * rows[:, :, None] * k_rows[None, None, :])
    kernel_cols = np.exp(2j * np.pi * k_cols[None, :, None] * cols[:, None, :])
    local = np.real(kernel_rows @ spectrum @ kernel_cols)
    best = np.argmax(local.reshape(n, -1), axis=1)
    return np.stack([rows[np.arange(n), best // size], cols[np.arange(n), best % size]], axis=1)


def reference_order(angles_deg: np.ndarray, reference: str) -> tuple[int, np.ndarray, np.ndarray]:
    """The 0° view, each view's reference view (itself for the 0° view), and the order to accumulate in.

    Views are sorted by tilt; the reference of a view is its neighbour towards
    the 0° view (``"neighbour"``) or the 0° view itself (``"zero"``).

    Examples
    --------
    >>> zero, ref, order = reference_order(np.array([0.0, -20.0, 20.0, -10.0, 10.0]), "neighbour")
    >>> zero, ref.tolist(), order.tolist()
    (0, [0, 3, 4, 0, 0], [0, 3, 4, 1, 2])
    """
    if reference not in REFERENCES:
        raise ValidationError("reference", reference, f"one of {REFERENCES}")
    zero = int(np.argmin(np.abs(angles_deg)))
    by_tilt = np.argsort(angles_deg, kind="stable")
    position = int(np.nonzero(by_tilt == zero)[0][0])
    ref = np.full(angles_deg.size, zero)
    if reference == "neighbour":
        ref[by_tilt[position + 1:]] = by_tilt[position:-1]
        ref[by_tilt[:position]] = by_tilt[1:position + 1]
    distance = np.abs(np.arange(angles_deg.size) - position)
    order = by_tilt[np.argsort(distance, kind="stable")]
    return zero, ref, order


def crosscorr_shifts(
    series_or_data,
    angles_deg=None,
    *,
    reference: str = "neighbour",
    stretch: bool = True,
    max_shift_px: float | None = None,
    lowpass: float | None = 0.5,
    highpass: float | None = 0.03,
    taper_fraction: float = 0.1,
    upsample: int = 20,
) -> np.ndarray:
    """Per-view image shifts ``(row, col)`` [px] from cross-correlation, 0° view fixed at (0, 0).

    Parameters
    ----------
    series_or_data : TiltSeries or ndarray, shape (n_angles, n_rows, n_cols)
        The views (any values; line integrals or counts).
    angles_deg : array, shape (n_angles,), optional
        Tilts [deg] in (−90°, 90°); taken from the series if omitted.
    reference : str
        ``"neighbour"`` (chain outward from 0°; IMOD's default) or ``"zero"``
        (every view against the 0° view).
    stretch : bool
        Stretch the higher-tilt view of a pair across the axis by
        ``cos θ_ref / cos θ`` (Guckenberger 1982).
    max_shift_px : float, optional
        Only look for the peak within this distance [px] of zero relative
        shift (between the stretched pair).
    lowpass, highpass : float or None
        Gaussian band-pass σ's as fractions of Nyquist (see :func:`bandpass`;
        IMOD's ``tiltxcorr`` filter in the same units). Defaults 0.5 / 0.03:
        suppress pixel noise and the slow background; ``None`` opens a side.
    taper_fraction : float
        Width of the cosine edge taper as a fraction of each edge (0–0.5).
    upsample : int
        Sub-pixel refinement factor (precision ``1/upsample`` px; 1 = whole px).

    Returns
    -------
    ndarray, shape (n_angles, 2)
        Estimated shifts ``(row, col)`` [px], in the convention of
        ``TiltSeries.shifts_px``: pass them as ``shifts_px=`` to a
        reconstruction method.

    Examples
    --------
    >>> import sim
    >>> vol = np.zeros((24, 24, 24), np.float32); vol[8:14, 11:13, 10:17] = 1; vol[14:18, 11:13, 5:9] = 2
    >>> angles = np.arange(-40.0, 41.0, 10.0)
    >>> truth = np.random.default_rng(0).uniform(-2, 2, (9, 2)); truth[4] = 0
    >>> views = sim.project(vol, angles, voxel_nm=1.0, shifts_px=truth)
    >>> bool(np.abs(crosscorr_shifts(views, angles) - truth).max() < 0.2)   # a thin slab at z = 0
    True
    """
    data, angles = views_and_angles(series_or_data, angles_deg)
    if stretch and np.any(np.abs(angles) >= 90):
        raise ValidationError("angles_deg", angles.tolist(), "tilts in (-90, 90) deg for cosine stretching")
    n, n_rows, n_cols = data.shape
    zero, ref, order = reference_order(angles, reference)
    cos = np.cos(np.deg2rad(angles))
    factors = cos[ref] / cos if stretch else np.ones(n)
    window = taper((n_rows, n_cols), taper_fraction)

    def prepare(images):
        images = images - images.mean(axis=(1, 2), keepdims=True)
        images *= window
        return images - images.mean(axis=(1, 2), keepdims=True) * window

    moving = prepare(stretch_columns(data, factors))
    fixed = prepare(data[ref])
    relative = register_pairs(moving, fixed, filter_response=bandpass((n_rows, n_cols), lowpass, highpass),
                              max_shift_px=max_shift_px, upsample=upsample)
    shifts = np.zeros((n, 2))
    for view in order:
        if view == zero:
            continue
        shifts[view, 0] = shifts[ref[view], 0] + relative[view, 0]
        shifts[view, 1] = (shifts[ref[view], 1] + relative[view, 1]) / factors[view]
    return shifts

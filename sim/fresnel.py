"""Free-space propagation of X-ray waves: the band-limited angular spectrum method.

A wave ``ψ(x, y)`` on a plane is carried a distance ``z`` along the beam by
the exact transfer function of the Helmholtz equation (Goodman,
*Introduction to Fourier Optics*, 3rd ed., §3.10),

    ψ_z = F⁻¹[ H · F[ψ] ],    H(f) = exp(i 2π z (√(1/λ² − f²) − 1/λ)),

with ``f = (f_row, f_col)`` the spatial frequency [1/nm]. The carrier
``exp(i k z)`` is factored out (``− 1/λ``): the wave is the envelope relative
to a vacuum plane wave, so a plane wave of ones stays ones, and in the
paraxial limit ``H → exp(−iπλz f²)`` (the sign of
:func:`sim.multislice.fresnel_propagator`; the wave is ``exp(i(kz − ωt))``,
:mod:`sim.xray_wave`). The phase is evaluated as
``−2πzλf² / (1 + √(1 − λ²f²))``, free of the cancellation of the difference
of square roots. Evanescent waves (``f > 1/λ``) are cut. Negative ``z``
propagates backwards: ``H(−z) = H(z)*``, so ``−z`` undoes ``+z`` (defocus
either side of focus).

Sampling (Matsushima & Shimobaba, Opt. Express 17, 19662 (2009)):

- *Padding.* The FFT makes the field periodic. With ``pad > 1`` the field is
  embedded in a window ``pad`` times larger per axis (rounded up to a fast
  FFT size), filled by repeating the edge values (``pad_mode="edge"``, the
  beam continuing past the field of view) or with zeros (``"zero"``, an
  aperture-limited field), and cropped back afterwards. ``pad=1`` with
  ``band_limit=False`` propagates the field as periodic (exact for periodic
  objects such as gratings, and unitary: energy is conserved to float
  precision).
- *Band limit.* On a window of width ``W`` the transfer function's chirp is
  sampled without aliasing only up to ``|f| ≤ f_limit = 1/(λ√((2z/W)² + 1))``
  (their eq. 13, with frequency step ``1/W``); with ``band_limit=True``
  (default) ``H = 0`` beyond ``f_limit`` along each axis. Up to the critical
  distance :func:`critical_distance_nm` ``= W·Δx/λ·√(1 − (λ/2Δx)²)`` nothing
  is cut; beyond it the highest frequencies are removed — they are the light
  that would leave the padded window and wrap around, so this is the right
  answer for the grid, and it is done without a warning.
- *Outside the valid range* (a :class:`~sim.errors.ValidationError`): with
  ``band_limit=False`` and ``pad > 1`` beyond the critical distance (the
  chirp is aliased: use the band limit, or ``pad=1`` for a periodic field);
  and, with the band limit, distances at which ``f_limit`` falls below two
  frequency steps ``2/W`` along both axes (the far field: nothing but the
  mean is left — use a larger window or a Fraunhofer propagator). Along one
  axis only (a window a few pixels high) it is allowed: a field uniform along
  that axis is still right.

How it is computed: complex64, ``scipy.fft.fft2``/``ifft2`` over the last two
axes with ``workers`` threads, batched over any leading axes (all views of a
series at once); ``H`` is computed in float64 and stored as complex64.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from sim import validate
from sim.errors import ValidationError
from sim.xray_wave import wavelength_nm

PAD_MODES = ("edge", "zero")
"""How the padded window is filled: repeat the edge values, or zeros."""


def fresnel_number(feature_nm: float, distance_nm: float, energy_kev: float) -> float:
    """Fresnel number ``N_F = a²/(λ|z|)`` [dimensionless] of a feature of size ``a`` at distance ``z``.

    ``N_F ≫ 1``: contact (near-field, geometric) regime; ``N_F ~ 1``: Fresnel
    (holographic) regime; ``N_F ≪ 1``: Fraunhofer (far field)
    (Paganin, *Coherent X-Ray Optics*, §1.4).

    Parameters
    ----------
    feature_nm : float
        Feature size ``a`` [nm], > 0.
    distance_nm : float
        Propagation distance ``z`` [nm], nonzero (sign ignored).
    energy_kev : float
        Photon energy [keV].

    Examples
    --------
    >>> round(fresnel_number(30.0, 1e4, 8.0), 4)     # 30 nm feature, 10 µm defocus at 8 keV
    0.5807
    """
    feature = validate.positive("feature_nm", feature_nm, "nm")
    distance = abs(_distance(distance_nm))
    if distance == 0:
        raise ValidationError("distance_nm", distance_nm, "a finite nonzero distance [nm]")
    return feature**2 / (wavelength_nm(energy_kev) * distance)


def critical_distance_nm(window_nm: float, pixel_nm: float, energy_kev: float) -> float:
    """Distance up to which the angular spectrum on a window ``W`` keeps every frequency [nm].

    ``z_c = W·√(1/(λ²f_N²) − 1)/2`` with the Nyquist frequency ``f_N = 1/(2Δx)``:
    the distance at which the band limit ``f_limit`` (Matsushima & Shimobaba
    2009, eq. 13) reaches ``f_N``; paraxially ``z_c ≈ W·Δx/λ``.

    Parameters
    ----------
    window_nm : float
        Width of the (padded) FFT window ``W`` [nm].
    pixel_nm : float
        Pixel size Δx [nm].
    energy_kev : float
        Photon energy [keV].

    Examples
    --------
    >>> round(critical_distance_nm(2560.0, 10.0, 8.0) / 1e3, 1)     # µm: 256 px of 10 nm
    165.2
    """
    window = validate.positive("window_nm", window_nm, "nm")
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    ratio = 2.0 * pixel / wavelength_nm(energy_kev)  # 1/(λ f_N)
    return math.inf if ratio <= 1.0 else 0.5 * window * math.sqrt(ratio**2 - 1.0)


def transfer_function(
    shape: tuple[int, int],
    distance_nm: float,
    *,
    energy_kev: float,
    pixel_nm: float,
    band_limit: bool = True,
) -> np.ndarray:
    """Angular-spectrum transfer function ``H(f)`` on an FFT grid (unshifted layout), complex64.

    ``H = exp(−i 2π z λ f²/(1 + √(1 − λ²f²)))`` for ``f < 1/λ``, 0 for
    evanescent waves, and (``band_limit``) 0 where ``|f_row|`` or ``|f_col|``
    exceeds ``1/(λ√((2z/W)² + 1))`` with ``W`` the grid's width along that
    axis (module docstring). No validity check: see :func:`propagate`.

    Parameters
    ----------
    shape : (int, int)
        Grid ``(n_rows, n_cols)`` (the padded window).
    distance_nm : float
        Propagation distance ``z`` [nm], either sign.
    energy_kev : float
        Photon energy [keV].
    pixel_nm : float
        Pixel size [nm] (square pixels).
    band_limit : bool
        Apply the band limit of Matsushima & Shimobaba (2009).

    Returns
    -------
    ndarray, complex64, shape ``shape``

    Examples
    --------
    >>> h = transfer_function((64, 64), 1e5, energy_kev=8.0, pixel_nm=10.0)
    >>> complex(h[0, 0]), round(float(np.angle(h[0, 1])), 5)     # −πλz f² at f = 1/640 nm⁻¹
    ((1+0j), -0.11887)
    """
    n_rows, n_cols = (int(n) for n in shape)
    z = _distance(distance_nm)
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    wavelength = wavelength_nm(energy_kev)
    f_rows = np.fft.fftfreq(n_rows, pixel)[:, None]
    f_cols = np.fft.fftfreq(n_cols, pixel)[None, :]
    lf2 = wavelength**2 * (f_rows**2 + f_cols**2)
    propagating = lf2 < 1.0
    root = np.sqrt(np.where(propagating, 1.0 - lf2, 0.0))
    phase = -2.0 * np.pi * z * lf2 / (wavelength * (1.0 + root))
    h = np.where(propagating, np.exp(1j * phase), 0.0)
    if band_limit:
        h = h * (np.abs(f_rows) <= _band_limit(z, n_rows * pixel, wavelength))
        h = h * (np.abs(f_cols) <= _band_limit(z, n_cols * pixel, wavelength))
    return h.astype(np.complex64)


def propagate(
    wave,
    distance_nm: float,
    *,
    energy_kev: float,
    pixel_nm: float,
    pad: float = 2.0,
    pad_mode: str = "edge",
    band_limit: bool = True,
    workers: int = -1,
) -> np.ndarray:
    """Propagate a complex wave (or a stack of them) a distance ``z`` through free space.

    Parameters
    ----------
    wave : array_like, complex, shape (..., n_rows, n_cols)
        The wave(s) on the starting plane (e.g. a view's exit wave, or all
        views ``(n_angles, n_rows, n_cols)`` at once).
    distance_nm : float
        Propagation distance ``z`` [nm], along the beam; negative goes
        upstream (``propagate(propagate(ψ, z), −z) = ψ``).
    energy_kev : float
        Photon energy [keV].
    pixel_nm : float
        Pixel size [nm] (square pixels).
    pad : float or bool
        Window size / field size per axis, >= 1 (``True`` = 2, ``False`` = 1:
        periodic, no padding).
    pad_mode : {"edge", "zero"}
        Fill of the padded window (module docstring).
    band_limit : bool
        Band-limited angular spectrum (Matsushima & Shimobaba 2009).
    workers : int
        Threads for ``scipy.fft`` (−1: all cores).

    Returns
    -------
    ndarray, complex64, shape of ``wave``

    Raises
    ------
    ValidationError
        Bad input, or a distance outside the valid range for the grid
        (module docstring).

    Examples
    --------
    >>> plane = np.ones((32, 32), np.complex64)
    >>> bool(np.allclose(propagate(plane, 1e5, energy_kev=8.0, pixel_nm=10.0), 1.0))  # a plane wave stays
    True
    >>> rng = np.random.default_rng(0)
    >>> psi = np.exp(1j * rng.normal(size=(2, 32, 32))).astype(np.complex64)
    >>> periodic = dict(energy_kev=8.0, pixel_nm=10.0, pad=1, band_limit=False)
    >>> back = propagate(propagate(psi, 5e4, **periodic), -5e4, **periodic)
    >>> bool(np.abs(back - psi).max() < 1e-5)
    True
    """
    field = _complex_wave(wave)
    z = _distance(distance_nm)
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    window = window_shape(field.shape[-2:], pad)
    _check_pad_mode(pad_mode)
    if z == 0:
        return field.copy()
    check_sampling(
        window, z, energy_kev=energy_kev, pixel_nm=pixel, periodic=window == field.shape[-2:], band_limit=band_limit
    )
    h = transfer_function(window, z, energy_kev=energy_kev, pixel_nm=pixel, band_limit=band_limit)
    padded = window != field.shape[-2:]
    source = pad_field(field, window, pad_mode) if padded else field
    spectrum = scipy.fft.fft2(source, workers=workers, overwrite_x=padded)  # never overwrites the caller's wave
    spectrum *= h
    return crop_field(scipy.fft.ifft2(spectrum, workers=workers, overwrite_x=True), field.shape[-2:])


def window_shape(shape: tuple[int, int], pad: float = 2.0) -> tuple[int, int]:
    """FFT window ``(n_rows, n_cols)`` for a field of ``shape`` padded by ``pad`` (fast FFT sizes).

    ``pad`` as in :func:`propagate`; ``pad=1`` (or ``False``) keeps ``shape``.

    Examples
    --------
    >>> window_shape((100, 64)), window_shape((100, 64), pad=1)
    ((200, 128), (100, 64))
    """
    factor = _pad_factor(pad)
    return tuple(int(n) if factor == 1 else scipy.fft.next_fast_len(math.ceil(factor * int(n))) for n in shape)


def pad_field(field: np.ndarray, window: tuple[int, int], pad_mode: str = "edge") -> np.ndarray:
    """``field`` (..., n_rows, n_cols) centred in a ``window`` filled per ``pad_mode`` (a new array).

    Examples
    --------
    >>> pad_field(np.array([[1.0, 2.0]]), (1, 4)).tolist()
    [[1.0, 1.0, 2.0, 2.0]]
    """
    _check_pad_mode(pad_mode)
    shape = field.shape[-2:]
    if any(w < n for w, n in zip(window, shape)):
        raise ValidationError("window", window, f"at least the field's {shape}")
    widths = [(0, 0)] * (field.ndim - 2) + [((w - n) // 2, w - n - (w - n) // 2) for w, n in zip(window, shape)]
    return np.pad(field, widths, mode="edge" if pad_mode == "edge" else "constant")


def crop_field(padded: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The centre ``shape`` of a padded window: the inverse of :func:`pad_field` (contiguous copy).

    Examples
    --------
    >>> crop_field(pad_field(np.eye(3), (8, 5), "zero"), (3, 3)).tolist() == np.eye(3).tolist()
    True
    """
    r0, c0 = ((w - n) // 2 for w, n in zip(padded.shape[-2:], shape))
    return np.ascontiguousarray(padded[..., r0 : r0 + shape[0], c0 : c0 + shape[1]])


def check_sampling(
    window: tuple[int, int],
    distance_nm: float,
    *,
    energy_kev: float,
    pixel_nm: float,
    periodic: bool,
    band_limit: bool,
) -> None:
    """Raise :class:`~sim.errors.ValidationError` if ``distance_nm`` is outside the grid's valid range.

    ``window`` is the FFT grid ``(n_rows, n_cols)`` [px]. Invalid: a
    non-periodic field propagated without the band limit beyond
    :func:`critical_distance_nm` (aliased chirp), or with the band limit so
    far that less than two frequency steps survive on both axes (far field).
    A periodic field (no padding) without the band limit is valid at any
    distance. Rules: module docstring.

    Examples
    --------
    >>> check_sampling((64, 64), 1e5, energy_kev=8.0, pixel_nm=10.0, periodic=False, band_limit=True)
    >>> check_sampling((64, 64), 1e7, energy_kev=8.0, pixel_nm=10.0, periodic=False, band_limit=False)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: distance_nm = 10000000.0 is not allowed; allowed: |z| <= 41294.3 nm for this grid without the band limit (chirp aliased beyond): use band_limit=True, or pad=1 for a periodic field
    """
    z = abs(_distance(distance_nm))
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    wavelength = wavelength_nm(energy_kev)
    if not band_limit:
        if periodic:
            return
        limit = min(critical_distance_nm(n * pixel, pixel, energy_kev) for n in window)
        if z > limit:
            raise ValidationError(
                "distance_nm",
                distance_nm,
                f"|z| <= {limit:.1f} nm for this grid without the band limit (chirp aliased beyond): "
                "use band_limit=True, or pad=1 for a periodic field",
            )
        return
    widths = [n * pixel for n in window]
    if all(_band_limit(z, width, wavelength) < 2.0 / width for width in widths):
        far = max(0.5 * w * math.sqrt(max((w / (2.0 * wavelength)) ** 2 - 1.0, 0.0)) for w in widths)
        raise ValidationError(
            "distance_nm",
            distance_nm,
            f"|z| < {far:.4g} nm for a {window} px window of {pixel} nm pixels (beyond, the band limit "
            "leaves only the mean: far field): use a larger window (pad) or a Fraunhofer propagator",
        )


def _band_limit(z, window_nm, wavelength):
    """``f_limit = 1/(λ√((2z/W)² + 1))`` [1/nm] (Matsushima & Shimobaba 2009, eq. 13)."""
    return 1.0 / (wavelength * math.sqrt((2.0 * z / window_nm) ** 2 + 1.0))


def _check_pad_mode(pad_mode):
    if pad_mode not in PAD_MODES:
        raise ValidationError("pad_mode", pad_mode, f"one of {PAD_MODES}")


def _distance(distance_nm):
    try:
        z = float(distance_nm)
    except (TypeError, ValueError):
        raise ValidationError("distance_nm", distance_nm, "a finite distance [nm]") from None
    if not math.isfinite(z):
        raise ValidationError("distance_nm", distance_nm, "a finite distance [nm]")
    return z


def _pad_factor(pad):
    if isinstance(pad, (bool, np.bool_)):
        return 2.0 if pad else 1.0
    factor = validate.positive("pad", pad)
    if factor < 1:
        raise ValidationError("pad", pad, "a window/field size ratio >= 1 (1: periodic, no padding)")
    return factor


def _complex_wave(wave):
    array = np.asarray(wave)
    if array.ndim < 2 or array.size == 0:
        raise ValidationError("wave.shape", array.shape, "(..., n_rows, n_cols), no empty axis")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValidationError("wave.dtype", str(array.dtype), "a numeric (complex) type")
    array = np.asarray(array, dtype=np.complex64)
    if not np.isfinite(array.sum()) and not np.all(np.isfinite(array)):  # one pass; the full scan if the sum overflows
        raise ValidationError("wave", "<NaN/inf values>", "finite values only")
    return array

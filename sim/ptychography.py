"""Far-field (Fraunhofer) ptychography: diffraction patterns of a scanned probe.

A coherent probe ``P`` illuminates a thin object ``O`` at a sequence of scan
positions; the exit wave ``P · O_j`` (``O_j`` the object window under the probe
at position ``j``) propagates to the far field, where a pixel detector records
its intensity ``I_j = |F{P · O_j}|²`` (Rodenburg & Faulkner, Appl. Phys. Lett.
85, 4795 (2004); Thibault et al., Science 321, 379 (2008)).

Conventions, written once here and shared by :mod:`recon.ptycho`:

- ``obj`` is a complex 2-D transmission function on the object-plane pixel grid;
  ``probe`` is a complex ``(n, n)`` array on the same pixel grid.
- ``positions_px`` is ``(n_pos, 2)``: the (row, col) of the top-left corner of
  the probe window in the object array, in object pixels, real-valued (a
  jittered scan is not on the pixel grid). The window is at the integer part
  ``floor(position)``; the probe is shifted within it by the fractional part
  with the Fourier shift theorem, ``P_j = F⁻¹{F{P} · exp(−2πi k·f/n)}``
  (Goodman, *Introduction to Fourier Optics*, 3rd ed., §2.1.3), a unitary,
  circular shift — so the probe must fall off to ~0 at the window's edges.
  Integral positions use the probe as it is (no FFT). Every window must lie
  inside the object; nothing is rounded or clipped.
- Patterns are ``(n_pos, n, n)``, zero frequency at the centre (``fftshift``),
  unitary FFT so that ``Σ I_j = Σ |P · O_j|²`` (Parseval).
- The probe intensity ``Σ |P|²`` is the incident photon number per pattern up to
  the scale set by ``photons_per_pattern`` (or ``flux_photons_per_s · dwell_s``).
"""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator, poisson_counts


def check_geometry(obj_shape, probe_shape, positions_px) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate a scan: integer window corners and the probe's sub-pixel shifts.

    Parameters
    ----------
    obj_shape : tuple of int
        Object array shape ``(rows, cols)`` [object px].
    probe_shape : tuple of int
        Probe array shape ``(n, n)`` [object px].
    positions_px : array_like
        ``(n_pos, 2)`` top-left (row, col) of each probe window [object px],
        real-valued; each window ``[floor(p), floor(p) + n)`` inside the object.

    Returns
    -------
    corners : numpy.ndarray, int64, (n_pos, 2)
        ``floor(positions_px)`` [px].
    fractions : numpy.ndarray, float64, (n_pos, 2), or None
        ``positions_px − corners`` in [0, 1) [px]; ``None`` when every position
        is integral (the fast path: no probe shift).

    Examples
    --------
    >>> corners, fractions = check_geometry((8, 8), (4, 4), [[0, 0], [4, 4.0]])
    >>> corners.tolist(), fractions
    ([[0, 0], [4, 4]], None)
    >>> check_geometry((8, 8), (4, 4), [[0.25, 3.5]])[1].tolist()
    [[0.25, 0.5]]
    """
    if len(probe_shape) != 2 or probe_shape[0] != probe_shape[1]:
        raise ValidationError("probe.shape", tuple(probe_shape), "a square (n, n) array")
    positions = validate.finite_array("positions_px", positions_px, 2, "(n_pos, 2) as (row, col)",
                                      dtype=np.float64)
    if positions.shape[1] != 2:
        raise ValidationError("positions_px.shape", positions.shape, "(n_pos, 2) as (row, col)")
    floors = np.floor(positions)
    n = probe_shape[0]
    high = np.array(obj_shape[:2]) - n
    if np.any(floors < 0) or np.any(floors > high):
        raise ValidationError("positions_px", "<window outside the object>",
                              f"corners in [0, {high[0]}] x [0, {high[1]}] px for a {n} px probe "
                              "(a real position p puts the window at floor(p))")
    fractions = positions - floors
    return floors.astype(np.int64), (fractions if np.any(fractions) else None)


def shift_ramps(fractions: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fourier-shift factors ``exp(−2πi k f / n)`` along rows and columns, each ``(n_pos, n)``.

    ``F⁻¹{F{P} · rows[j][:, None] · cols[j][None, :]}`` is ``P`` moved by
    ``+fractions[j]`` px (Fourier shift theorem, Goodman §2.1.3); the conjugate
    factors move it back (the shift is unitary).

    Examples
    --------
    >>> rows, cols = shift_ramps(np.array([[0.0, 1.0]]), 4)   # one whole pixel
    >>> np.round(cols[0], 6).tolist()
    [(1+0j), -1j, (-1+0j), 1j]
    """
    k = np.fft.fftfreq(n)
    return (np.exp(-2j * np.pi * fractions[:, 0, None] * k[None, :]),
            np.exp(-2j * np.pi * fractions[:, 1, None] * k[None, :]))


def shifted_probes(probe: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """The probe moved by each sub-pixel ``fractions[j]`` [px] (Fourier shift), ``(n_pos, n, n)``.

    Examples
    --------
    >>> probe = np.zeros((8, 8), complex); probe[4, 4] = 1.0
    >>> moved = shifted_probes(probe, np.array([[0.0, 1.0]]))
    >>> np.unravel_index(np.argmax(np.abs(moved[0])), (8, 8))
    (np.int64(4), np.int64(5))
    """
    rows, cols = shift_ramps(fractions, probe.shape[0])
    spectrum = np.fft.fft2(probe)
    return np.fft.ifft2(spectrum[None] * rows[:, :, None] * cols[:, None, :])


def exit_waves(obj: np.ndarray, probe: np.ndarray, corners: np.ndarray,
               fractions: np.ndarray | None = None) -> np.ndarray:
    """Exit waves ``P_j · O_j`` for window corners and sub-pixel shifts, shape ``(n_pos, n, n)``.

    Parameters
    ----------
    obj : numpy.ndarray, complex, (rows, cols)
        Object transmission [1].
    probe : numpy.ndarray, complex, (n, n)
        Probe [sqrt(photons)].
    corners : numpy.ndarray, int, (n_pos, 2)
        Window corners from :func:`check_geometry` [px].
    fractions : numpy.ndarray, (n_pos, 2), optional
        Sub-pixel shifts of the probe [px]; ``None`` for integral positions.

    Examples
    --------
    >>> exit_waves(np.ones((4, 4), complex), np.full((2, 2), 2j), np.array([[1, 1]])).shape
    (1, 2, 2)
    """
    n = probe.shape[0]
    offsets = np.arange(n)
    rows = corners[:, 0, None, None] + offsets[None, :, None]
    cols = corners[:, 1, None, None] + offsets[None, None, :]
    probes = probe[None] if fractions is None else shifted_probes(probe, fractions)
    return probes * obj[rows, cols]


_BLOCK_BYTES = 64 * 2**20
"""Exit waves are formed and transformed in blocks of at most this many bytes."""


def diffraction_patterns(obj, probe, positions_px, *, photons_per_pattern=None,
                         flux_photons_per_s=None, dwell_s=None, seed=None) -> np.ndarray:
    """Far-field diffraction intensities ``|F{P · O_j}|²`` of a ptychographic scan.

    Parameters
    ----------
    obj : array_like, complex, (rows, cols)
        Object transmission on the object-plane pixel grid [1].
    probe : array_like, complex, (n, n)
        Probe wave on the same grid [sqrt(photons) up to scale].
    positions_px : array_like, (n_pos, 2)
        Top-left (row, col) of each probe window in ``obj`` [px], real-valued
        (sub-pixel parts shift the probe; module docstring).
    photons_per_pattern : float, optional
        Incident photons per scan position; sets the scale ``Σ|P|² = photons``
        and switches on Poisson counting (needs ``seed``).
    flux_photons_per_s, dwell_s : float, optional
        Alternative to ``photons_per_pattern``: flux in the focus [photons/s]
        times dwell per point [s].
    seed : int or numpy.random.Generator, optional
        Noise seed; required when a photon number is given.

    Returns
    -------
    numpy.ndarray, float64, (n_pos, n, n)
        Intensities, zero frequency at the centre. Noise-free (in units of
        ``|probe|²``) when no photon number is given, Poisson counts otherwise.

    Notes
    -----
    Thin-object exit wave and Fraunhofer propagation (Rodenburg & Faulkner
    2004); the unitary FFT keeps ``Σ I = Σ |P O|²`` so the counts are the
    transmitted photons.

    Examples
    --------
    >>> probe = np.ones((4, 4), complex)
    >>> I = diffraction_patterns(np.ones((6, 6), complex), probe, [[0, 0], [2, 2]])
    >>> I.shape, float(I[0, 2, 2])
    ((2, 4, 4), 16.0)
    """
    obj = np.asarray(obj, dtype=np.complex128)
    probe = np.asarray(probe, dtype=np.complex128)
    if obj.ndim != 2:
        raise ValidationError("obj.shape", obj.shape, "a 2-D (rows, cols) complex array")
    if not (np.all(np.isfinite(obj)) and np.all(np.isfinite(probe))):
        raise ValidationError("obj/probe", "<NaN/inf values>", "finite values only")
    corners, fractions = check_geometry(obj.shape, probe.shape, positions_px)
    photons = _photons(photons_per_pattern, flux_photons_per_s, dwell_s)
    if photons is not None:
        power = float(np.sum(np.abs(probe) ** 2))
        if power <= 0:
            raise ValidationError("probe", "<all zeros>", "a probe with non-zero intensity")
        probe = probe * math.sqrt(photons / power)
    n = probe.shape[0]
    block = max(1, _BLOCK_BYTES // (16 * n * n))
    intensity = np.empty((corners.shape[0], n, n))
    for start in range(0, corners.shape[0], block):
        part = slice(start, start + block)
        waves = exit_waves(obj, probe, corners[part], None if fractions is None else fractions[part])
        intensity[part] = np.abs(np.fft.fftshift(np.fft.fft2(waves, norm="ortho"), axes=(-2, -1))) ** 2
    if photons is None:
        return intensity
    if seed is None:
        raise ValidationError("seed", None, "an integer >= 0 or a Generator when photons are counted")
    return poisson_counts(intensity, generator(seed)).astype(np.float64)


def _photons(photons_per_pattern, flux_photons_per_s, dwell_s):
    if photons_per_pattern is not None:
        if flux_photons_per_s is not None or dwell_s is not None:
            raise ValidationError("photons_per_pattern", photons_per_pattern,
                                  "either photons_per_pattern or flux_photons_per_s and dwell_s, not both")
        return validate.positive("photons_per_pattern", photons_per_pattern, "photons")
    if flux_photons_per_s is None and dwell_s is None:
        return None
    if flux_photons_per_s is None or dwell_s is None:
        raise ValidationError("dwell_s" if dwell_s is None else "flux_photons_per_s", None,
                              "both flux_photons_per_s [photons/s] and dwell_s [s]")
    return (validate.positive("flux_photons_per_s", flux_photons_per_s, "photons/s")
            * validate.positive("dwell_s", dwell_s, "s"))


def overlap_fraction(probe_fwhm_px: float, step_px: float) -> float:
    """Linear overlap ``1 - step / FWHM`` of neighbouring probe positions (0 if apart).

    The overlap parameter of Bunk et al., Ultramicroscopy 108, 481 (2008),
    who found ptychography robust above about 60 %.

    Parameters
    ----------
    probe_fwhm_px : float
        Probe diameter (FWHM) [px], > 0.
    step_px : float
        Scan step [px], > 0.

    Examples
    --------
    >>> overlap_fraction(10.0, 3.0)
    0.7
    >>> overlap_fraction(10.0, 12.0)
    0.0
    """
    fwhm = validate.positive("probe_fwhm_px", probe_fwhm_px, "px")
    step = validate.positive("step_px", step_px, "px")
    return max(0.0, 1.0 - step / fwhm)

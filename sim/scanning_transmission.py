"""Transmission signals of a scanning X-ray microscope: bright field, centre of mass, quadrant DPC.

The scan that records fluorescence also records the transmitted beam in the far
field, on the pixel detector of :mod:`sim.ptychography` (same conventions:
patterns ``(..., n, n)``, zero frequency on pixel ``(n//2, n//2)``, unitary FFT,
one detector pixel is one reciprocal pixel ``1/(n·pixel_nm)`` with
``pixel_nm`` the object-plane pixel of the probe grid). From each pattern:

- **Bright field** (absorption): the transmitted intensity, over the whole
  detector or a disc of radius ``radius_px`` (a detector of limited NA),
  divided by the incident intensity on the same detector, is the transmission
  ``T``; its optical depth ``−ln T`` is Beer–Lambert's ``∫μ dz`` (Jacobsen,
  *X-ray Microscopy*, Cambridge 2019, §4.2; Kirz, Jacobsen & Howells,
  Q. Rev. Biophys. 28, 33 (1995)).
- **Centre of mass** (first moment) of each pattern, ``k_com`` in reciprocal
  pixels (row, col). For an exit wave ``ψ = P·O`` Ehrenfest's theorem for the
  Fourier pair gives ``k_com = (1/2π) Σ Im(ψ*∇ψ) / Σ|ψ|²``; for a phase
  object ``O = exp(iφ)`` under a probe without a phase gradient of its own
  this is the probe-weighted phase gradient

      2π·k_com = ⟨∇φ⟩_|P|² = ∇(φ ⊛ |P|²/Σ|P|²),

  exactly for any phase strength as long as the pattern fits on the detector
  (Waddell & Chapman, Optik 54, 83 (1979); Müller et al., Nat. Commun. 5, 5653
  (2014); for X-rays de Jonge et al., Phys. Rev. Lett. 100, 163902 (2008)).
  With absorption the weight becomes ``|P·O|²``.
- **Quadrant DPC**: a segmented detector with four quadrants A (+col),
  B (+row), C (−col), D (−row) on an annulus ``inner_px ≤ r ≤ outer_px``
  gives ``((B − D), (A − C)) / (A + B + C + D)``, linear in a small phase
  gradient (Hornberger et al., J. Synchrotron Rad. 15, 355 (2008)). Pixels on
  the quadrant diagonals count half to each neighbour (the centre pixel a
  quarter to each), so the segments share the detector's symmetries.
- **Phase from DPC**: the two gradient maps integrate to the phase by Fourier
  integration, ``φ̂ = (k_r ĝ_r + k_c ĝ_c) / (2πi |k|²)`` (Kottler et al.,
  Opt. Express 15, 1175 (2007); Arnison et al., J. Microsc. 214, 7 (2004)),
  on the gradients mirrored into a periodic field of twice the size so the
  map's edges raise no artefacts (Bon, Monneret & Wattellier, Appl. Opt. 51,
  5698 (2012)).

Sign: with ``F{ψ}(k) = Σ ψ(x) exp(−2πi k·x)`` (numpy's FFT), a phase that grows
along ``+col`` moves the pattern towards ``+col``.
"""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError

_PATTERN_AXES = "(..., n, n): scan positions first, then (row, col) detector pixels"


def reciprocal_pixel_per_nm(n_px: int, pixel_nm: float) -> float:
    """Spatial frequency of one detector pixel, ``1/(n·pixel_nm)`` [1/nm].

    Parameters
    ----------
    n_px : int
        Pattern side (the probe grid side) [px], >= 2.
    pixel_nm : float
        Object-plane pixel of the probe grid [nm].

    Examples
    --------
    >>> reciprocal_pixel_per_nm(64, 2.0)
    0.0078125
    """
    if isinstance(n_px, (bool, np.bool_)) or not isinstance(n_px, (int, np.integer)) or n_px < 2:
        raise ValidationError("n_px", n_px, "an integer >= 2 [px]")
    return 1.0 / (int(n_px) * validate.positive("pixel_nm", pixel_nm, "nm"))


def bright_field(patterns, *, incident, radius_px: float | None = None) -> np.ndarray:
    """Transmission ``T`` of each scan position from its far-field pattern.

    Parameters
    ----------
    patterns : array_like, (..., n, n)
        Far-field intensities (or counts), >= 0, zero frequency at
        ``(n//2, n//2)``.
    incident : float or array_like (n, n)
        The incident probe without sample: its total intensity per pattern
        (``Σ|P|²``, e.g. photons per dwell; ``T`` is then the fraction of the
        incident beam reaching the detector) or its far-field pattern (a flat
        field, summed over the same detector as ``patterns``).
    radius_px : float, optional
        Detector disc radius [reciprocal px] (pixels at ``r ≤ radius_px`` from
        the centre), ``0 < radius_px ≤ n//2``; ``None`` uses the whole detector.

    Returns
    -------
    numpy.ndarray, float64, shape ``patterns.shape[:-2]``
        ``T = Σ_det I / Σ_det I₀`` [1]; for a homogeneous absorber under the
        whole detector ``T = exp(−∫μ dz)`` exactly (Parseval, Beer–Lambert).

    Examples
    --------
    >>> patterns = np.full((3, 4, 4), 0.25)
    >>> bright_field(patterns, incident=8.0).tolist()
    [0.5, 0.5, 0.5]
    """
    data = _patterns(patterns)
    n = data.shape[-1]
    mask = np.ones((n, n)) if radius_px is None else _disc(n, radius_px, "radius_px")
    transmitted = np.einsum("...ij,ij->...", data, mask)
    if np.ndim(incident) == 0:
        reference = validate.positive("incident", incident, "(total incident intensity per pattern)")
    else:
        flat = validate.finite_array("incident", incident, 2, "(n, n) far-field pattern of the bare probe",
                                     dtype=np.float64)
        if flat.shape != (n, n):
            raise ValidationError("incident.shape", flat.shape, f"({n}, {n}), the patterns' detector")
        reference = float(np.sum(flat * mask))
        if np.any(flat < 0) or reference <= 0:
            raise ValidationError("incident", "<negative or no intensity on the detector>",
                                  "intensities >= 0 with a positive sum on the detector")
    return transmitted / reference


def optical_depth(transmission) -> np.ndarray:
    """Optical depth ``−ln T`` [1] (Beer–Lambert: ``∫μ dz`` along the beam).

    Parameters
    ----------
    transmission : array_like
        Transmission [1], > 0 (a zero, e.g. no counts, has no finite optical depth).

    Examples
    --------
    >>> optical_depth([1.0, np.exp(-2.0)]).round(12).tolist()
    [-0.0, 2.0]
    """
    values = np.asarray(transmission, dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValidationError("transmission", "<values <= 0 or NaN/inf>",
                              "finite transmissions > 0 (no counts: dose too low for −ln T)")
    return -np.log(values)


def centre_of_mass(patterns, *, radius_px: float | None = None) -> np.ndarray:
    """First moment ``k_com`` of each pattern from the zero frequency [reciprocal px].

    Parameters
    ----------
    patterns : array_like, (..., n, n)
        Far-field intensities, >= 0, zero frequency at ``(n//2, n//2)``.
    radius_px : float, optional
        Only pixels at ``r ≤ radius_px`` [reciprocal px] count (``0 < radius_px
        ≤ n//2``); ``None`` uses the whole detector.

    Returns
    -------
    numpy.ndarray, float64, shape ``patterns.shape[:-2] + (2,)``
        ``(row, col)`` centre of mass [reciprocal px]; times
        :func:`reciprocal_pixel_per_nm` it is in 1/nm. Every pattern must hold
        some intensity on the detector.

    Notes
    -----
    ``2π·k_com`` is the probe-weighted phase gradient (module notes; Waddell &
    Chapman 1979). A probe with a centre of mass of its own (an asymmetric
    aberration, a tilted beam) adds it to every position: subtract the bare
    probe's value.

    Examples
    --------
    >>> pattern = np.zeros((1, 8, 8)); pattern[0, 4, 6] = 1.0   # two px right of the centre
    >>> centre_of_mass(pattern).tolist()
    [[0.0, 2.0]]
    """
    data = _patterns(patterns)
    n = data.shape[-1]
    mask = np.ones((n, n)) if radius_px is None else _disc(n, radius_px, "radius_px")
    offsets = np.arange(n, dtype=np.float64) - n // 2
    weighted = data * mask
    total = weighted.sum(axis=(-2, -1))
    if np.any(total <= 0):
        raise ValidationError("patterns", f"<{int(np.count_nonzero(total <= 0))} patterns with no intensity>",
                              "some intensity on the detector in every pattern (raise the dose)")
    rows = np.einsum("...ij,i->...", weighted, offsets)
    cols = np.einsum("...ij,j->...", weighted, offsets)
    return np.stack([rows, cols], axis=-1) / total[..., None]


def phase_gradient(patterns, *, pixel_nm: float, radius_px: float | None = None) -> np.ndarray:
    """Probe-weighted phase gradient ``2π·k_com`` of each pattern [rad/nm].

    Parameters
    ----------
    patterns : array_like, (..., n, n)
        Far-field intensities, >= 0, zero frequency at ``(n//2, n//2)``.
    pixel_nm : float
        Object-plane pixel of the probe grid [nm]; a detector pixel is
        ``1/(n·pixel_nm)`` [1/nm].
    radius_px : float, optional
        Detector disc radius [reciprocal px], as in :func:`centre_of_mass`.

    Returns
    -------
    numpy.ndarray, float64, shape ``patterns.shape[:-2] + (2,)``
        ``(∂φ/∂row, ∂φ/∂col)`` averaged over ``|P|²`` [rad/nm] (Waddell &
        Chapman, Optik 54, 83 (1979); de Jonge et al., PRL 100, 163902 (2008)).

    Examples
    --------
    >>> pattern = np.zeros((1, 8, 8)); pattern[0, 4, 6] = 1.0
    >>> float(phase_gradient(pattern, pixel_nm=2.0)[0, 1]) == 2 * np.pi * 2 / (8 * 2.0)
    True
    """
    com = centre_of_mass(patterns, radius_px=radius_px)
    n = np.shape(patterns)[-1]
    return 2.0 * math.pi * reciprocal_pixel_per_nm(n, pixel_nm) * com


def quadrant_segments(patterns, *, inner_px: float, outer_px: float) -> np.ndarray:
    """Intensities on the four quadrants A (+col), B (+row), C (−col), D (−row).

    Each quadrant spans 90° of azimuth centred on its axis, on the annulus
    ``inner_px ≤ r ≤ outer_px`` [reciprocal px] (``r`` from the zero frequency);
    pixels on the diagonals count half to each neighbour and the centre pixel a
    quarter to each, so ``A + B + C + D`` is the annulus total.

    Parameters
    ----------
    patterns : array_like, (..., n, n)
        Far-field intensities, >= 0, zero frequency at ``(n//2, n//2)``.
    inner_px, outer_px : float
        Annulus radii [reciprocal px], ``0 ≤ inner_px < outer_px ≤ n//2``.

    Returns
    -------
    numpy.ndarray, float64, shape ``patterns.shape[:-2] + (4,)``
        ``(A, B, C, D)`` in the units of ``patterns``.

    Examples
    --------
    >>> pattern = np.zeros((1, 8, 8)); pattern[0, 4, 6] = 1.0   # on +col: all in A
    >>> quadrant_segments(pattern, inner_px=0, outer_px=4).tolist()
    [[1.0, 0.0, 0.0, 0.0]]
    """
    data = _patterns(patterns)
    n = data.shape[-1]
    inner = validate.non_negative("inner_px", inner_px, "[reciprocal px]")
    outer = validate.in_range("outer_px", outer_px, 0.0, n // 2, "[reciprocal px] (inside the detector)")
    if outer <= inner:
        raise ValidationError("outer_px", outer_px, f"> inner_px = {inner} [reciprocal px]")
    return np.einsum("...ij,sij->...s", data, _quadrant_weights(n, inner, outer))


def quadrant_dpc(patterns, *, inner_px: float, outer_px: float) -> np.ndarray:
    """Differential phase contrast of a quadrant detector, ``((B − D), (A − C)) / (A + B + C + D)``.

    Parameters
    ----------
    patterns : array_like, (..., n, n)
        Far-field intensities, >= 0, zero frequency at ``(n//2, n//2)``.
    inner_px, outer_px : float
        Annulus radii [reciprocal px], ``0 ≤ inner_px < outer_px ≤ n//2``.

    Returns
    -------
    numpy.ndarray, float64, shape ``patterns.shape[:-2] + (2,)``
        ``(row, col)`` DPC signals [1], odd in the phase and, for a small
        gradient, proportional to it (Hornberger et al., J. Synchrotron Rad.
        15, 355 (2008)): for a Gaussian spot of rms width ``σ`` [reciprocal px]
        on a detector covering it, ``DPC = k_com / (√π·σ)`` to first order.

    Examples
    --------
    >>> pattern = np.zeros((1, 8, 8)); pattern[0, 4, 5] = 3.0; pattern[0, 4, 3] = 1.0
    >>> quadrant_dpc(pattern, inner_px=0, outer_px=4).tolist()
    [[0.0, 0.5]]
    """
    segments = quadrant_segments(patterns, inner_px=inner_px, outer_px=outer_px)
    total = segments.sum(axis=-1)
    if np.any(total <= 0):
        raise ValidationError("patterns", f"<{int(np.count_nonzero(total <= 0))} patterns with no intensity>",
                              "some intensity on the quadrant annulus in every pattern")
    a, b, c, d = np.moveaxis(segments, -1, 0)
    return np.stack([b - d, a - c], axis=-1) / total[..., None]


def integrate_gradient(grad_row_rad_per_nm, grad_col_rad_per_nm, *, step_nm) -> np.ndarray:
    """Phase map [rad] from its two gradient maps by Fourier integration.

    Parameters
    ----------
    grad_row_rad_per_nm, grad_col_rad_per_nm : array_like, (n_scan_rows, n_scan_cols)
        ``∂φ/∂row`` and ``∂φ/∂col`` on the scan grid [rad/nm] (e.g. the two
        components of :func:`phase_gradient`), each at least 2 × 2.
    step_nm : float or (float, float)
        Scan step [nm], one value or ``(row, col)``.

    Returns
    -------
    numpy.ndarray, float64, (n_scan_rows, n_scan_cols)
        The phase [rad], defined up to a constant: the map has zero mean.

    Notes
    -----
    ``φ̂ = (k_r ĝ_r + k_c ĝ_c) / (2πi |k|²)``, the least-squares integral of
    the gradient field (Kottler et al., Opt. Express 15, 1175 (2007); Arnison
    et al., J. Microsc. 214, 7 (2004)), on the gradients extended by mirror
    symmetry to a periodic ``2n_r × 2n_c`` field (Bon, Monneret & Wattellier,
    Appl. Opt. 51, 5698 (2012)) so that a phase differing between opposite
    edges is not forced periodic. Spectrally exact for gradients that vanish
    at the map's edges (a particle scanned with a margin of empty field); a
    gradient that does not, e.g. a uniform wedge, rings at the edges by up to
    about 1 % of the phase range.

    Examples
    --------
    >>> y, x = np.mgrid[:32, :32] * 5.0 - 80.0
    >>> phase = 2.0 * np.exp(-(x**2 + y**2) / (2 * 12.0**2))   # 2 rad bump, σ = 12 nm
    >>> found = integrate_gradient(-phase * y / 12.0**2, -phase * x / 12.0**2, step_nm=5.0)
    >>> float(np.abs(found - (phase - phase.mean())).max()) < 1e-6
    True
    """
    g_row = validate.finite_array("grad_row_rad_per_nm", grad_row_rad_per_nm, 2, "(n_scan_rows, n_scan_cols)",
                                  dtype=np.float64)
    g_col = validate.finite_array("grad_col_rad_per_nm", grad_col_rad_per_nm, 2, "(n_scan_rows, n_scan_cols)",
                                  dtype=np.float64)
    if g_col.shape != g_row.shape:
        raise ValidationError("grad_col_rad_per_nm.shape", g_col.shape, f"{g_row.shape}, as grad_row_rad_per_nm")
    if min(g_row.shape) < 2:
        raise ValidationError("grad_row_rad_per_nm.shape", g_row.shape, "at least 2 x 2 scan points")
    steps = np.ravel(step_nm)
    if steps.size not in (1, 2):
        raise ValidationError("step_nm", step_nm, "one step or (row, col) steps [nm] > 0")
    step_row = validate.positive("step_nm", steps[0], "nm")
    step_col = validate.positive("step_nm", steps[-1], "nm")
    n_rows, n_cols = g_row.shape
    wide_row = _mirror(g_row, odd_rows=True)
    wide_col = _mirror(g_col, odd_rows=False)
    k_row = np.fft.fftfreq(2 * n_rows, d=step_row)[:, None]
    k_col = np.fft.rfftfreq(2 * n_cols, d=step_col)[None, :]
    k2 = k_row**2 + k_col**2
    k2[0, 0] = 1.0
    spectrum = (k_row * np.fft.rfft2(wide_row) + k_col * np.fft.rfft2(wide_col)) / (2j * math.pi * k2)
    spectrum[0, 0] = 0.0
    return np.fft.irfft2(spectrum, s=wide_row.shape)[:n_rows, :n_cols]


def _mirror(gradient: np.ndarray, *, odd_rows: bool) -> np.ndarray:
    """Extend a gradient map to ``2n_r × 2n_c`` by half-sample mirroring of its phase.

    The phase is mirrored evenly across both edges, so its derivative along an
    axis changes sign in the copy mirrored across that axis.
    """
    row_sign, col_sign = (-1.0, 1.0) if odd_rows else (1.0, -1.0)
    top = np.concatenate([gradient, col_sign * gradient[:, ::-1]], axis=1)
    return np.concatenate([top, row_sign * top[::-1, :]], axis=0)


def _patterns(patterns) -> np.ndarray:
    data = validate.finite_array("patterns", patterns, (2, 3, 4, 5), _PATTERN_AXES, dtype=np.float64)
    if data.shape[-1] != data.shape[-2] or data.shape[-1] < 2:
        raise ValidationError("patterns.shape", data.shape, "square detector patterns (..., n, n), n >= 2")
    if np.any(data < 0):
        raise ValidationError("patterns", "<negative intensities>", "intensities or counts >= 0")
    return data


def _offsets(n: int) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.arange(n) - n // 2
    return offsets[:, None], offsets[None, :]


def _disc(n: int, radius_px, field: str) -> np.ndarray:
    radius = validate.in_range(field, radius_px, 0.0, n // 2, "[reciprocal px] (inside the detector)")
    if radius <= 0:
        raise ValidationError(field, radius_px, f"a radius in (0, {n // 2}] [reciprocal px]")
    rows, cols = _offsets(n)
    return (rows**2 + cols**2 <= radius**2).astype(np.float64)


def _quadrant_weights(n: int, inner: float, outer: float) -> np.ndarray:
    """``(4, n, n)`` weights of quadrants A (+col), B (+row), C (−col), D (−row)."""
    rows, cols = _offsets(n)
    r2 = rows**2 + cols**2
    annulus = (r2 >= inner**2) & (r2 <= outer**2)
    weights = np.stack([cols >= np.abs(rows), rows >= np.abs(cols),
                        -cols >= np.abs(rows), -rows >= np.abs(cols)]).astype(np.float64)
    return weights / weights.sum(axis=0) * annulus

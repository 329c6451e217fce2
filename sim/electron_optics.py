"""Electron optics from first principles: wavelength, aberrations, CTF, probe.

Every number follows from the accelerating voltage, the aberration
coefficients and CODATA constants (``scipy.constants``); nothing is
tabulated per microscope.

- Relativistic wavelength ``λ = h / sqrt(2 m₀ e V (1 + e V / (2 m₀ c²)))``
  (Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed., eq. 2.5):
  2.5079 pm at 200 kV, 1.9687 pm at 300 kV.
- Interaction constant ``σ = 2π m e λ / h²`` with the relativistic mass
  ``m = γ m₀`` (Kirkland eq. 5.6): the phase [rad] an electron picks up per
  V·nm of projected potential, 7.29e-3 rad/(V·nm) at 200 kV.
- Aberration phase χ(k) of the round-lens expansion (Kirkland eq. 2.22, polar
  coefficients; the same convention as abTEM's ``Aberrations``/``CTF``)::

      χ(k) = π λ k² [−Δf + C12 cos 2(φ − φ12)] + ½ π Cs λ³ k⁴ + ⅓ π C5 λ⁵ k⁶

  with Δf the defocus, positive for underfocus (Δf = −C10).
- Partial coherence as envelopes in the quasi-coherent approximation
  (Kirkland §3.2; Reimer & Kohl, *Transmission Electron Microscopy*, 5th ed.,
  contrast transfer): temporal (focal spread) and spatial (illumination divergence).
- The STEM probe ``ψ(r) = F⁻¹[A(k) exp(−iχ(k))]`` (Kirkland §3.5) and its
  depth of field.

Conventions: voltages in kV, lengths in nm, spatial frequencies in 1/nm,
Cs and C5 in mm, angles in mrad (semi-angles) or degrees (azimuths).
Frequency arrays are in unshifted FFT layout (``numpy.fft.fftfreq``); axis 0
is the row axis. Every array is float64 or complex128.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.constants import c, e, h, m_e

from sim import validate
from sim.errors import ValidationError

_NM_PER_M = 1e9
_NM_PER_MM = 1e6
_REST_ENERGY_EV = m_e * c**2 / e
# exp(−x²/Δ²) falls to half at x = Δ·sqrt(ln 2): FWHM = 2·sqrt(ln 2)·(1/e half-width).
_FWHM_PER_1E_HALF_WIDTH = 2.0 * math.sqrt(math.log(2.0))
# exp(−x²/(2σ²)) falls to half at x = σ·sqrt(2 ln 2): FWHM = 2·sqrt(2 ln 2)·σ.
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
# Root of sin(x)/x = 1/sqrt(2); the axial intensity sinc²(πΔz α²/(2λ)) of an
# aberration-free probe halves at Δz = ±(2x/π)·λ/α², so the FWHM is (4x/π)·λ/α².
_SINC_HALF_POWER_ROOT = 1.3915573782515105
DEPTH_OF_FIELD_FACTOR = 4.0 * _SINC_HALF_POWER_ROOT / math.pi


def relativistic_gamma(voltage_kv: float) -> float:
    """Lorentz factor ``γ = 1 + eV / (m₀c²)`` of an electron accelerated through ``voltage_kv``.

    >>> round(relativistic_gamma(200.0), 4)
    1.3914
    """
    voltage_v = validate.positive("voltage_kv", voltage_kv, "kV") * 1e3
    return 1.0 + e * voltage_v / (m_e * c**2)


def wavelength_nm(voltage_kv: float) -> float:
    """Relativistic electron wavelength [nm] at accelerating voltage ``voltage_kv`` [kV].

    >>> round(wavelength_nm(200.0) * 1e3, 4)   # pm
    2.5079
    >>> round(wavelength_nm(300.0) * 1e3, 4)
    1.9687
    """
    voltage_v = validate.positive("voltage_kv", voltage_kv, "kV") * 1e3
    momentum_sq = 2.0 * m_e * e * voltage_v * (1.0 + e * voltage_v / (2.0 * m_e * c**2))
    return h / math.sqrt(momentum_sq) * _NM_PER_M


def interaction_constant(voltage_kv: float) -> float:
    """Interaction constant σ [rad/(V·nm)]: phase shift per unit projected potential.

    ``σ = 2π γ m₀ e λ / h²``; multiply by a projected potential in V·nm to get
    the phase in radians.

    >>> round(interaction_constant(200.0), 5)
    0.00729
    """
    gamma = relativistic_gamma(voltage_kv)
    wavelength_m = wavelength_nm(voltage_kv) / _NM_PER_M
    sigma_per_v_m = 2.0 * math.pi * gamma * m_e * e * wavelength_m / h**2
    return sigma_per_v_m / _NM_PER_M



@dataclass(frozen=True)
class Aberrations:
    """Coherent aberrations of a round lens, in the polar notation of Kirkland eq. 2.22.

    Parameters
    ----------
    defocus_nm : float
        Defocus Δf [nm], **positive for underfocus** (weaker lens). This is
        abTEM's ``defocus`` and equals ``−C10``.
    cs_mm : float
        Third-order spherical aberration Cs = C30 [mm].
    c5_mm : float
        Fifth-order spherical aberration C5 = C50 [mm].
    astigmatism_nm : float
        Two-fold astigmatism C12 [nm] (its magnitude; a negative value is the
        same as turning the angle by 90°).
    astigmatism_angle_deg : float
        Azimuth φ12 [deg] of the two-fold astigmatism, measured from the row
        axis (axis 0) towards the column axis (axis 1); abTEM's ``phi12`` on
        an array of the same layout (abTEM calls axis 0 ``x``).

    Examples
    --------
    >>> ab = Aberrations(defocus_nm=50.0, cs_mm=1.2)
    >>> ab.with_defocus(-10.0).defocus_nm, ab.with_defocus(-10.0).cs_mm
    (-10.0, 1.2)
    >>> Aberrations(cs_mm=float("nan"))
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: cs_mm = nan is not allowed; allowed: a finite number [mm]
    """

    defocus_nm: float = 0.0
    cs_mm: float = 0.0
    c5_mm: float = 0.0
    astigmatism_nm: float = 0.0
    astigmatism_angle_deg: float = 0.0

    def __post_init__(self):
        for field, unit in (
            ("defocus_nm", "nm"),
            ("cs_mm", "mm"),
            ("c5_mm", "mm"),
            ("astigmatism_nm", "nm"),
            ("astigmatism_angle_deg", "deg"),
        ):
            object.__setattr__(self, field, validate.finite(field, getattr(self, field), unit))

    def with_defocus(self, defocus_nm: float) -> Aberrations:
        """A copy with the defocus [nm] replaced (e.g. a per-view focus change)."""
        return replace(self, defocus_nm=defocus_nm)

    def abtem_coefficients(self) -> dict[str, float]:
        """The coefficients as abTEM's polar symbols, in abTEM's units (Å, rad).

        ``C10 = −defocus``, ``C30 = Cs``, ``C50 = C5``, ``C12``/``phi12`` the
        two-fold astigmatism; pass the dict to ``abtem.CTF`` or ``abtem.Probe``.

        >>> Aberrations(defocus_nm=5.0, cs_mm=1.0).abtem_coefficients()["C10"]
        -50.0
        """
        return {
            "C10": -10.0 * self.defocus_nm,
            "C30": 1e7 * self.cs_mm,
            "C50": 1e7 * self.c5_mm,
            "C12": 10.0 * self.astigmatism_nm,
            "phi12": math.radians(self.astigmatism_angle_deg),
        }


def _aberrations(value) -> Aberrations:
    if not isinstance(value, Aberrations):
        raise ValidationError("aberrations", value, "an Aberrations instance")
    return value


def _shape(shape) -> tuple[int, int]:
    try:
        rows, cols = (int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValidationError("shape", shape, "two positive integers (n_rows, n_cols)") from None
    if rows < 1 or cols < 1 or (rows, cols) != tuple(shape):
        raise ValidationError("shape", shape, "two positive integers (n_rows, n_cols)")
    return rows, cols


def spatial_frequencies(shape: tuple[int, int], pixel_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """Spatial-frequency grids [1/nm] of an image, in unshifted FFT layout.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(n_rows, n_cols)``.
    pixel_nm : float
        Pixel size [nm] (square pixels).

    Returns
    -------
    k_rows, k_cols : ndarray
        float64 arrays of shapes ``(n_rows, 1)`` and ``(1, n_cols)`` holding
        ``numpy.fft.fftfreq(n, pixel_nm)``; they broadcast to the image shape.

    Examples
    --------
    >>> k_rows, k_cols = spatial_frequencies((4, 2), pixel_nm=0.5)
    >>> k_rows.ravel().tolist(), k_cols.ravel().tolist()
    ([0.0, 0.5, -1.0, -0.5], [0.0, -1.0])
    """
    rows, cols = _shape(shape)
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    return np.fft.fftfreq(rows, pixel)[:, None], np.fft.fftfreq(cols, pixel)[None, :]


def _astigmatism_terms(aberrations: Aberrations) -> tuple[float, float]:
    angle = 2.0 * math.radians(aberrations.astigmatism_angle_deg)
    return math.cos(angle), math.sin(angle)


def aberration_phase(
    k_rows: np.ndarray, k_cols: np.ndarray, wavelength_nm: float, aberrations: Aberrations
) -> np.ndarray:
    """Aberration phase χ [rad] of the objective (or probe-forming) lens.

    ``χ = π λ k² [−Δf + C12 cos 2(φ − φ12)] + ½ π Cs λ³ k⁴ + ⅓ π C5 λ⁵ k⁶``
    (Kirkland 2nd ed. eq. 2.22 with ``α = λk``, ``C10 = −Δf``), where φ is the
    azimuth of ``k`` from the row axis. The astigmatic term is evaluated in
    Cartesian form, ``k² cos 2(φ − φ12) = (k_r² − k_c²) cos 2φ12 + 2 k_r k_c sin 2φ12``.
    Underfocus (Δf > 0) makes χ negative at low frequencies.

    Parameters
    ----------
    k_rows, k_cols : array_like
        Spatial frequencies [1/nm] along the rows and columns (broadcastable).
    wavelength_nm : float
        Electron wavelength [nm].
    aberrations : Aberrations
        Aberration coefficients.

    Returns
    -------
    ndarray
        χ [rad], float64, the broadcast shape of ``k_rows`` and ``k_cols``.

    Examples
    --------
    >>> lam = wavelength_nm(200.0)
    >>> chi = aberration_phase(np.array([2.0]), np.array([0.0]), lam, Aberrations(defocus_nm=10.0))
    >>> bool(np.isclose(chi[0], -np.pi * lam * 4.0 * 10.0))
    True
    """
    lam = validate.positive("wavelength_nm", wavelength_nm, "nm")
    ab = _aberrations(aberrations)
    kr = np.asarray(k_rows, dtype=np.float64)
    kc = np.asarray(k_cols, dtype=np.float64)
    k2 = kr**2 + kc**2
    cos2, sin2 = _astigmatism_terms(ab)
    astigmatic = (kr**2 - kc**2) * cos2 + 2.0 * kr * kc * sin2
    cs = ab.cs_mm * _NM_PER_MM
    c5 = ab.c5_mm * _NM_PER_MM
    return (
        math.pi * lam * (ab.astigmatism_nm * astigmatic - ab.defocus_nm * k2)
        + 0.5 * math.pi * cs * lam**3 * k2**2
        + math.pi / 3.0 * c5 * lam**5 * k2**3
    )


def _phase_gradient(
    k_rows: np.ndarray, k_cols: np.ndarray, lam: float, ab: Aberrations
) -> tuple[np.ndarray, np.ndarray]:
    """∇_k χ [rad·nm], the analytic gradient of :func:`aberration_phase`."""
    kr = np.asarray(k_rows, dtype=np.float64)
    kc = np.asarray(k_cols, dtype=np.float64)
    k2 = kr**2 + kc**2
    cos2, sin2 = _astigmatism_terms(ab)
    radial = 2.0 * math.pi * (
        -lam * ab.defocus_nm
        + ab.cs_mm * _NM_PER_MM * lam**3 * k2
        + ab.c5_mm * _NM_PER_MM * lam**5 * k2**2
    )
    astig = 2.0 * math.pi * lam * ab.astigmatism_nm
    grad_rows = radial * kr + astig * (kr * cos2 + kc * sin2)
    grad_cols = radial * kc + astig * (kr * sin2 - kc * cos2)
    return grad_rows, grad_cols


def focal_spread_nm(cc_mm: float, energy_spread_ev: float, voltage_kv: float) -> float:
    """Focal spread Δ [nm] from chromatic aberration and the source's energy spread.

    ``Δ = Cc · (δE / E) · (1 + E/E₀) / (1 + E/(2E₀))`` with ``E = eV`` and
    ``E₀ = m₀c²``: the lens focuses according to the relativistically
    corrected potential ``V* = V(1 + eV/(2E₀))``, and ``dV*/V* = (dV/V)(1 +
    eV/E₀)/(1 + eV/(2E₀))`` (Reimer & Kohl, 5th ed., chromatic
    aberration; the factor is 1.164 at 200 kV).

    ``energy_spread_ev`` is the **FWHM** of the (Gaussian) energy distribution,
    as microscope specifications quote it; it is converted to the 1/e
    half-width ``δE = FWHM / (2 sqrt(ln 2))``, so the returned Δ is the 1/e
    half-width of the focal distribution ``p(δf) ∝ exp(−δf²/Δ²)``: the
    convention of :func:`temporal_envelope` (Kirkland §3.2) and of abTEM's
    ``focal_spread`` (after nm → Å). Lens-current instabilities are not
    included.

    Parameters
    ----------
    cc_mm : float
        Chromatic aberration coefficient [mm], >= 0.
    energy_spread_ev : float
        FWHM of the beam's energy spread [eV], >= 0.
    voltage_kv : float
        Accelerating voltage [kV].

    Examples
    --------
    >>> round(focal_spread_nm(1.4, 0.7, 200.0), 3)   # Schottky FEG at 200 kV
    3.424
    """
    spread = validate.non_negative("energy_spread_ev", energy_spread_ev, "eV (FWHM)")
    return chromatic_focus_shift_nm(cc_mm, spread / _FWHM_PER_1E_HALF_WIDTH, voltage_kv)


def chromatic_focus_shift_nm(cc_mm: float, energy_loss_ev: float, voltage_kv: float) -> float:
    """Focus shift [nm] of electrons ``energy_loss_ev`` below the beam energy, ``Cc·(ΔE/E)·(1 + E/E₀)/(1 + E/2E₀)``.

    The relativistic form of :func:`focal_spread_nm` (Reimer & Kohl, 5th ed.,
    chromatic aberration), for one energy difference rather than a spread.

    >>> round(chromatic_focus_shift_nm(2.7, 20.0, 300.0), 1)
    220.8
    """
    cc = validate.non_negative("cc_mm", cc_mm, "mm") * _NM_PER_MM
    loss = validate.non_negative("energy_loss_ev", energy_loss_ev, "eV")
    energy_ev = validate.positive("voltage_kv", voltage_kv, "kV") * 1e3
    relativistic = (1.0 + energy_ev / _REST_ENERGY_EV) / (1.0 + energy_ev / (2.0 * _REST_ENERGY_EV))
    return cc * loss / energy_ev * relativistic


def temporal_envelope(k: np.ndarray, wavelength_nm: float, focal_spread_nm: float) -> np.ndarray:
    """Temporal-coherence envelope ``E_t(k) = exp(−(½ π λ Δ k²)²)``.

    Averaging ``exp(−iχ)`` over defocus ``δf`` with ``p(δf) ∝ exp(−δf²/Δ²)``
    (Δ the 1/e half-width) in the quasi-coherent approximation (Kirkland 2nd
    ed., §3.2; abTEM's ``TemporalEnvelope``).

    Parameters
    ----------
    k : array_like
        Spatial-frequency magnitude [1/nm].
    wavelength_nm : float
        Electron wavelength [nm].
    focal_spread_nm : float
        1/e half-width Δ of the focal spread [nm], >= 0 (see :func:`focal_spread_nm`).

    Returns
    -------
    ndarray
        float64 envelope in (0, 1], the shape of ``k``.

    Examples
    --------
    >>> lam = wavelength_nm(200.0)
    >>> k = 1.0 / np.sqrt(0.5 * np.pi * lam * 3.0)   # (½πλΔk²)² = 1 here
    >>> bool(np.isclose(temporal_envelope(k, lam, 3.0), np.exp(-1.0)))
    True
    """
    lam = validate.positive("wavelength_nm", wavelength_nm, "nm")
    spread = validate.non_negative("focal_spread_nm", focal_spread_nm, "nm")
    k = np.asarray(k, dtype=np.float64)
    return np.exp(-((0.5 * math.pi * lam * spread * k**2) ** 2))


def spatial_envelope(
    k_rows: np.ndarray,
    k_cols: np.ndarray,
    wavelength_nm: float,
    aberrations: Aberrations,
    convergence_mrad: float,
) -> np.ndarray:
    """Spatial-coherence envelope ``E_s(k) = exp(−(α/(2λ))² |∇_k χ|²)``.

    Averaging ``exp(−iχ)`` over illumination directions β with
    ``p(β) ∝ exp(−|β|²/α²)`` (α the 1/e half-width of the illumination
    semi-angle) to first order in β, in the quasi-coherent approximation
    (Kirkland 2nd ed., §3.2: for defocus and Cs this is his
    ``exp[−(πα/λ)² (Cs λ³ k³ − Δf λ k)²]``). ∇χ includes every term of
    :func:`aberration_phase`. abTEM's ``SpatialEnvelope(angular_spread=α)``
    evaluates the same formula (its docstring calls α a standard deviation,
    but ``exp(−(α/2)²|∇_α χ|²)`` is the 1/e half-width form).

    Parameters
    ----------
    k_rows, k_cols : array_like
        Spatial frequencies [1/nm] along the rows and columns (broadcastable).
    wavelength_nm : float
        Electron wavelength [nm].
    aberrations : Aberrations
        Aberration coefficients.
    convergence_mrad : float
        Illumination semi-angle α [mrad] (1/e half-width), >= 0.

    Returns
    -------
    ndarray
        float64 envelope in (0, 1].

    Examples
    --------
    >>> lam = wavelength_nm(200.0)
    >>> env = spatial_envelope(np.array([0.0, 2.0]), np.array([0.0]), lam,
    ...                        Aberrations(defocus_nm=100.0), 0.5)
    >>> float(env[0]), bool(env[1] < 1.0)
    (1.0, True)
    """
    lam = validate.positive("wavelength_nm", wavelength_nm, "nm")
    ab = _aberrations(aberrations)
    alpha = validate.non_negative("convergence_mrad", convergence_mrad, "mrad") * 1e-3
    grad_rows, grad_cols = _phase_gradient(k_rows, k_cols, lam, ab)
    return np.exp(-((alpha / (2.0 * lam)) ** 2) * (grad_rows**2 + grad_cols**2))


def _aperture(shape: tuple[int, int], pixel: float, k_rows, k_cols, cutoff_per_nm: float) -> np.ndarray:
    """Disc of radius ``cutoff_per_nm`` with a linear edge one reciprocal pixel wide.

    The weight ``clip((k_a − k)/δk(φ) + ½, 0, 1)``, with ``δk(φ)`` the
    reciprocal pixel along the direction of ``k``, antialiases the disc (its
    sum is ≈ π k_a² / δk² whatever the grid) and is abTEM's soft aperture
    (``abtem.transfer.soft_aperture``); the zero frequency always passes.
    """
    dk_rows = 1.0 / (shape[0] * pixel)
    dk_cols = 1.0 / (shape[1] * pixel)
    k = np.sqrt(k_rows**2 + k_cols**2)
    safe_k = np.where(k > 0.0, k, 1.0)
    step = np.sqrt((k_rows / safe_k * dk_rows) ** 2 + (k_cols / safe_k * dk_cols) ** 2)
    step = np.where(k > 0.0, step, 1.0)
    weight = np.clip((cutoff_per_nm - k) / step + 0.5, 0.0, 1.0)
    weight[0, 0] = 1.0
    return weight


def _transfer(shape, pixel_nm, voltage_kv, aberrations, aperture_mrad, cc_mm, energy_spread_ev, convergence_mrad):
    """χ [rad] and the real factor aperture · E_t · E_s on the FFT grid."""
    shape = _shape(shape)
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    lam = wavelength_nm(voltage_kv)
    ab = _aberrations(aberrations)
    spread = focal_spread_nm(cc_mm, energy_spread_ev, voltage_kv)
    k_rows, k_cols = spatial_frequencies(shape, pixel)
    k = np.sqrt(k_rows**2 + k_cols**2)
    chi = aberration_phase(k_rows, k_cols, lam, ab)
    damping = temporal_envelope(k, lam, spread) * spatial_envelope(k_rows, k_cols, lam, ab, convergence_mrad)
    if aperture_mrad is not None:
        cutoff = validate.positive("aperture_mrad", aperture_mrad, "mrad") * 1e-3 / lam
        damping = damping * _aperture(shape, pixel, k_rows, k_cols, cutoff)
    return chi, damping


def ctf(
    shape: tuple[int, int],
    pixel_nm: float,
    voltage_kv: float,
    aberrations: Aberrations,
    *,
    aperture_mrad: float | None = None,
    cc_mm: float = 0.0,
    energy_spread_ev: float = 0.0,
    convergence_mrad: float = 0.0,
) -> np.ndarray:
    """Wave transfer function ``H(k) = A(k) · E_t(k) · E_s(k) · exp(−iχ(k))``.

    Multiply the Fourier transform of an exit wave by ``H`` to get the image
    wave (Kirkland 2nd ed., §3.1–3.2; the product abTEM's ``CTF`` evaluates).

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(n_rows, n_cols)``.
    pixel_nm : float
        Pixel size [nm].
    voltage_kv : float
        Accelerating voltage [kV].
    aberrations : Aberrations
        Objective-lens aberrations.
    aperture_mrad : float, optional
        Objective-aperture semi-angle [mrad] (antialiased edge one reciprocal
        pixel wide, as abTEM's soft aperture); ``None`` for no aperture.
    cc_mm : float
        Chromatic aberration [mm] (see :func:`focal_spread_nm`).
    energy_spread_ev : float
        FWHM energy spread [eV].
    convergence_mrad : float
        Illumination semi-angle [mrad], 1/e half-width (see :func:`spatial_envelope`).

    Returns
    -------
    ndarray
        complex128 ``(n_rows, n_cols)``, unshifted FFT layout; ``H(0) = 1``.

    Examples
    --------
    >>> H = ctf((64, 64), 0.05, 200.0, Aberrations(defocus_nm=20.0, cs_mm=1.0), aperture_mrad=20.0)
    >>> H.dtype, complex(H[0, 0]), bool(np.abs(H).max() <= 1.0 + 1e-12)
    (dtype('complex128'), (1+0j), True)
    """
    chi, damping = _transfer(
        shape, pixel_nm, voltage_kv, aberrations, aperture_mrad, cc_mm, energy_spread_ev, convergence_mrad
    )
    return damping * np.exp(-1j * chi)


def phase_contrast_transfer(
    shape: tuple[int, int],
    pixel_nm: float,
    voltage_kv: float,
    aberrations: Aberrations,
    *,
    aperture_mrad: float | None = None,
    cc_mm: float = 0.0,
    energy_spread_ev: float = 0.0,
    convergence_mrad: float = 0.0,
) -> np.ndarray:
    """Weak-phase transfer ``T(k) = sin χ(k) · E_t · E_s · A`` (real, FFT layout).

    For a weak phase object ``ψ = exp(iφ) ≈ 1 + iφ`` the image wave is
    ``1 + i F⁻¹[Φ H]`` (``H(0) = 1``). With χ, the envelopes and the aperture
    even in ``k`` and φ real, ``F⁻¹[Φ E cos χ]`` and ``F⁻¹[Φ E sin χ]`` are
    real, so to first order in φ

        ``I = |1 + i F⁻¹[Φ E (cos χ − i sin χ)]|² ≈ 1 + 2 F⁻¹[Φ · T]``

    (Kirkland 2nd ed., §3.1; Reimer & Kohl, phase contrast). With the sign of χ used
    here, underfocus (Δf > 0) gives ``sin χ < 0`` in the first passband, so
    positive phase (atoms, ``φ = σ V_z > 0``) images **dark**.

    Parameters are those of :func:`ctf`.

    Returns
    -------
    ndarray
        float64 ``(n_rows, n_cols)``, unshifted FFT layout; ``T(0) = 0``.

    Examples
    --------
    >>> T = phase_contrast_transfer((32, 32), 0.1, 200.0, Aberrations(defocus_nm=50.0))
    >>> float(T[0, 0]), bool(T[0, 1] < 0.0)
    (0.0, True)
    """
    chi, damping = _transfer(
        shape, pixel_nm, voltage_kv, aberrations, aperture_mrad, cc_mm, energy_spread_ev, convergence_mrad
    )
    return damping * np.sin(chi)


def scherzer_defocus_nm(cs_mm: float, voltage_kv: float) -> float:
    """Scherzer defocus ``Δf = sqrt(4/3 · Cs · λ)`` [nm] (underfocus, positive).

    Scherzer's (1949) condition: χ = π λ k²(½ Cs λ² k² − Δf) then has its
    minimum −2π/3, keeping ``sin χ`` near −1 over the widest band before its
    first zero at ``k = (16/3)^{1/4} (Cs λ³)^{−1/4}`` (Reimer & Kohl,
    contrast transfer; Kirkland §3.1). Note abTEM's ``scherzer_defocus`` uses ``sqrt(3/2 Cs λ)``
    instead (χ minimum −3π/4).

    Parameters
    ----------
    cs_mm : float
        Spherical aberration [mm], > 0.
    voltage_kv : float
        Accelerating voltage [kV].

    Examples
    --------
    >>> round(scherzer_defocus_nm(1.2, 200.0), 2)
    63.35
    """
    cs = validate.positive("cs_mm", cs_mm, "mm") * _NM_PER_MM
    return math.sqrt(4.0 / 3.0 * cs * wavelength_nm(voltage_kv))


def ctf_zeros_per_nm(defocus_nm: float, cs_mm: float, voltage_kv: float, n_zeros: int) -> np.ndarray:
    """The first ``n_zeros`` spatial frequencies k > 0 [1/nm] where sin χ = 0.

    With ``u = k²``, ``χ/π = a u² + b u`` (``a = ½ Cs λ³``, ``b = −λ Δf``;
    C5 and astigmatism are not included), so each zero solves the quadratic
    ``a u² + b u − m = 0`` for an integer m (χ = mπ, of either sign). All m
    up to n_zeros past χ's extremum and past zero are solved (the
    numerically stable form ``q = −½(b + sign(b) sqrt(b² + 4am))``,
    ``u = q/a, −m/q``), the positive roots are kept, sorted and the first
    ``n_zeros`` returned as ``k = sqrt(u)``.

    Parameters
    ----------
    defocus_nm : float
        Defocus [nm], positive for underfocus.
    cs_mm : float
        Spherical aberration [mm] (any sign).
    voltage_kv : float
        Accelerating voltage [kV].
    n_zeros : int
        How many zeros, >= 1.

    Returns
    -------
    ndarray
        float64 ``(n_zeros,)``, increasing.

    Examples
    --------
    >>> lam = wavelength_nm(200.0)
    >>> k = ctf_zeros_per_nm(100.0, 0.0, 200.0, 2)   # Cs = 0: χ = −π λ Δf k² = −π, −2π
    >>> bool(np.allclose(k, np.sqrt([1.0 / (lam * 100.0), 2.0 / (lam * 100.0)])))
    True
    """
    defocus = validate.finite("defocus_nm", defocus_nm, "nm")
    cs = validate.finite("cs_mm", cs_mm, "mm") * _NM_PER_MM
    lam = wavelength_nm(voltage_kv)
    if isinstance(n_zeros, bool) or not isinstance(n_zeros, (int, np.integer)) or n_zeros < 1:
        raise ValidationError("n_zeros", n_zeros, "an integer >= 1")
    a = 0.5 * cs * lam**3
    b = -lam * defocus
    if a == 0.0 and b == 0.0:
        raise ValidationError("defocus_nm", defocus_nm, "non-zero defocus_nm or cs_mm (χ ≡ 0 has no zeros)")
    extremum = b * b / (4.0 * abs(a)) if a != 0.0 and -b / (2.0 * a) > 0.0 else 0.0
    # The first n zeros have |χ/π| <= min(|extremum|, n) + n (below the vertex, then past it).
    bound = math.ceil(min(extremum, n_zeros)) + int(n_zeros) + 1
    m = np.arange(-bound, bound + 1, dtype=np.float64)
    # For a vanishing Cs (or defocus) the far roots overflow to inf; they are dropped below.
    with np.errstate(over="ignore"):
        if a == 0.0:
            roots = m / b
        else:
            disc = b * b + 4.0 * a * m
            real = disc >= 0.0
            m = m[real]
            q = -0.5 * (b + math.copysign(1.0, b) * np.sqrt(disc[real]))
            nonzero_q = q != 0.0
            roots = np.concatenate([q / a, -m[nonzero_q] / q[nonzero_q]])
    roots = np.sort(roots[(roots > 0.0) & np.isfinite(roots)])
    distinct = np.concatenate([[True], np.diff(roots) > 1e-12 * roots[1:]])
    return np.sqrt(roots[distinct][: int(n_zeros)])


def probe_wave(
    shape: tuple[int, int],
    pixel_nm: float,
    voltage_kv: float,
    convergence_mrad: float,
    aberrations: Aberrations,
) -> np.ndarray:
    """STEM probe ``ψ(r) = F⁻¹[A(k) exp(−iχ(k))]``, centred at pixel ``(n_rows//2, n_cols//2)``.

    The probe-forming aperture ``A`` is a disc of semi-angle α (``k ≤ α/λ``)
    with abTEM's one-reciprocal-pixel linear edge (antialiasing); χ from
    :func:`aberration_phase` (Kirkland 2nd ed., §3.5; abTEM's ``Probe``). The
    array is periodic; it is normalised so ``Σ|ψ|² = 1``.

    Parameters
    ----------
    shape : (int, int)
        Array shape ``(n_rows, n_cols)``.
    pixel_nm : float
        Pixel size [nm]; must be <= λ/(2α) so the aperture fits inside the
        grid's Nyquist frequency 1/(2·pixel_nm).
    voltage_kv : float
        Accelerating voltage [kV].
    convergence_mrad : float
        Probe convergence semi-angle α [mrad], > 0.
    aberrations : Aberrations
        Probe-forming lens aberrations.

    Returns
    -------
    ndarray
        complex128 ``(n_rows, n_cols)``.

    Examples
    --------
    >>> psi = probe_wave((64, 64), 0.02, 200.0, 25.0, Aberrations())
    >>> round(float(np.sum(np.abs(psi) ** 2)), 12), [int(i) for i in np.unravel_index(np.argmax(np.abs(psi)), psi.shape)]
    (1.0, [32, 32])
    """
    shape = _shape(shape)
    pixel = validate.positive("pixel_nm", pixel_nm, "nm")
    alpha = validate.positive("convergence_mrad", convergence_mrad, "mrad") * 1e-3
    lam = wavelength_nm(voltage_kv)
    ab = _aberrations(aberrations)
    largest_pixel = lam / (2.0 * alpha)
    if pixel > largest_pixel:
        raise ValidationError(
            "pixel_nm",
            pixel_nm,
            f"<= {largest_pixel:.6g} nm (λ/(2α): the aperture α/λ must lie inside the Nyquist frequency)",
        )
    k_rows, k_cols = spatial_frequencies(shape, pixel)
    spectrum = _aperture(shape, pixel, k_rows, k_cols, alpha / lam) * np.exp(
        -1j * aberration_phase(k_rows, k_cols, lam, ab)
    )
    psi = np.fft.fftshift(np.fft.ifft2(spectrum))
    return psi / math.sqrt(float(np.sum(np.abs(psi) ** 2)))


def probe_intensity(
    shape: tuple[int, int],
    pixel_nm: float,
    voltage_kv: float,
    convergence_mrad: float,
    aberrations: Aberrations,
    *,
    source_size_nm: float = 0.0,
) -> np.ndarray:
    """Probe intensity ``|ψ|²`` convolved with the demagnified source; sums to 1.

    The source is a Gaussian of **FWHM** ``source_size_nm`` (σ = FWHM /
    (2 sqrt(2 ln 2))), convolved periodically through its transform
    ``exp(−2π²σ²k²)`` (incoherent source, Kirkland 2nd ed., §3.5.2); the sum is
    kept because that transform is 1 at k = 0. Values are non-negative up to
    float64 round-off of the FFT (~1e-17).

    Parameters
    ----------
    shape, pixel_nm, voltage_kv, convergence_mrad, aberrations
        As in :func:`probe_wave`.
    source_size_nm : float
        FWHM of the Gaussian effective source [nm], >= 0.

    Returns
    -------
    ndarray
        float64 ``(n_rows, n_cols)``, centred at ``(n_rows//2, n_cols//2)``.

    Examples
    --------
    >>> p = probe_intensity((64, 64), 0.02, 200.0, 25.0, Aberrations(), source_size_nm=0.05)
    >>> round(float(p.sum()), 12), p.dtype
    (1.0, dtype('float64'))
    """
    source = validate.non_negative("source_size_nm", source_size_nm, "nm (FWHM)")
    intensity = np.abs(probe_wave(shape, pixel_nm, voltage_kv, convergence_mrad, aberrations)) ** 2
    if source == 0.0:
        return intensity
    sigma = source / _FWHM_PER_SIGMA
    k_rows, k_cols = spatial_frequencies(intensity.shape, pixel_nm)
    blur = np.exp(-2.0 * math.pi**2 * sigma**2 * (k_rows**2 + k_cols**2))
    return np.fft.ifft2(np.fft.fft2(intensity) * blur).real


def depth_of_field_nm(voltage_kv: float, convergence_mrad: float) -> float:
    """Depth of field [nm] of an aberration-free probe: ``≈ 1.77 λ / α²``.

    The axial intensity of a focused aperture-limited beam varies with defocus
    Δz as ``sinc²(π Δz α² / (2λ))`` (Born & Wolf, *Principles of Optics*,
    §8.8); its full width at half maximum is ``(4x/π) λ/α² = 1.7718 λ/α²`` with
    ``sin x / x = 1/sqrt 2``, the STEM depth resolution of Intaraprasonk, Xin &
    Muller, Ultramicroscopy 108 (2008) 1454. (Some texts quote λ/α², or
    2λ/α²; this is the FWHM.)

    Parameters
    ----------
    voltage_kv : float
        Accelerating voltage [kV].
    convergence_mrad : float
        Probe convergence semi-angle α [mrad], > 0.

    Examples
    --------
    >>> round(depth_of_field_nm(200.0, 25.0), 2)
    7.11
    """
    alpha = validate.positive("convergence_mrad", convergence_mrad, "mrad") * 1e-3
    return DEPTH_OF_FIELD_FACTOR * wavelength_nm(voltage_kv) / alpha**2
